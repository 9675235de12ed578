//! Editing records' YAML text in place (src/content/edit.rs): each operation gives the tree
//! asked for, keeps every other line byte for byte, and a change to the value a record
//! already has changes nothing, on every record in content/.

use certpress::content::edit::{Edit, EditError, Value};
use proptest::prelude::*;
use serde_yaml::Value as Tree;
use std::path::Path;

const RECORD: &str = r#"# A record with comments everywhere.
id: rainbow-stacker            # required
name: Rainbow Stacking Rings   # required
brand: Little Oak
model: LO-RS-01
gtin: "00614141000012"         # optional
sku: LO-RS-01-EA
description: >-
  Seven wooden rings on a peg,
  painted with water-based colours.
categories: [toy]              # vocabulary declared by the enabled plugins
age: { min_months: 12, max_months: 36 }    # intended user age
attributes:                    # facts the plugins ask about
  small_parts: false
  painted: true
markets: [US, EU, GB, CA]
manufacturer: little-oak-ltd   # party id
importers: { US: oak-imports-usa, EU: oak-eu-gmbh }  # party id per market
lots:
  - lot: "2026-03A"            # lot code
    made: 2026-03
    place: Ningbo, Zhejiang, China
    factory: ningbo-toys       # optional party id
evidence:
  - report: R-2026-0311        # test report number
    lab: sgs-shenzhen
    date: 2026-03-11
    covers:
      - 16 CFR 1303
      - 16 CFR 1250
    result: pass
declarations:
  # statements without a test
  tracking-label: true
status: active
# The end.
"#;

fn tree(text: &str) -> Tree {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The original's tree with `change` made to it.
fn expect(change: impl FnOnce(&mut serde_yaml::Mapping)) -> Tree {
    let mut t = tree(RECORD);
    change(t.as_mapping_mut().unwrap());
    t
}

fn s(v: &str) -> Tree {
    Tree::String(v.into())
}

/// Every line of `before` that is not in `changed` is in `after`, in order.
fn keeps_lines(before: &str, after: &str, changed: &[&str]) {
    let mut rest = after.lines();
    for line in before.lines() {
        if changed.iter().any(|c| line.contains(c)) {
            continue;
        }
        assert!(
            rest.any(|l| l == line),
            "line {line:?} lost or moved:\n{after}"
        );
    }
}

fn check(edit: Edit, want: Tree, changed: &[&str]) -> String {
    let out = edit.apply(RECORD).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tree(&out), want, "\n{out}");
    keeps_lines(RECORD, &out, changed);
    // The same edit again changes nothing.
    assert_eq!(edit.apply(&out).unwrap(), out);
    out
}

#[test]
fn a_top_level_scalar_keeps_its_comment_and_quoting() {
    let out = check(
        Edit::new().set("name", Value::str("Rainbow Rings: Deluxe")),
        expect(|m| {
            m.insert(s("name"), s("Rainbow Rings: Deluxe"));
        }),
        &["name:"],
    );
    assert!(
        out.contains("name: \"Rainbow Rings: Deluxe\"   # required\n"),
        "{out}"
    );
    let out = check(
        Edit::new().set("gtin", Value::str("00614141000029")),
        expect(|m| {
            m.insert(s("gtin"), s("00614141000029"));
        }),
        &["gtin:"],
    );
    assert!(
        out.contains("gtin: \"00614141000029\"         # optional\n"),
        "{out}"
    );
    // A folded description becomes a quoted line; the lines around it stay.
    let out = check(
        Edit::new().set("description", Value::str("Seven rings.")),
        expect(|m| {
            m.insert(s("description"), s("Seven rings."));
        }),
        &["description:", "Seven wooden", "painted with"],
    );
    assert!(
        out.contains("description: >-\n  Seven rings.\ncategories:"),
        "{out}"
    );
    // A paragraph too long for one line is folded at 88 columns; a string a folded scalar
    // cannot hold (a line break) is quoted instead.
    let long = "word ".repeat(30).trim_end().to_string();
    let out = Edit::new()
        .set("description", Value::str(&long))
        .apply(RECORD)
        .unwrap();
    assert!(
        out.contains(&format!(
            "description: >-\n  {}\n  {}\ncategories",
            "word ".repeat(17).trim_end(),
            "word ".repeat(13).trim_end()
        )),
        "{out}"
    );
    let out = Edit::new()
        .set("description", Value::str("two\nlines"))
        .apply(RECORD)
        .unwrap();
    assert!(
        out.contains("description: \"two\\nlines\"\ncategories"),
        "{out}"
    );
    // A literal block stays literal.
    let text = "id: x\nnote: |-\n  one\n  two\nstatus: active\n";
    let out = Edit::new()
        .set("note", Value::str("three\n\nfour"))
        .apply(text)
        .unwrap();
    assert_eq!(out, "id: x\nnote: |-\n  three\n\n  four\nstatus: active\n");
}

