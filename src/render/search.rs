//! The static lookup index behind the home page's search box (SPEC §6): terms from each
//! product's name, brand, model, GTIN, SKU, lot codes and certificate numbers, split into
//! shards by term prefix so one keystroke fetches one small file however large the site.
//!
//! Shards form a prefix tree. A node whose terms carry more than [`SHARD_HITS`] hits is
//! split by the next character; the terms equal to its own prefix stay behind in an
//! `exact` shard. So the shard for a query word is either the one unsplit shard whose
//! prefix starts the word, or every shard whose prefix the word starts (the theme's
//! `lookup.js` implements exactly this).

use crate::assess::Assessed;
use crate::register::Register;
use crate::site::Site;
use crate::url;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Hits in one shard before it splits.
const SHARD_HITS: usize = 500;
/// Products listed under one term; beyond this a term says `more` and the lookup asks
/// for another word (a brand on a 100,000-product site would otherwise be a 10 MB term).
const TERM_HITS: usize = 100;

/// A search term: lower-case letters and digits only, so `LO-RS-01`, `lo rs01` and
/// `LORS01` meet; an all-digit term loses its leading zeros, so a GTIN matches in any
/// of its 8-, 12-, 13- or 14-digit forms. `lookup.js` normalises queries the same way.
pub fn normalise(text: &str) -> String {
    let t: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let stripped = t.trim_start_matches('0');
        return if stripped.is_empty() { "0" } else { stripped }.to_string();
    }
    t
}

/// The words of a name: each space-separated word as a whole (`Rainbow-Stacker` →
/// `rainbowstacker`, as a query word typed that way normalises) and each run of letters
/// and digits in it (`rainbow`, `stacker`).
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split_whitespace()
        .map(normalise)
        .chain(text.split(|c: char| !c.is_alphanumeric()).map(normalise))
        .filter(|w| !w.is_empty())
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
enum Field {
    Name,
    Brand,
    Model,
    Gtin,
    Sku,
    Lot,
    Certificate,
}

/// A hit as held (for every product of a large site at once, so small): its lot's or
/// certificate's page URL is made when its shard is written ([`Listed`]).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    /// Index into the site's products.
    product: u32,
    field: Field,
    /// For lot and certificate hits: which lot or certificate.
    value: Option<Box<str>>,
}

/// A hit as a shard lists it.
#[derive(Serialize)]
struct Listed<'a> {
    /// Index into the shard's products.
    #[serde(rename = "p")]
    product: usize,
    field: Field,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    /// For lot and certificate hits: its page.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct Term<'a> {
    term: &'a str,
    /// More products have this term than are listed.
    more: bool,
    hits: Vec<Listed<'a>>,
}

/// A product as a shard lists it: what a lookup shows before the product page opens.
#[derive(Serialize)]
pub struct ProductRef<'a> {
    id: &'a str,
    name: &'a str,
    brand: Option<&'a str>,
    model: &'a str,
    gtin: Option<std::borrow::Cow<'a, str>>,
    url: std::borrow::Cow<'a, str>,
}

