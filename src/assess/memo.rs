//! A rule pack's decisions, remembered by what they were decided on.
//!
//! A pack's conditions read a few parts of a product (its categories, its age, a few
//! attributes, whether it has an importer in the market, ...), and most products of a
//! catalogue agree on those parts with many others. Evaluating CEL costs about 1.5 µs a
//! condition, ~100 conditions a product; so the products are keyed by exactly the parts
//! the pack's conditions read ([`Condition::paths`], through every define, certificate,
//! requirement, mark and warning of the pack), and a decision found for one key is the
//! decision for every product with that key: evaluation reads nothing else, and is
//! deterministic. What a condition reads, it reads by name from `product` (a path), so
//! two products equal on every path the pack's conditions name evaluate alike, errors
//! and their messages included.
//!
//! A pack whose conditions read the whole `product` (as a value) is not memoised: its
//! key would be the whole record, unique to each product.
//!
//! [`Condition::paths`]: crate::plugins::Condition::paths

use crate::plugins::Condition;
use crate::plugins::rules::Rules;
use cel::Value as V;
use cel::objects::{Key, KeyRef};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Which parts of a value the key holds, from least to most.
#[derive(Debug, Clone, PartialEq)]
enum Need {
    /// Nothing but whether it is there, which the object holding it records.
    Presence,
    /// How long it is (`size()`).
    Size,
    /// These fields (or map keys) only: each one's presence and what is needed of it.
    Fields(BTreeMap<String, Need>),
    /// Every item of a list, each to the same need, and how many there are.
    Items(Box<Need>),
    /// All of it.
    Whole,
}

impl Need {
    /// Widens the need by one path (its segments below this value).
    fn add(&mut self, path: &[&str]) {
        let Some((first, rest)) = path.split_first() else {
            *self = Need::Whole;
            return;
        };
        let first = *first;
        match self {
            Need::Whole => {}
            // Presence is recorded by the object that holds the value.
            _ if first == Condition::PRESENCE && rest.is_empty() => {}
            Need::Presence | Need::Size if first == Condition::SIZE && rest.is_empty() => {
                *self = Need::Size
            }
            // A list's items hold its length.
            Need::Items(_) if first == Condition::SIZE && rest.is_empty() => {}
            Need::Presence | Need::Size if first == Condition::ITEMS => {
                let mut items = Need::Presence;
                items.add(rest);
                *self = Need::Items(Box::new(items));
            }
            Need::Items(items) if first == Condition::ITEMS => items.add(rest),
            Need::Presence if first != Condition::SIZE => {
                let mut field = Need::Presence;
                field.add(rest);
                *self = Need::Fields(BTreeMap::from([(first.to_string(), field)]));
            }
            Need::Fields(fields) if first != Condition::ITEMS && first != Condition::SIZE => fields
                .entry(first.to_string())
                .or_insert(Need::Presence)
                .add(rest),
            // Read as a map and as a list, or by field and by size: all of it.
            _ => *self = Need::Whole,
        }
    }
}

/// How many keys a pack remembers at most, and how many bytes of keys: a catalogue whose
/// products all differ in what the pack reads gains nothing from a memo, and must not
/// hold one the size of the catalogue. Once full, new keys are evaluated as without a memo.
const MAX_KEYS: usize = 1 << 16;
const MAX_KEY_BYTES: usize = 16 << 20;

/// One pack's decisions (`T`) by key, kept across the chunks of one assessment.
pub(super) struct Memo<T> {
    /// What of `product` the key holds; `None`: the pack is not memoised.
    need: Option<Need>,
    decided: HashMap<Box<[u8]>, Arc<T>>,
    key_bytes: usize,
}

impl<T> Memo<T> {
    /// A memo for the pack `rules`, or one that remembers nothing (`enabled` false, or a
    /// pack that reads the whole product).
    pub(super) fn new(rules: &Rules, enabled: bool) -> Self {
        Memo {
            need: enabled.then(|| need_of(rules)).flatten(),
            decided: HashMap::new(),
            key_bytes: 0,
        }
    }

    /// The top-level fields of `product` the key holds (and the pack's conditions
    /// read), or `None` when the pack is not memoised: then it may read them all.
    pub(super) fn fields(&self) -> Option<Vec<&str>> {
        match self.need.as_ref()? {
            Need::Fields(fields) => Some(fields.keys().map(String::as_str).collect()),
            Need::Presence => Some(Vec::new()),
            _ => None,
        }
    }