#[test]
fn a_missing_top_level_key_goes_after_the_key_before_it() {
    let out = check(
        Edit::new().set("records_custodian", Value::str("jane-doe")),
        expect(|m| {
            m.insert(s("records_custodian"), s("jane-doe"));
        }),
        &[],
    );
    assert!(
        out.contains("oak-eu-gmbh }  # party id per market\nrecords_custodian: jane-doe\nlots:\n"),
        "{out}"
    );
    // A key whose predecessors in the order are all missing but `description`.
    let out = check(
        Edit::new().set("image", Value::str("assets/x.svg")),
        expect(|m| {
            m.insert(s("image"), s("assets/x.svg"));
        }),
        &[],
    );
    assert!(
        out.contains("painted with water-based colours.\nimage: assets/x.svg\ncategories:"),
        "{out}"
    );
}

#[test]
fn nested_keys_in_flow_and_block_mappings() {
    let out = check(
        Edit::new()
            .set("age.min_months", Value::Int(18))
            .set("importers.GB", Value::str("oak-uk-ltd"))
            .set("attributes.painted", Value::Bool(false))
            .set("attributes.magnets", Value::Bool(true))
            .set("declarations.tracking-label", Value::Bool(false)),
        expect(|m| {
            m["age"]["min_months"] = Tree::Number(18.into());
            m["importers"]
                .as_mapping_mut()
                .unwrap()
                .insert(s("GB"), s("oak-uk-ltd"));
            m["attributes"]["painted"] = Tree::Bool(false);
            m["attributes"]
                .as_mapping_mut()
                .unwrap()
                .insert(s("magnets"), Tree::Bool(true));
            m["declarations"]["tracking-label"] = Tree::Bool(false);
        }),
        &["age:", "importers:", "painted: true", "tracking-label"],
    );
    assert!(
        out.contains("age: { min_months: 18, max_months: 36 }    # intended user age\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "importers: { US: oak-imports-usa, EU: oak-eu-gmbh, GB: oak-uk-ltd }  # party"
        )
    );
    assert!(
        out.contains("  small_parts: false\n  painted: false\n  magnets: true\nmarkets:"),
        "{out}"
    );
    // A new mapping: flow for cpsc, block for declarations-like keys.
    let out = check(
        Edit::new().set("cpsc.product_id", Value::str("00614141000012")),
        expect(|m| {
            let mut c = serde_yaml::Mapping::new();
            c.insert(s("product_id"), s("00614141000012"));
            m.insert(s("cpsc"), Tree::Mapping(c));
        }),
        &[],
    );
    assert!(
        out.contains("sku: LO-RS-01-EA\ncpsc: { product_id: \"00614141000012\" }\ndescription:"),
        "{out}"
    );
}

#[test]
fn lists_keep_their_style() {
    let out = check(
        Edit::new()
            .set(
                "categories",
                Value::List(vec!["toy".into(), "general".into()]),
            )
            .set("markets", Value::List(vec!["US".into(), "CA".into()])),
        expect(|m| {
            m.insert(
                s("categories"),
                Tree::Sequence(vec![s("toy"), s("general")]),
            );
            m.insert(s("markets"), Tree::Sequence(vec![s("US"), s("CA")]));
        }),
        &["categories:", "markets:"],
    );
    assert!(
        out.contains("categories: [toy, general]              # vocabulary"),
        "{out}"
    );
    assert!(out.contains("markets: [US, CA]\n"), "{out}");
}