impl<'a> ProductRef<'a> {
    fn of(p: &'a crate::content::Product, base: &str) -> ProductRef<'a> {
        ProductRef {
            id: &p.id,
            name: &p.name,
            brand: p.brand.as_deref(),
            model: &p.model,
            gtin: p.gtin.map(|g| g.as_gtin14().into()),
            url: url::product(&p.id).under(base).into(),
        }
    }

    /// The same, from the product's row in the home list (which holds the same values).
    pub fn of_summary(s: &'a super::view::ProductSummary) -> ProductRef<'a> {
        ProductRef {
            id: &s.id,
            name: &s.name,
            brand: s.brand.as_deref(),
            model: &s.model,
            gtin: s.gtin.as_deref().map(Into::into),
            url: s.url.as_str().into(),
        }
    }
}

/// A product's (term, hit) pairs.
pub type Postings = Vec<(String, Hit)>;

#[derive(Serialize)]
struct Shard<'a> {
    #[serde(rename = "$schema")]
    schema: String,
    prefix: &'a str,
    exact: bool,
    products: Vec<ProductRef<'a>>,
    terms: Vec<Term<'a>>,
}

/// The shard list. A shard's file is `s` + its prefix's UTF-8 in hex + `.json` in
/// `path` (`-exact.json` for exact shards): the list stays a few bytes per shard, so a
/// 100,000-product site's list is still one small request.
#[derive(Serialize)]
struct Manifest {
    #[serde(rename = "$schema")]
    schema: String,
    /// Terms list at most this many products (see `more`).
    term_hits: usize,
    /// Root-relative folder of the shard files.
    path: String,
    /// Prefixes of the shards that hold every term starting with them.
    shards: Vec<String>,
    /// Prefixes of the shards that hold only the term equal to them.
    exact: Vec<String>,
}

/// What the index was last made from, kept by `serve`: after an edit only the edited
/// products' terms are found again, and only the shards holding a term whose hits
/// changed are encoded again (a 10,000-product site has about 500 shards; an edit
/// touches a handful).
#[derive(Default)]
pub struct Memo {
    /// Each product's (term, hit) pairs, sorted and deduplicated, in the order of the
    /// site's products.
    postings: Vec<Postings>,
    /// Every term's hits, sorted.
    terms: BTreeMap<String, Vec<Hit>>,
    /// Each shard's file as last encoded, by prefix and exactness.
    shards: HashMap<(String, bool), Arc<[u8]>>,
}

impl Memo {
    /// Finds the terms again: every product's (`changed: None`), or only those of the
    /// products named. Returns the terms whose hits may differ from the last call's
    /// (`None`: all of them).
    fn update(
        &mut self,
        site: &Site,
        assessed: &Assessed,
        register: &Register,
        changed: Option<&HashSet<String>>,
    ) -> Option<BTreeSet<String>> {
        let products = &site.content.products;
        let changed = changed.filter(|_| self.postings.len() == products.len());
        let Some(changed) = changed else {
            self.postings = products
                .par_iter()
                .enumerate()
                .map(|(i, p)| product_postings(i, p, assessed, register))
                .collect();
            self.terms = group(self.postings.par_iter().flatten().cloned().collect());
            self.shards.clear();
            return None;
        };
        let mut dirty = BTreeSet::new();
        for (i, p) in products.iter().enumerate() {
            if !changed.contains(&p.id) {
                continue;
            }
            let new = product_postings(i, p, assessed, register);
            for (term, hit) in std::mem::replace(&mut self.postings[i], new) {
                if let Some(hits) = self.terms.get_mut(&term) {
                    if let Ok(at) = hits.binary_search(&hit) {
                        hits.remove(at);
                    }
                    if hits.is_empty() {
                        self.terms.remove(&term);
                    }
                }
                dirty.insert(term);
            }
            for (term, hit) in &self.postings[i] {
                let hits = self.terms.entry(term.clone()).or_default();
                if let Err(at) = hits.binary_search(hit) {
                    hits.insert(at, hit.clone());
                }
                dirty.insert(term.clone());
            }
        }
        Some(dirty)
    }
}

/// Every term with its hits, from every product's (term, hit) pairs.
fn group(mut all: Postings) -> BTreeMap<String, Vec<Hit>> {
    // One parallel sort of every pair (a map of every term, filled one by one, took most
    // of the index's time on a large site).
    all.par_sort_unstable();
    let mut terms: Vec<(String, Vec<Hit>)> = Vec::new();
    for (term, hit) in all {
        match terms.last_mut() {
            Some((t, hits)) if *t == term => hits.push(hit),
            _ => terms.push((term, vec![hit])),
        }
    }
    terms.into_iter().collect()
}

/// The (term, hit) pairs of product number `i`.
pub fn product_postings(
    i: usize,
    p: &crate::content::Product,
    assessed: &Assessed,
    register: &Register,
) -> Vec<(String, Hit)> {
    let mut out = Vec::new();
    {
        let mut add = |term: String, field: Field, value: Option<&str>| {
            if term.is_empty() {
                return;
            }
            let hit = Hit {
                product: u32::try_from(i).expect("fewer than 4 billion products"),
                field,
                value: value.map(Into::into),
            };
            out.push((term, hit));
        };
        for w in words(&p.name) {
            add(w, Field::Name, None);
        }
        for w in p.brand.iter().flat_map(|b| words(b)) {
            add(w, Field::Brand, None);
        }
        add(normalise(&p.model), Field::Model, None);
        if let Some(g) = p.gtin {
            add(normalise(&g.as_gtin14()), Field::Gtin, None);
        }
        if let Some(s) = &p.sku {
            add(normalise(s), Field::Sku, None);
        }
        for l in &p.lots {
            add(normalise(&l.lot), Field::Lot, Some(&l.lot));
        }
        for n in register.numbers_in_force(assessed, &p.id) {
            add(normalise(n), Field::Certificate, Some(n));
        }
    }
    out.sort_unstable();
    // A product's name may repeat a word; one hit per term, field and value is enough.
    out.dedup_by(|a, b| {
        a.0 == b.0 && a.1.product == b.1.product && a.1.field == b.1.field && a.1.value == b.1.value
    });
    out
}

/// Terms with their hits, sorted by term.
type Terms<'t> = [(&'t String, &'t Vec<Hit>)];

/// A shard: its prefix, whether it holds only the term equal to it, and its terms.
type Leaf<'t> = (String, bool, &'t Terms<'t>);

/// The leaves of the prefix tree over `terms`, which all start with `prefix`.
fn split<'t>(prefix: String, terms: &'t Terms<'t>, limit: usize, out: &mut Vec<Leaf<'t>>) {
    let depth = prefix.chars().count();
    let hits: usize = terms.iter().map(|(_, h)| h.len().min(TERM_HITS)).sum();
    let splittable = terms.iter().any(|(t, _)| t.chars().count() > depth);
    if hits <= limit || !splittable {
        out.push((prefix, false, terms));
        return;
    }
    // Sorted terms equal to the prefix come first; the rest group by their next char.
    let exact = terms
        .iter()
        .take_while(|(t, _)| t.chars().count() == depth)
        .count();
    if exact > 0 {
        out.push((prefix.clone(), true, &terms[..exact]));
    }
    let mut rest = &terms[exact..];
    while let Some((first, _)) = rest.first() {
        let c = first.chars().nth(depth).expect("longer than the prefix");
        let n = rest
            .iter()
            .take_while(|(t, _)| t.chars().nth(depth) == Some(c))
            .count();
        split(format!("{prefix}{c}"), &rest[..n], limit, out);
        rest = &rest[n..];
    }
}