    /// The key of the product whose CEL fields (by name, as
    /// [`product_fields`](crate::plugins::rules::product_fields) gives them, with at
    /// least the [`Memo::fields`]) are `product`; `None` when it cannot be keyed (no
    /// memo, or a value of a kind products never hold).
    pub(super) fn key(&self, product: &[(&str, V)]) -> Option<Box<[u8]>> {
        let mut out = Vec::with_capacity(64);
        match self.need.as_ref()? {
            Need::Presence => {}
            Need::Fields(fields) => {
                for (name, sub) in fields {
                    match product.binary_search_by(|(n, _)| (*n).cmp(name.as_str())) {
                        Ok(i) => {
                            out.push(1);
                            write(&product[i].1, sub, &mut out)?;
                        }
                        Err(_) => out.push(0),
                    }
                }
            }
            _ => return None,
        }
        Some(out.into_boxed_slice())
    }

    pub(super) fn get(&self, key: &[u8]) -> Option<&Arc<T>> {
        self.decided.get(key)
    }

    /// Remembers `decided` for `key`, unless the memo is full.
    pub(super) fn insert(&mut self, key: Box<[u8]>, decided: Arc<T>) {
        if self.decided.len() >= MAX_KEYS || self.key_bytes + key.len() > MAX_KEY_BYTES {
            return;
        }
        self.key_bytes += key.len();
        self.decided.insert(key, decided);
    }
}

/// What of `product` the conditions of `rules` read, or `None` if they read all of it.
fn need_of(rules: &Rules) -> Option<Need> {
    let conditions = rules
        .defines
        .iter()
        .map(|(_, c)| c)
        .chain(rules.certificates.iter().map(|c| &c.when))
        .chain(
            rules
                .requirements
                .iter()
                .flat_map(|r| std::iter::once(&r.when).chain(&r.satisfied_when)),
        )
        .chain(rules.marks.iter().map(|m| &m.when))
        .chain(rules.warnings.iter().map(|w| &w.when));
    let mut need = Need::Presence;
    for c in conditions {
        for path in &c.paths {
            let segments: Vec<&str> = path.split('.').collect();
            // Other names are defines (whose own paths are here too) and constants.
            if segments.first() == Some(&"product") {
                need.add(&segments[1..]);
            }
        }
    }
    (need != Need::Whole).then_some(need)
}

/// Writes what `need` asks of `v`; every piece says its kind and length, so two values
/// write the same bytes only when they agree on everything `need` asks of them.
fn write(v: &V, need: &Need, out: &mut Vec<u8>) -> Option<()> {
    match (need, v) {
        (Need::Presence, _) => {}
        (Need::Size, V::String(s)) => {
            out.push(b'#');
            length(s.chars().count(), out);
            length(s.len(), out);
        }
        (Need::Size, V::List(items)) => {
            out.push(b'#');
            length(items.len(), out);
        }
        (Need::Size, V::Map(map)) => {
            out.push(b'#');
            length(map.map.len(), out);
        }
        (Need::Fields(fields), V::Map(map)) => {
            out.push(b'{');
            for (name, sub) in fields {
                match map.get(&KeyRef::String(name)) {
                    Some(x) => {
                        out.push(1);
                        write(x, sub, out)?;
                    }
                    None => out.push(0),
                }
            }
        }
        (Need::Items(sub), V::List(items)) => {
            out.push(b'[');
            length(items.len(), out);
            for x in items.iter() {
                write(x, sub, out)?;
            }
        }
        // A map's items (its keys, iterated over), the size of bytes, or a value of
        // another shape than the need expects: all of it.
        _ => whole(v, out)?,
    }
    Some(())
}

fn whole(v: &V, out: &mut Vec<u8>) -> Option<()> {
    match v {
        V::Null => out.push(b'n'),
        V::Bool(b) => out.extend([b'b', u8::from(*b)]),
        V::Int(i) => {
            out.push(b'i');
            out.extend(i.to_le_bytes());
        }
        V::UInt(u) => {
            out.push(b'u');
            out.extend(u.to_le_bytes());
        }
        V::Float(f) => {
            out.push(b'f');
            out.extend(f.to_bits().to_le_bytes());
        }
        V::String(s) => bytes(b's', s.as_bytes(), out),
        V::Bytes(b) => bytes(b'y', b, out),
        V::List(items) => {
            out.push(b'L');
            length(items.len(), out);
            for x in items.iter() {
                whole(x, out)?;
            }
        }
        V::Map(map) => {
            out.push(b'M');
            length(map.map.len(), out);
            // A map's order is its hasher's: sorted, so equal maps write alike.
            let mut entries: Vec<(&Key, &V)> = map.map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            for (k, x) in entries {
                match k {
                    Key::Int(i) => {
                        out.push(b'i');
                        out.extend(i.to_le_bytes());
                    }
                    Key::Uint(u) => {
                        out.push(b'u');
                        out.extend(u.to_le_bytes());
                    }
                    Key::Bool(b) => out.extend([b'b', u8::from(*b)]),
                    Key::String(s) => bytes(b's', s.as_bytes(), out),
                }
                whole(x, out)?;
            }
        }
        // Products hold none of these.
        _ => return None,
    }
    Some(())
}