#[test]
fn entries_are_updated_field_by_field_or_appended() {
    let out = check(
        Edit::new().set_entry(
            "lots",
            "lot",
            "2026-03A",
            vec![
                ("made".into(), Some(Value::str("2026-04"))),
                ("factory".into(), None),
                ("place".into(), Some(Value::str("Ningbo, Zhejiang, China"))),
            ],
        ),
        expect(|m| {
            let lot = &mut m["lots"][0];
            lot["made"] = s("2026-04");
            lot.as_mapping_mut().unwrap().remove("factory");
        }),
        &["made: 2026-03", "factory:"],
    );
    assert!(
        out.contains("    made: 2026-04\n    place: Ningbo, Zhejiang, China\nevidence:"),
        "{out}"
    );
    let out = check(
        Edit::new().set_entry(
            "lots",
            "lot",
            "2026",
            vec![
                ("made".into(), Some(Value::str("2026-09"))),
                ("factory".into(), None),
            ],
        ),
        expect(|m| {
            let mut lot = serde_yaml::Mapping::new();
            lot.insert(s("lot"), s("2026"));
            lot.insert(s("made"), s("2026-09"));
            m["lots"]
                .as_sequence_mut()
                .unwrap()
                .push(Tree::Mapping(lot));
        }),
        &[],
    );
    assert!(out.contains("    factory: ningbo-toys       # optional party id\n  - lot: \"2026\"\n    made: 2026-09\nevidence:"), "{out}");
    let out = check(
        Edit::new().set_entry(
            "evidence",
            "report",
            "R-2026-0311",
            vec![(
                "covers".into(),
                Some(Value::List(vec!["16 CFR 1303".into()])),
            )],
        ),
        expect(|m| {
            m["evidence"][0]["covers"] = Tree::Sequence(vec![s("16 CFR 1303")]);
        }),
        &["16 CFR 1250"],
    );
    assert!(
        out.contains("    covers:\n      - 16 CFR 1303\n    result: pass"),
        "{out}"
    );
}

#[test]
fn a_new_list_of_entries_is_a_block() {
    let text = "id: x\nname: X\nmarkets: [US]\nstatus: active\n";
    let out = Edit::new()
        .set_entry(
            "lots",
            "lot",
            "A1",
            vec![("made".into(), Some(Value::str("2026-01")))],
        )
        .apply(text)
        .unwrap();
    assert_eq!(
        out,
        "id: x\nname: X\nmarkets: [US]\nlots:\n  - lot: A1\n    made: 2026-01\nstatus: active\n"
    );
}

#[test]
fn removing_a_key_takes_its_comment_lines() {
    let out = check(
        Edit::new()
            .remove("gtin")
            .remove("declarations.tracking-label")
            .remove("age.max_months"),
        expect(|m| {
            m.remove("gtin");
            m.remove("declarations");
            m["age"].as_mapping_mut().unwrap().remove("max_months");
        }),
        &[
            "gtin:",
            "declarations:",
            "statements without",
            "tracking-label",
            "age:",
        ],
    );
    assert!(!out.contains("statements without a test"), "{out}");
    assert!(
        out.contains("age: { min_months: 12 }    # intended user age\n"),
        "{out}"
    );
    assert!(out.contains("model: LO-RS-01\nsku:"), "{out}");
    // Removing what is not there changes nothing.
    assert_eq!(
        Edit::new()
            .remove("image")
            .remove("cpsc.product_id")
            .apply(RECORD)
            .unwrap(),
        RECORD
    );
}

#[test]
fn anchors_aliases_tags_and_documents_are_refused() {
    for text in [
        "id: &a x\nname: *a\n",
        "id: x\nname: !custom y\n",
        "id: x\n---\nid: y\n",
        "- a\n- b\n",
        "id: [unclosed\n",
    ] {
        let e = Edit::new()
            .set("name", Value::str("n"))
            .apply(text)
            .unwrap_err();
        assert!(
            matches!(e, EditError::Unsupported(_) | EditError::Syntax { .. }),
            "{text:?}: {e:?}"
        );
    }
}

fn records() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let mut out: Vec<_> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

/// A tree's scalars and lists of scalars as the Values that write them.
fn value_of(t: &Tree) -> Option<Value> {
    match t {
        Tree::String(v) => Some(Value::Str(v.clone())),
        Tree::Bool(b) => Some(Value::Bool(*b)),
        Tree::Number(n) => n.as_i64().map(Value::Int),
        Tree::Sequence(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Value::List),
        _ => None,
    }
}

