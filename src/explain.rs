//! `check --explain <product>`: why each requirement applies or not, in words a
//! compliance manager can check against the rule pack: the condition, the record values
//! it read, and the evidence matched.

use crate::assess::{Assessment, Status};
use crate::content::Product;
use crate::plugins::{Condition, Plugin};
use crate::site::Site;
use std::fmt::Write;

/// A CEL value as a reader would write it.
fn show(v: &cel::Value) -> String {
    match v {
        cel::Value::Bool(b) => b.to_string(),
        cel::Value::Int(i) => i.to_string(),
        cel::Value::UInt(i) => i.to_string(),
        cel::Value::Float(f) => f.to_string(),
        cel::Value::String(s) => format!("{:?}", s.as_str()),
        cel::Value::List(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        cel::Value::Null => "null".into(),
        cel::Value::Map(m) => {
            let mut entries: Vec<String> = m
                .map
                .iter()
                .map(|(k, v)| format!("{k}: {}", show(v)))
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// The values a condition read, e.g. `product.age.min_months = 36, childrens = true`.
fn reads(cond: &Condition, cx: &cel::Context) -> String {
    cond.reads
        .iter()
        .filter(|r| r.as_str() != "product")
        .map(|path| {
            // `path` is a field path the checked condition already read: safe to evaluate.
            let value = cel::Program::compile(path)
                .ok()
                .and_then(|p| p.execute(cx).ok())
                .map_or_else(|| "absent".to_string(), |v| show(&v));
            format!("{path} = {value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn verdict(cond: &Condition, cx: &cel::Context) -> String {
    match cond.eval(cx) {
        Ok(v) => show(&v),
        Err(e) => format!("error: {e}"),
    }
}

/// The explanation of `product`'s assessments, as text.
pub fn explain(site: &Site, product: &Product, assessments: &[Assessment]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {} ({})", product.id, product.name, product.file);
    let _ = writeln!(out, "judged as of {}", crate::date::iso(site.as_of));
    let value = crate::plugins::product_value(product, &site.vocabulary, site.as_of);
    let root = cel::Context::default();
    for a in assessments {
        let Some(plugin) = site.plugins.iter().find(|p| p.id == a.plugin) else {
            continue;
        };
        explain_plugin(&mut out, &root, &value, plugin, a);
    }
    let assessed: Vec<&str> = assessments.iter().map(|a| a.market.as_str()).collect();
    let unassessed: Vec<&str> = product
        .markets
        .iter()
        .map(|m| m.code())
        .filter(|m| !assessed.contains(m))
        .collect();
    if !unassessed.is_empty() {
        let _ = writeln!(
            out,
            "\nnot assessed (no enabled rule pack): {}",
            unassessed.join(", ")
        );
    }
    out
}

fn explain_plugin(
    out: &mut String,
    root: &cel::Context,
    value: &cel::Value,
    plugin: &Plugin,
    a: &Assessment,
) {
    let _ = writeln!(
        out,
        "\n{} {} ({}), market {}",
        plugin.id, plugin.version, plugin.name, a.market
    );
    let mut cx = root.new_inner_scope();
    cx.add_variable_from_value("product", value.clone());
    // A command plugin has no conditions to show: only what it answered.
    let (defines, certificates, requirements) = match plugin.rules() {
        Some(r) => (&r.defines[..], &r.certificates[..], &r.requirements[..]),
        None => (&[][..], &[][..], &[][..]),
    };
    if !defines.is_empty() {
        let _ = writeln!(out, "  defines:");
    }
    for (name, cond) in defines {
        let v = cond.eval(&cx);
        let _ = writeln!(
            out,
            "    {name} = {}    ({})",
            v.as_ref().map_or_else(|e| format!("error: {e}"), show),
            cond.source
        );
        if let Ok(v) = v {
            cx.add_variable_from_value(name.clone(), v);
        }
    }
    match &a.certificate {
        Some(c) => {
            let _ = writeln!(
                out,
                "  certificate: {} \"{}\" {}: {:?}",
                c.id, c.title, c.number, c.status
            );
            if let Some(rule) = certificates.iter().find(|x| x.raw.id == c.id) {
                let _ = writeln!(
                    out,
                    "    chosen because `{}` is {} [{}]",
                    rule.when.source,
                    verdict(&rule.when, &cx),
                    reads(&rule.when, &cx)
                );
                let lab = if rule.raw.lab == "any" {
                    "any lab".to_string()
                } else {
                    format!("a lab with a `{}` accreditation", rule.raw.lab)
                };
                let retest = rule.raw.retest_months.map_or_else(
                    || "no retest interval".to_string(),
                    |m| format!("reports at most {m} months old"),
                );
                let _ = writeln!(out, "    evidence must come from {lab}, {retest}");
            }
        }
        None if certificates.is_empty() => {
            let _ = writeln!(
                out,
                "  certificate: none (this market has no certificate document)"
            );
        }
        None => {
            let _ = writeln!(out, "  certificate: none (no tested rule applies)");
        }
    }
    let _ = writeln!(out, "  requirements:");
    for r in requirements {
        let status = a.requirements.iter().find(|s| *s.id == *r.raw.id);
        let mark = match status.map(|s| s.status) {
            Some(Status::Satisfied) => "✓",
            Some(_) => "✗",
            None => "·",
        };
        let applies = if status.is_some() {
            "applies"
        } else {
            "does not apply"
        };
        // A rule of certain certificates whose `when` holds but whose certificate this
        // product does not get: say so, not just that `when` is true.
        let certificate_id = a.certificate.as_ref().map(|c| c.id.as_str());
        let scoped_out = !r.raw.certificates.is_empty()
            && !certificate_id.is_some_and(|id| r.raw.certificates.iter().any(|c| c == id));
        let why = if status.is_none() && scoped_out {
            format!(
                "it belongs to {} and this product's certificate is {}",
                r.raw.certificates.join(", "),
                certificate_id.unwrap_or("none")
            )
        } else {
            format!("`{}` is {}", r.when.source, verdict(&r.when, &cx))
        };
        let _ = writeln!(
            out,
            "    {mark} {} ({}) {applies}: {why}",
            r.raw.id, r.raw.cite
        );
        let read = reads(&r.when, &cx);
        if !read.is_empty() {
            let _ = writeln!(out, "        read: {read}");
        }
        if let Some(s) = status {
            let state = serde_json::to_value(s.status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let mut line = format!("        {state}");
            if let Some(e) = &s.evidence {
                let _ = write!(line, ", evidence {e}");
            }
            if !s.lots.is_empty() {
                let lots: Vec<String> = s
                    .lots
                    .iter()
                    .map(|(lot, report)| format!("{lot} ← {report}"))
                    .collect();
                let _ = write!(line, ", lots {}", lots.join(", "));
            }
            if let Some(d) = &s.detail {
                let _ = write!(line, ": {d}");
            }
            let _ = writeln!(out, "{line}");
        }
    }
    for l in &a.labels {
        let _ = writeln!(out, "  label ({}): \"{}\"", l.cite, l.text);
    }
    if !a.marks.is_empty() {
        let _ = writeln!(out, "  marks: {}", a.marks.join(", "));
    }
}