/// A shard's file name: `s` and the prefix's UTF-8 in hex (`s.json` for the root), so
/// any prefix is a safe, case-distinct name.
fn file_name(prefix: &str, exact: bool) -> String {
    let hex: String = prefix.bytes().map(|b| format!("{b:02x}")).collect();
    format!("s{hex}{}.json", if exact { "-exact" } else { "" })
}

/// The manifest and every shard. `changed`: the products whose terms may differ from
/// those `memo` holds (`None`: find every product's).
pub fn files(
    site: &Site,
    assessed: &Assessed,
    register: &Register,
    memo: &mut Memo,
    changed: Option<&HashSet<String>>,
) -> Vec<(String, Arc<[u8]>)> {
    let dirty = memo.update(site, assessed, register, changed);
    let (products, base) = (&site.content.products, site.config.base_path());
    shards(site, memo, dirty, &|i| ProductRef::of(&products[i], base))
}

/// The manifest and every shard of a site rendered in batches, from every product's
/// (term, hit) pairs, numbered in the order of the site's products, and `product`, the
/// product of each number.
pub fn files_of<'p>(
    site: &Site,
    postings: Postings,
    product: &(dyn Fn(usize) -> ProductRef<'p> + Sync),
) -> Vec<(String, Arc<[u8]>)> {
    let mut memo = Memo {
        terms: group(postings),
        ..Memo::default()
    };
    shards(site, &mut memo, None, product)
}