#[test]
fn setting_every_field_of_every_record_to_its_value_changes_nothing() {
    let files = records();
    assert!(files.len() >= 25, "{}", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let t = tree(&text);
        let mut edit = Edit::new();
        for (k, v) in t.as_mapping().unwrap() {
            let k = k.as_str().unwrap();
            if let Some(v) = value_of(v) {
                edit = edit.set(k, v);
                continue;
            }
            match v {
                Tree::Mapping(m) => {
                    for (nk, nv) in m {
                        if let Some(nv) = value_of(nv) {
                            edit = edit.set(&format!("{k}.{}", nk.as_str().unwrap()), nv);
                        }
                    }
                }
                Tree::Sequence(items) if k == "lots" || k == "evidence" => {
                    let id_key = if k == "lots" { "lot" } else { "report" };
                    for item in items {
                        let id = item[id_key].as_str().unwrap();
                        let fields = item
                            .as_mapping()
                            .unwrap()
                            .iter()
                            .filter_map(|(f, v)| {
                                Some((f.as_str()?.to_string(), Some(value_of(v)?)))
                            })
                            .collect();
                        edit = edit.set_entry(k, id_key, id, fields);
                    }
                }
                _ => {}
            }
        }
        assert!(!edit.is_empty());
        assert_eq!(edit.apply(&text).unwrap(), text, "{}", path.display());
    }
}

#[test]
fn changing_each_field_of_every_record_keeps_every_other_line() {
    for path in records() {
        let text = std::fs::read_to_string(&path).unwrap();
        let t = tree(&text);
        for (k, v) in t.as_mapping().unwrap() {
            let k = k.as_str().unwrap();
            let new = match value_of(v) {
                Some(Value::Str(_)) => Value::str("changed: \"value\" # not a comment"),
                Some(Value::List(_)) => Value::List(vec!["one".into(), "two, three".into()]),
                Some(Value::Bool(b)) => Value::Bool(!b),
                Some(Value::Int(i)) => Value::Int(i + 1),
                None => continue,
            };
            let out = Edit::new()
                .set(k, new.clone())
                .apply(&text)
                .unwrap_or_else(|e| panic!("{}: {k}: {e}", path.display()));
            let mut want = t.clone();
            want[k] = match &new {
                Value::Str(v) => s(v),
                Value::List(items) => Tree::Sequence(items.iter().map(|i| s(i)).collect()),
                Value::Bool(b) => Tree::Bool(*b),
                Value::Int(i) => Tree::Number((*i).into()),
            };
            assert_eq!(tree(&out), want, "{}: {k}\n{out}", path.display());
            // Lines of other keys stay; the key's own lines (its line and the indented
            // ones under it) may change.
            let mut mine = false;
            for line in text.lines() {
                if !line.starts_with([' ', '#']) {
                    mine = line.starts_with(&format!("{k}:"));
                }
                if !(mine && (line.starts_with(' ') || line.starts_with(&format!("{k}:")))) {
                    assert!(
                        out.lines().any(|l| l == line),
                        "{}: {k}: lost {line:?}\n{out}",
                        path.display()
                    );
                }
            }
            // Removing it keeps the others too.
            let out = Edit::new().remove(k).apply(&text).unwrap();
            let mut want = t.clone();
            want.as_mapping_mut().unwrap().remove(k);
            assert_eq!(tree(&out), want, "{}: remove {k}\n{out}", path.display());
        }
    }
}