fn bytes(tag: u8, b: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    length(b.len(), out);
    out.extend_from_slice(b);
}

/// A length, seven bits a byte (most are under 128: one byte).
fn length(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Assessed, assess_site, assess_unmemoised};
    use crate::content::{Age, Product, TestResult};
    use crate::plugins::rules::{RawRules, compile};
    use crate::plugins::{AttrValue, Engine, Plugin};
    use crate::site::Site;
    use std::path::Path;
    use std::sync::Arc;

    fn example_site() -> Site {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        crate::site::load(root, &Default::default())
            .0
            .expect("the example site loads")
    }

    /// splitmix64: varied, and the same on every run.
    fn mix(mut x: u64) -> u64 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    /// `n` variations of each example product: other categories, ages, attributes,
    /// declarations, markets, parties, lots and reports, optional fields left out, so
    /// that many products share what a pack reads and many do not.
    fn varied(site: &Site, n: u64) -> Vec<Arc<Product>> {
        let categories: Vec<&String> = site.vocabulary.categories.keys().collect();
        let markets = &site.vocabulary.markets;
        let mut out = Vec::new();
        for (b, base) in site.content.products.iter().enumerate() {
            out.push(Arc::clone(base));
            for v in 0..n {
                let r = mix((b as u64) << 32 | v);
                let bit = |i: u32| r >> i & 1 == 1;
                let mut p: Product = (**base).clone();
                p.id = format!("{}-v{v:03}", base.id);
                if bit(0) {
                    let k = (r >> 8) as usize;
                    p.categories = vec![categories[k % categories.len()].clone()];
                    if bit(1) {
                        p.categories
                            .push(categories[(k >> 8) % categories.len()].clone());
                    }
                }
                p.age = match (r >> 16) % 8 {
                    0 => None,
                    1 => Some(Age {
                        min_months: 0,
                        max_months: Some(18),
                    }),
                    k => Some(Age {
                        min_months: [0, 18, 36, 60, 96, 156, 200][k as usize - 1],
                        max_months: None,
                    }),
                };
                if bit(2) {
                    for (i, (name, attr)) in site.vocabulary.attributes.iter().enumerate() {
                        let flip = mix(r ^ i as u64).is_multiple_of(4);
                        if let (true, AttrValue::Bool(d)) = (flip, &attr.default) {
                            p.attributes.insert(name.clone(), AttrValue::Bool(!d));
                        }
                    }
                }
                if bit(3) {
                    for (i, name) in site.vocabulary.declarations.keys().enumerate() {
                        p.declarations
                            .insert(name.clone(), mix(r ^ (i as u64) << 8).is_multiple_of(2));
                    }
                }
                if bit(4) {
                    p.markets = markets
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !mix(r ^ (*i as u64) << 16).is_multiple_of(3))
                        .map(|(_, m)| m.clone())
                        .collect();
                }
                if bit(5) {
                    p.image = None;
                }
                if bit(6) {
                    p.model = String::new();
                }
                if bit(7) {
                    p.importers.clear();
                }
                if bit(9) {
                    p.records_custodian = match p.records_custodian.take() {
                        Some(c) if bit(10) => {
                            let mut c = (*c).clone();
                            c.email = None;
                            c.address.clear();
                            Some(Arc::new(c))
                        }
                        Some(_) => None,
                        None => Some(Arc::clone(&p.manufacturer)),
                    };
                }
                if bit(11) {
                    p.lots.truncate(1);
                }
                if bit(12) {
                    p.lots.clear();
                }
                for (i, e) in p.evidence.iter_mut().enumerate() {
                    let s = mix(r ^ (i as u64) << 24);
                    if s.is_multiple_of(5) {
                        e.place = None;
                    }
                    if s.is_multiple_of(7) {
                        e.result = TestResult::Fail;
                    }
                    if s.is_multiple_of(11) {
                        let mut lab = (*e.lab).clone();
                        lab.phone = None;
                        e.lab = Arc::new(lab);
                    }
                }
                if bit(13) {
                    p.evidence.truncate(1);
                }
                out.push(Arc::new(p));
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    fn assert_same(memoised: &Assessed, plain: &Assessed) {
        assert_eq!(memoised.failed, plain.failed);
        assert_eq!(memoised.diagnostics, plain.diagnostics);
        assert_eq!(memoised.by_product.len(), plain.by_product.len());
        for (id, a) in &plain.by_product {
            assert_eq!(memoised.by_product.get(id), Some(a), "{id}");
            // Fixes are not compared by `==` on the JSON, but they are on the struct.
            assert_eq!(
                serde_json::to_string(&memoised.by_product[id]).ok(),
                serde_json::to_string(a).ok()
            );
        }
    }

    /// The shipped packs' keys hold nothing that names one product (its id, name, model
    /// or image), or every product would be a key of its own.
    #[test]
    fn shipped_packs_key_what_products_share() {
        let site = example_site();
        let mut packs = 0;
        for plugin in &site.plugins {
            let Some(rules) = plugin.rules() else {
                continue;
            };
            let need = super::need_of(rules).expect("no shipped pack reads all of `product`");
            let shown = format!("{need:?}");
            for unique in [
                "\"id\"",
                "\"name\"",
                "\"gtin\"",
                "\"sku\"",
                "\"model\": Whole",
                "\"image\": Whole",
            ] {
                assert!(!shown.contains(unique), "{}: {shown}", plugin.id);
            }
            packs += 1;
        }
        assert_eq!(packs, 5);
    }

    /// The shipped packs, on the example products and thousands of variations of them
    /// (several chunks, so decisions are remembered from one chunk for the next).
    #[test]
    fn memo_agrees_with_evaluating_every_condition() {
        let mut site = example_site();
        site.content.products = varied(&site, 150);
        assert!(site.content.products.len() > 2 * super::super::CHUNK);
        let memoised = assess_site(&site);
        let plain = assess_unmemoised(&site);
        assert!(plain.failed.is_empty(), "{:?}", plain.diagnostics);
        let assessments: usize = plain.by_product.values().map(Vec::len).sum();
        assert!(assessments > site.content.products.len(), "{assessments}");
        assert_same(&memoised, &plain);
    }

    /// A pack whose conditions fail for some products (an optional field read without
    /// `has()`): the same product fails with the same message, memo or not.
    #[test]
    fn memo_fails_where_evaluation_fails() {
        let mut site = example_site();
        site.content.products = varied(&site, 60);
        let raw = RawRules {
            define: [
                ("young", "product.age.min_months < 36"),
                ("tested", "product.evidence.exists(e, e.result == 'pass')"),
            ]
            .map(|(n, c)| (n.to_string(), c.to_string()))
            .to_vec(),
            ..RawRules::default()
        };
        let yaml = r#"
- id: young
  cite: X1
  title: Young
  when: "young && tested"
  evidence: record
  satisfied_when: "product.records_custodian.email != ''"
"#;
        let raw = RawRules {
            requirements: serde_yaml::from_str(yaml).unwrap(),
            ..raw
        };
        let rules = compile(&raw, &site.vocabulary).unwrap();
        let plugin = Plugin {
            id: "test-fails".into(),
            name: "Fails".into(),
            version: "1".into(),
            markets: site.vocabulary.markets.clone(),
            file: "plugins/test-fails/plugin.yaml".into(),
            vocabulary: Default::default(),
            engine: Engine::Rules(rules),
        };
        // Every product fails when the first one without an age is reached...
        site.plugins.push(plugin);
        let memoised = assess_site(&site);
        let plain = assess_unmemoised(&site);
        assert_eq!(plain.failed, ["test-fails"]);
        assert_same(&memoised, &plain);
        // ... and, with every age given, at the first young product with a report but
        // no records custodian.
        let products: Vec<Arc<Product>> = site
            .content
            .products
            .iter()
            .map(|p| {
                let mut p = (**p).clone();
                p.age.get_or_insert(Age {
                    min_months: 12,
                    max_months: None,
                });
                Arc::new(p)
            })
            .collect();
        site.content.products = products;
        let memoised = assess_site(&site);
        let plain = assess_unmemoised(&site);
        assert_eq!(plain.failed, ["test-fails"]);
        assert!(
            plain
                .diagnostics
                .iter()
                .any(|d| d.message.contains("requirement `young`")),
            "{:?}",
            plain.diagnostics
        );
        assert_same(&memoised, &plain);
    }
}