/// The manifest and the shards over `memo`'s terms (only those holding a term in `dirty`
/// encoded again, unless `None`), `product` giving each numbered product.
fn shards<'p>(
    site: &Site,
    memo: &mut Memo,
    dirty: Option<BTreeSet<String>>,
    product: &(dyn Fn(usize) -> ProductRef<'p> + Sync),
) -> Vec<(String, Arc<[u8]>)> {
    let base_url = site.config.base_url.as_str();
    let base = site.config.base_path();
    let schema = url::schema("search.schema.json").under(base_url);
    let sorted: Vec<(&String, &Vec<Hit>)> = memo.terms.iter().collect();
    let mut leaves = Vec::new();
    split(String::new(), &sorted, SHARD_HITS, &mut leaves);
    // A shard holds every term under its prefix (or, exact, the one equal to it): one
    // whose prefix covers no term whose hits changed is the same file as before.
    let touched = |prefix: &str, exact: bool| {
        dirty.as_ref().is_none_or(|d| {
            d.range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|t| t.starts_with(prefix))
            .any(|t| !exact || t.as_str() == prefix)
        })
    };

    let (mut shards, mut exacts) = (Vec::new(), Vec::new());
    for (prefix, exact, _) in &leaves {
        if *exact { &mut exacts } else { &mut shards }.push(prefix.clone());
    }
    // Shards are independent: written in parallel, listed in order.
    let kept = &memo.shards;
    let mut files: Vec<(String, Arc<[u8]>)> = leaves
        .par_iter()
        .map(|(prefix, exact, terms)| {
            let name = file_name(prefix, *exact);
            let path = url::search_file(&name).file();
            if !touched(prefix, *exact)
                && let Some(bytes) = kept.get(&(prefix.clone(), *exact))
            {
                return (path, Arc::clone(bytes));
            }
            // Products this shard mentions, numbered locally in order of first mention.
            let mut local: BTreeMap<u32, usize> = BTreeMap::new();
            let mut products: Vec<ProductRef> = Vec::new();
            let terms = terms
                .iter()
                .map(|(term, hits)| Term {
                    term,
                    more: hits.len() > TERM_HITS,
                    hits: hits
                        .iter()
                        .take(TERM_HITS)
                        .map(|h| {
                            let next = local.len();
                            let n = *local.entry(h.product).or_insert_with(|| {
                                products.push(product(h.product as usize));
                                next
                            });
                            let value = h.value.as_deref();
                            let id = products[n].id;
                            let page = match (h.field, value) {
                                (Field::Lot, Some(lot)) => Some(url::lot(id, lot)),
                                (Field::Certificate, Some(n)) => Some(url::certificate(n)),
                                _ => None,
                            };
                            Listed {
                                product: n,
                                field: h.field,
                                value,
                                url: page.map(|p| p.under(base)),
                            }
                        })
                        .collect(),
                })
                .collect();
            let shard = Shard {
                schema: schema.clone(),
                prefix,
                exact: *exact,
                products,
                terms,
            };
            (
                path,
                Arc::from(serde_json::to_vec(&shard).expect("plain data")),
            )
        })
        .collect();
    memo.shards = leaves
        .iter()
        .zip(&files)
        .map(|((prefix, exact, _), (_, bytes))| ((prefix.clone(), *exact), Arc::clone(bytes)))
        .collect();
    let manifest = Manifest {
        schema,
        term_hits: TERM_HITS,
        path: url::search_folder().under(base),
        shards,
        exact: exacts,
    };
    files.push((
        url::search_manifest().file(),
        Arc::from(serde_json::to_vec(&manifest).expect("plain data")),
    ));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtin_forms_meet() {
        assert_eq!(normalise("00614141000012"), "614141000012");
        assert_eq!(normalise("0614141000012"), "614141000012");
        assert_eq!(normalise("614141000012"), "614141000012");
        assert_eq!(normalise("000"), "0");
        assert_eq!(normalise("LO-RS-01"), "lors01");
        assert_eq!(normalise("Bär"), "bär");
    }

    fn leaves(terms: &[(&str, usize)], limit: usize) -> Vec<(String, bool, Vec<String>)> {
        let owned: Vec<(String, Vec<Hit>)> = terms
            .iter()
            .map(|(t, n)| {
                let hits = (0..*n)
                    .map(|p| Hit {
                        product: p as u32,
                        field: Field::Name,
                        value: None,
                    })
                    .collect();
                (t.to_string(), hits)
            })
            .collect();
        let sorted: Vec<(&String, &Vec<Hit>)> = owned.iter().map(|(t, h)| (t, h)).collect();
        let mut out = Vec::new();
        split(String::new(), &sorted, limit, &mut out);
        out.into_iter()
            .map(|(p, e, ts)| (p, e, ts.iter().map(|(t, _)| t.to_string()).collect()))
            .collect()
    }

    #[test]
    fn small_sites_have_one_shard() {
        let l = leaves(&[("oak", 3), ("rainbow", 1)], SHARD_HITS);
        assert_eq!(
            l,
            vec![(String::new(), false, vec!["oak".into(), "rainbow".into()])]
        );
    }

    #[test]
    fn large_prefixes_split_and_keep_exact_terms() {
        // `ra` alone holds too many hits: it splits, `ra` itself stays in an exact shard.
        let l = leaves(
            &[("r", 1), ("ra", 9), ("rab", 50), ("rac", 50), ("zz", 10)],
            100,
        );
        let prefixes: Vec<(&str, bool)> = l.iter().map(|(p, e, _)| (p.as_str(), *e)).collect();
        assert_eq!(
            prefixes,
            vec![
                ("r", true),
                ("ra", true),
                ("rab", false),
                ("rac", false),
                ("z", false)
            ]
        );
        // Every term is in exactly one shard.
        let all: Vec<String> = l.iter().flat_map(|(_, _, t)| t.clone()).collect();
        assert_eq!(all, vec!["r", "ra", "rab", "rac", "zz"]);
    }
}