proptest! {
    #[test]
    fn any_string_reads_back_as_itself(v in "[ a-zA-Z0-9:#'\"\\\\,\\[\\]{}&*!|>%@`\\-.é™\u{1F600}\n\t]{0,24}") {
        for key in ["name", "age.max_months", "attributes.note"] {
            let out = Edit::new().set(key, Value::Str(v.clone())).apply(RECORD).unwrap();
            let t = tree(&out);
            let got = match key.split_once('.') {
                Some((p, k)) => t[p][k].clone(),
                None => t[key].clone(),
            };
            prop_assert_eq!(got, Tree::String(v.clone()), "{}", out);
        }
        let out = Edit::new().set("markets", Value::List(vec![v.clone(), "US".into()])).apply(RECORD).unwrap();
        prop_assert_eq!(tree(&out)["markets"].clone(), Tree::Sequence(vec![Tree::String(v.clone()), s("US")]));
        let out = Edit::new()
            .set_entry("lots", "lot", &v, vec![("place".into(), Some(Value::Str(v.clone())))])
            .apply(RECORD)
            .unwrap();
        prop_assert_eq!(tree(&out)["lots"][1]["place"].clone(), Tree::String(v.clone()));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!(
        "id: x\nname: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(Edit::new().set("id", Value::str("y")).apply(&text).is_err());
}

/// Every comment line of `before` is in `after`, and every top-level key line but `except`'s.
fn keeps_comments_and_keys(before: &str, after: &str, except: &str, what: &str) {
    for line in before.lines() {
        let top_key =
            !line.starts_with([' ', '#', '-']) && !line.starts_with(&format!("{except}:"));
        if line.trim_start().starts_with('#') || top_key {
            assert!(
                after.lines().any(|l| l == line),
                "{what}: lost {line:?}\n{after}"
            );
        }
    }
}

fn changed(v: &Value) -> Value {
    match v {
        Value::Str(_) => Value::str("2026"),
        Value::List(_) => Value::List(vec!["a: b".into(), "#c".into()]),
        Value::Bool(b) => Value::Bool(!b),
        Value::Int(i) => Value::Int(i + 1),
    }
}

fn tree_of(v: &Value) -> Tree {
    match v {
        Value::Str(v) => s(v),
        Value::List(items) => Tree::Sequence(items.iter().map(|i| s(i)).collect()),
        Value::Bool(b) => Tree::Bool(*b),
        Value::Int(i) => Tree::Number((*i).into()),
    }
}

#[test]
fn nested_keys_and_entries_of_every_record_change_and_go() {
    for path in records() {
        let text = std::fs::read_to_string(&path).unwrap();
        let t = tree(&text);
        for (k, v) in t.as_mapping().unwrap() {
            let k = k.as_str().unwrap();
            match v {
                Tree::Mapping(m) => {
                    for (nk, nv) in m {
                        let nk = nk.as_str().unwrap();
                        let what = format!("{}: {k}.{nk}", path.display());
                        let Some(nv) = value_of(nv) else { continue };
                        let new = changed(&nv);
                        let out = Edit::new()
                            .set(&format!("{k}.{nk}"), new.clone())
                            .apply(&text)
                            .unwrap_or_else(|e| panic!("{what}: {e}"));
                        let mut want = t.clone();
                        want[k][nk] = tree_of(&new);
                        assert_eq!(tree(&out), want, "{what}\n{out}");
                        keeps_comments_and_keys(&text, &out, k, &what);
                        let out = Edit::new()
                            .remove(&format!("{k}.{nk}"))
                            .apply(&text)
                            .unwrap_or_else(|e| panic!("{what}: {e}"));
                        let mut want = t.clone();
                        want[k].as_mapping_mut().unwrap().remove(nk);
                        if want[k].as_mapping().unwrap().is_empty() {
                            want.as_mapping_mut().unwrap().remove(k);
                        }
                        assert_eq!(tree(&out), want, "{what}: remove\n{out}");
                    }
                    // A new key in the mapping.
                    let out = Edit::new()
                        .set(&format!("{k}.zz-new"), Value::Bool(true))
                        .apply(&text)
                        .unwrap();
                    let mut want = t.clone();
                    want[k]
                        .as_mapping_mut()
                        .unwrap()
                        .insert(s("zz-new"), Tree::Bool(true));
                    assert_eq!(tree(&out), want, "{}: {k}.zz-new\n{out}", path.display());
                }
                Tree::Sequence(items) if items.iter().all(Tree::is_mapping) => {
                    let id_key = match k {
                        "lots" => "lot",
                        "evidence" => "report",
                        _ => "number",
                    };
                    for (i, item) in items.iter().enumerate() {
                        let id = item[id_key].as_str().unwrap();
                        for (f, fv) in item.as_mapping().unwrap() {
                            let f = f.as_str().unwrap();
                            let what = format!("{}: {k} {id} {f}", path.display());
                            if f == id_key {
                                continue;
                            }
                            let Some(fv) = value_of(fv) else { continue };
                            let new = changed(&fv);
                            let out = Edit::new()
                                .set_entry(k, id_key, id, vec![(f.to_string(), Some(new.clone()))])
                                .apply(&text)
                                .unwrap_or_else(|e| panic!("{what}: {e}"));
                            let mut want = t.clone();
                            want[k][i][f] = tree_of(&new);
                            assert_eq!(tree(&out), want, "{what}\n{out}");
                            keeps_comments_and_keys(&text, &out, k, &what);
                            let out = Edit::new()
                                .set_entry(k, id_key, id, vec![(f.to_string(), None)])
                                .apply(&text)
                                .unwrap_or_else(|e| panic!("{what}: {e}"));
                            let mut want = t.clone();
                            want[k][i].as_mapping_mut().unwrap().remove(f);
                            assert_eq!(tree(&out), want, "{what}: remove\n{out}");
                        }
                    }
                    // A new entry, in the style of the others.
                    let out = Edit::new()
                        .set_entry(
                            k,
                            id_key,
                            "NEW-1",
                            vec![
                                ("place".into(), Some(Value::str("Ningbo, China"))),
                                ("covers".into(), Some(Value::List(vec!["EN 71-1".into()]))),
                            ],
                        )
                        .apply(&text)
                        .unwrap_or_else(|e| panic!("{}: {k} new: {e}", path.display()));
                    let mut want = t.clone();
                    let mut m = serde_yaml::Mapping::new();
                    m.insert(s(id_key), s("NEW-1"));
                    m.insert(s("place"), s("Ningbo, China"));
                    m.insert(s("covers"), Tree::Sequence(vec![s("EN 71-1")]));
                    want[k].as_sequence_mut().unwrap().push(Tree::Mapping(m));
                    assert_eq!(tree(&out), want, "{}: {k} new\n{out}", path.display());
                    keeps_comments_and_keys(
                        &text,
                        &out,
                        "",
                        &format!("{}: {k} new", path.display()),
                    );
                }
                _ => {}
            }
        }
    }
}

#[test]
fn windows_line_ends_and_a_byte_order_mark_are_kept() {
    let text = "\u{feff}id: x\r\nname: X  # c\r\nmarkets: [US]\r\n";
    let out = Edit::new()
        .set("name", Value::str("Z"))
        .set("brand", Value::str("B"))
        .apply(text)
        .unwrap();
    assert_eq!(
        out,
        "\u{feff}id: x\r\nname: Z  # c\r\nbrand: B\r\nmarkets: [US]\r\n"
    );
    assert_eq!(
        Edit::new()
            .set("name", Value::str("X"))
            .apply(text)
            .unwrap(),
        text
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any text, YAML or not: an edit gives text or an error, never a panic, and text it
    /// gives reads back as asked (apply checks that itself).
    #[test]
    fn any_text_edits_or_errs_without_panicking(
        text in "(([a-z]{1,6}|- |  |\"|'|#|é|™|:|,|\\[|\\]|\\{|\\}|>-|\\||&a|\\*a|!t|\n|\r\n| |x: y\n|lots:\n  - lot: \"1\"\n)){0,40}"
    ) {
        let edit = Edit::new()
            .set("name", Value::str("N: é"))
            .set("age.min_months", Value::Int(3))
            .set("categories", Value::List(vec!["toy".into()]))
            .remove("x")
            .remove("lots.lot")
            .set_entry("lots", "lot", "1", vec![("made".into(), Some(Value::str("2026-01"))), ("place".into(), None)])
            .set_entry("lots", "lot", "2", vec![("made".into(), Some(Value::str("2026-02")))]);
        let _ = edit.apply(&text);
        // Each record with a character cut out somewhere.
        let _ = Edit::new().remove("name").apply(&text);
    }

    #[test]
    fn records_cut_anywhere_edit_or_err_without_panicking(file in 0usize..64, cut in 0usize..4000, len in 0usize..40) {
        let files = records();
        let text = std::fs::read_to_string(&files[file % files.len()]).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let cut = cut % (chars.len() + 1);
        let end = (cut + len).min(chars.len());
        let broken: String = chars[..cut].iter().chain(&chars[end..]).collect();
        let _ = Edit::new()
            .set("name", Value::str("x"))
            .remove("gtin")
            .set("attributes.painted", Value::Bool(false))
            .set_entry("evidence", "report", "NEW", vec![("lab".into(), Some(Value::str("l")))])
            .apply(&broken);
    }
}

#[test]
fn empty_and_null_parents_and_keys_with_nothing_before_them() {
    let text = "# about name\nname: X\nattributes:\nimporters: {}\nstatus: active\n";
    let out = Edit::new()
        .set("attributes.painted", Value::Bool(true))
        .set("importers.US", Value::str("oak-imports-usa"))
        .set("id", Value::str("x"))
        .apply(text)
        .unwrap();
    assert_eq!(
        out,
        "id: x\n# about name\nname: X\nattributes:\n  painted: true\nimporters: { US: oak-imports-usa }\nstatus: active\n"
    );
    // A nested key under a scalar is refused, not guessed.
    let e = Edit::new()
        .set("status.x", Value::Bool(true))
        .apply(text)
        .unwrap_err();
    assert!(matches!(e, EditError::Unsupported(_)), "{e:?}");
    // A text without a final newline.
    let out = Edit::new()
        .set("zz", Value::Int(1))
        .apply("id: x\nname: y")
        .unwrap();
    assert_eq!(out, "id: x\nname: y\nzz: 1");
}
