//! What each product's and each certificate's files are made from, hashed: the keys a
//! build keeps in its manifest ([`Inputs`]) so that the next one renders again only the
//! products and certificates whose key changed, and links every other file from the
//! output it replaces without rendering or reading it (issue 17: a rebuild after one
//! product's edit takes a fraction of a full build).
//!
//! A key hashes what the pipeline *loaded*, not the files it read: a product as the
//! loader resolved it (the parties it names included, so an edited party changes the
//! key of every product naming it), its assessments, and the ledger versions and standing
//! of its certificates; a certificate's versions and standing, and whether the products
//! its versions name exist and how they are assessed (its page says so). What any page
//! may show besides (configuration, plugins, theme, guidance, assets, static files, the
//! date, the binary) is one site-wide fingerprint, [`Inputs::site`]: when it changes,
//! everything is rendered. The files drawn from many products (home list pages, lookup
//! shards, API index, sitemap, redirects) are made again by every build.
//!
//! A hash that cannot be made (a value JSON cannot hold) is a key that equals nothing, so
//! its owner is always rendered: a missed change would publish a stale page.

use super::Only;
use crate::assess::Assessed;
use crate::content::Product;
use crate::output::manifest::{Entry, Inputs, KeptKeys, Manifest};
use crate::register::Register;
use crate::site::Site;
use crate::url::{self, Owner};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The key of something that could not be hashed: never equal to a key read back.
const UNHASHABLE: &str = "unhashable";

/// A key being made: texts and values (as JSON, written straight into the hash through
/// sha2's `io::Write`, not held) fed in order.
#[derive(Clone)]
struct Hashing(Sha256);

impl Hashing {
    fn new(kind: &str) -> Hashing {
        let mut h = Hashing(Sha256::new());
        h.text(kind);
        h
    }

    /// `text`, ended so that no two sequences of texts feed the same bytes.
    fn text(&mut self, text: &str) {
        self.0.update((text.len() as u64).to_le_bytes());
        self.0.update(text.as_bytes());
    }

    fn json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Option<()> {
        serde_json::to_writer(&mut self.0, value).ok()?;
        self.0.update(b"\n");
        Some(())
    }

    /// The first 16 bytes as hex: enough to tell versions of one record apart.
    fn finish(self) -> String {
        crate::fingerprint::hex(&self.0.finalize()[..16])
    }
}

/// The keys of every product and certificate of the site as loaded, assessed and reviewed,
/// with `site_key` (the fingerprint of all its other sources). `lists` is left empty:
/// the render fills it.
pub fn of(site: &Site, assessed: &Assessed, register: &Register, site_key: String) -> Inputs {
    let ledger = register.ledger();
    // Every certificate number a page may be made for: the ledger's and (`serve`) the
    // previews'.
    let numbers: BTreeSet<&str> = ledger
        .certificates
        .keys()
        .map(String::as_str)
        .chain(register.previews().map(|v| v.number.as_str()))
        .collect();
    let numbers: Vec<&str> = numbers.into_iter().collect();
    // Each certificate as the register holds it, and each product's assessments.
    let certificate: HashMap<&str, Option<String>> = numbers
        .par_iter()
        .map(|n| (*n, standing(register, n)))
        .collect();
    let assessment: HashMap<&str, Option<String>> = assessed
        .by_product
        .par_iter()
        .map(|(id, a)| (id.as_str(), assessment_key(a)))
        .collect();
    // The certificates whose versions name a product, whether it is assessed for them
    // now or not (a retired certificate is still its own).
    let mut named: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for (number, versions) in &ledger.certificates {
        for v in versions {
            named
                .entry(v.snapshot.product.id.as_str())
                .or_default()
                .insert(number);
        }
    }
    let exists: HashSet<&str> = site
        .content
        .products
        .iter()
        .map(|p| p.id.as_str())
        .collect();

    let products = site
        .content
        .products
        .par_iter()
        .map(|p| {
            let key = product(p, assessed, register, &assessment, &certificate, &named);
            (p.id.clone(), key.unwrap_or_else(|| UNHASHABLE.into()))
        })
        .collect();
    let certificates = numbers
        .par_iter()
        .map(|n| {
            let key = certificate_key(n, register, &certificate, &assessment, &exists);
            (n.to_string(), key.unwrap_or_else(|| UNHASHABLE.into()))
        })
        .collect();
    Inputs {
        site: site_key,
        products,
        certificates,
        lists: Vec::new(),
    }
}

/// A product's key: its record as loaded, its assessments, and every certificate it is
/// assessed for or its name is on.
fn product(
    p: &Product,
    assessed: &Assessed,
    register: &Register,
    assessment: &HashMap<&str, Option<String>>,
    certificate: &HashMap<&str, Option<String>>,
    named: &HashMap<&str, BTreeSet<&str>>,
) -> Option<String> {
    let mut h = product_head(p, assessment.get(p.id.as_str()))?;
    for n in product_numbers(p, assessed, named.get(p.id.as_str())) {
        h.text(n);
        // A number never issued nor previewed is not among those listed: its standing.
        match certificate.get(n) {
            Some(key) => h.text(key.as_deref()?),
            None => h.text(&standing(register, n)?),
        }
    }
    Some(h.finish())
}

/// A product's key up to its certificates: its record and its assessments' key (`None`
/// when it has no assessments: then it has no key).
fn product_head(p: &Product, assessment: Option<&Option<String>>) -> Option<Hashing> {
    let mut h = Hashing::new("product");
    h.json(p)?;
    h.text(assessment.cloned().flatten()?.as_str());
    Some(h)
}

/// The certificates a product's key covers, in order: those it is assessed for and
/// those whose versions name it (`named`).
fn product_numbers<'a>(
    p: &Product,
    assessed: &'a Assessed,
    named: Option<&BTreeSet<&'a str>>,
) -> BTreeSet<&'a str> {
    assessed
        .by_product
        .get(&p.id)
        .into_iter()
        .flatten()
        .filter_map(|a| a.certificate.as_ref().map(|c| c.number.as_str()))
        .chain(named.into_iter().flatten().copied())
        .collect()
}

fn assessment_key(a: &[crate::assess::Assessment]) -> Option<String> {
    let mut h = Hashing::new("assessments");
    h.json(a).map(|()| h.finish())
}

/// A certificate as the register holds it: its standing, and every version (and the
/// preview) with its content.
fn standing(register: &Register, number: &str) -> Option<String> {
    let entry = register.entry(number);
    let mut h = Hashing::new("certificate");
    h.text(&format!("{:?}", entry.standing));
    let versions = entry.versions.iter().map(|v| (false, v));
    for (preview, v) in versions.chain(entry.preview.map(|v| (true, v))) {
        h.text(if preview { "preview" } else { "version" });
        h.text(&v.version.to_string());
        h.text(&v.issued.to_string());
        h.text(&v.hash);
        h.json(&v.snapshot)?;
    }
    Some(h.finish())
}

/// A certificate's key: itself ([`standing`]), and for each product its versions name,
/// whether it exists and its assessments (a blocked certificate's page lists its gaps).
fn certificate_key(
    number: &str,
    register: &Register,
    certificate: &HashMap<&str, Option<String>>,
    assessment: &HashMap<&str, Option<String>>,
    exists: &HashSet<&str>,
) -> Option<String> {
    let entry = register.entry(number);
    let products: BTreeSet<&str> = entry
        .versions
        .iter()
        .chain(entry.preview)
        .map(|v| v.snapshot.product.id.as_str())
        .collect();
    certificate_page_key(
        certificate.get(number)?.as_deref()?,
        products,
        |id| assessment.get(id).map(Option::as_deref),
        |id| exists.contains(id),
    )
}

/// [`certificate_key`] from the certificate's own key, the products its versions name
/// (in order), their assessments' keys (`None`: not assessed) and whether they exist.
fn certificate_page_key<'a>(
    standing: &str,
    products: impl IntoIterator<Item = &'a str>,
    assessment: impl Fn(&str) -> Option<Option<&'a str>>,
    exists: impl Fn(&str) -> bool,
) -> Option<String> {
    let mut h = Hashing::new("certificate page");
    h.text(standing);
    for id in products {
        h.text(id);
        h.text(if exists(id) { "exists" } else { "gone" });
        match assessment(id) {
            Some(key) => h.text(key?),
            None => h.text("not assessed"),
        }
    }
    Some(h.finish())
}

/// The keys [`of`] makes, made a batch at a time (a build in batches, [`crate::batch`]):
/// each batch's assessments, certificates and products are hashed with the batch, and a
/// product's key is finished once every batch is in, since a certificate its name is on
/// may be reviewed in another batch (or none: retired).
pub struct Gathered {
    /// Product id → the numbers of the ledger's certificates whose versions name it.
    named: HashMap<Box<str>, Vec<Box<str>>>,
    /// Each ledger certificate's own key ([`standing`]), from the batch that rendered it.
    certificates: HashMap<Box<str>, Option<String>>,
    /// Each assessed product's assessments' key.
    assessments: HashMap<Box<str>, Option<String>>,
    products: Vec<Pending>,
    /// The products hashed so far, and where the last batch's begin in `products`.
    seen: HashSet<Box<str>>,
    last_batch: usize,
}

/// A product's key, waiting for the keys of the ledger's certificates.
struct Pending {
    id: String,
    /// `None`: the product has no key (see [`product_head`]).
    head: Option<Hashing>,
    /// Each number with its certificate's key, when it is not in the ledger (`None`:
    /// the ledger's, taken from [`Gathered::certificates`] at the end).
    numbers: Vec<(Box<str>, Option<Option<String>>)>,
}

impl Gathered {
    pub fn new(index: &crate::ledger::Index) -> Gathered {
        let mut named: HashMap<Box<str>, Vec<Box<str>>> = HashMap::new();
        for (number, ids) in index.named() {
            for id in ids {
                named.entry(id.clone()).or_default().push(number.into());
            }
        }
        Gathered {
            named,
            certificates: HashMap::new(),
            assessments: HashMap::new(),
            products: Vec::new(),
            seen: HashSet::new(),
            last_batch: 0,
        }
    }

    /// Hashes a batch: `site`'s products, `assessed` their assessments, `register` the
    /// certificates the batch rendered (whose standing it reviewed).
    pub fn batch(
        &mut self,
        site: &Site,
        assessed: &Assessed,
        register: &Register,
        index: &crate::ledger::Index,
    ) {
        let assessments: Vec<(Box<str>, Option<String>)> = assessed
            .by_product
            .par_iter()
            .map(|(id, a)| (id.as_str().into(), assessment_key(a)))
            .collect();
        self.assessments.extend(assessments);
        let numbers: Vec<&String> = register.ledger().certificates.keys().collect();
        let certificates: Vec<(Box<str>, Option<String>)> = numbers
            .par_iter()
            .map(|n| (n.as_str().into(), standing(register, n)))
            .collect();
        self.certificates.extend(certificates);
        let (named, assessments) = (&self.named, &self.assessments);
        let pending: Vec<Pending> = site
            .content
            .products
            .par_iter()
            .map(|p| {
                let names: Option<BTreeSet<&str>> = named
                    .get(p.id.as_str())
                    .map(|ns| ns.iter().map(|n| &**n).collect());
                let numbers = product_numbers(p, assessed, names.as_ref())
                    .into_iter()
                    .map(|n| {
                        let key = (!index.contains(n)).then(|| standing(register, n));
                        (n.into(), key)
                    })
                    .collect();
                Pending {
                    id: p.id.clone(),
                    head: product_head(p, assessments.get(p.id.as_str())),
                    numbers,
                }
            })
            .collect();
        self.last_batch = self.products.len();
        self.seen
            .extend(pending.iter().map(|p| p.id.as_str().into()));
        self.products.extend(pending);
    }

    /// What of the batch just hashed differs from the keys `kept` (the previous build's)
    /// or cannot be told yet, and so is rendered again: its products whose key differs or
    /// names a certificate no batch has reviewed yet, and its certificates (`register`'s)
    /// whose page key differs or names a product no batch has hashed yet (`exists`: the
    /// products the site has).
    pub fn changed(
        &self,
        register: &Register,
        index: &crate::ledger::Index,
        exists: &HashSet<&str>,
        kept: &KeptKeys,
    ) -> Only {
        let products = self.products[self.last_batch..]
            .par_iter()
            .filter(|p| {
                !self
                    .settled(p)
                    .is_some_and(|key| kept.product_is(&p.id, &key))
            })
            .map(|p| p.id.clone())
            .collect();
        let numbers: Vec<&String> = register.ledger().certificates.keys().collect();
        let certificates = numbers
            .par_iter()
            .filter(|n| {
                !self
                    .page_key(n, index.named_of(n).unwrap_or_default(), exists, true)
                    .is_some_and(|key| kept.certificate_is(n, &key))
            })
            .map(|n| n.to_string())
            .collect();
        Only {
            products,
            certificates,
        }
    }

    /// A product's key, when the keys of the certificates it names are all in.
    fn settled(&self, p: &Pending) -> Option<String> {
        let mut h = p.head.clone()?;
        for (n, key) in &p.numbers {
            h.text(n);
            let key = match key {
                Some(key) => key.as_deref(),
                None => self.certificates.get(n).and_then(Option::as_deref),
            };
            h.text(key?);
        }
        Some(h.finish())
    }

    /// The page key of ledger certificate `n`, whose versions name the products `ids`;
    /// `None` when it cannot be made (or, `settled_only`, not yet: a product it names
    /// that the site has was not hashed yet).
    fn page_key(
        &self,
        n: &str,
        ids: &[Box<str>],
        exists: &HashSet<&str>,
        settled_only: bool,
    ) -> Option<String> {
        if settled_only
            && ids
                .iter()
                .any(|id| exists.contains(&**id) && !self.seen.contains(id))
        {
            return None;
        }
        let standing = self.certificates.get(n)?.as_deref()?;
        certificate_page_key(
            standing,
            ids.iter().map(|id| &**id),
            |id| self.assessments.get(id).map(Option::as_deref),
            |id| exists.contains(id),
        )
    }

    /// The keys of every product and certificate, with `site_key`; `exists` tells the
    /// products the site has.
    pub fn finish(
        self,
        index: &crate::ledger::Index,
        exists: &HashSet<&str>,
        site_key: String,
    ) -> Inputs {
        let products = self
            .products
            .par_iter()
            .map(|p| {
                let key = self.settled(p);
                (p.id.clone(), key.unwrap_or_else(|| UNHASHABLE.into()))
            })
            .collect();
        let named: Vec<(&str, &[Box<str>])> = index.named().collect();
        let certificates = named
            .par_iter()
            .map(|(n, ids)| {
                let key = self.page_key(n, ids, exists, false);
                (n.to_string(), key.unwrap_or_else(|| UNHASHABLE.into()))
            })
            .collect();
        Inputs {
            site: site_key,
            products,
            certificates,
            lists: Vec::new(),
        }
    }
}

/// A render of only what changed since the output a manifest describes, and the files of
/// that output to link into the new one as they are.
#[derive(Debug)]
pub struct Plan {
    pub only: Only,
    /// Path and manifest entry of every file to link unread, intact.
    pub carry: Vec<(String, Entry)>,
    /// The other files of that output still intact: a file rendered again with the same
    /// bytes is linked to its one (keeping its time) instead of written.
    pub reuse: HashMap<String, Entry>,
}

/// Who a file of the output belongs to, as the site stands now.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Whose<'a> {
    Product(&'a str),
    Certificate(&'a str),
    /// No product or certificate: pages and files made from the site-wide sources
    /// (guidance, the 404 page, static files, schemas).
    Site,
    /// A product or certificate the site no longer has, or a list made again: not kept.
    Gone,
}

/// What the build of `now` (the keys of the site as it stands, [`of`]) must render, and
/// which files of the output `before` describes (at `target`) it links as they are; `None`
/// when it must render everything: no keys were kept, a site-wide source changed, or a
/// file that belongs to no product or certificate was edited or removed by hand.
/// `all_labels`: the labels of every product are printed again (the label sheet holds
/// them all), so none is linked unread.
pub fn plan(
    before: &Manifest,
    target: &std::path::Path,
    now: &Inputs,
    site: &Site,
    all_labels: bool,
) -> Option<Plan> {
    let kept = before.inputs.as_ref()?;
    if kept.site != now.site {
        return None;
    }
    let changed = |old: &BTreeMap<String, String>, new: &BTreeMap<String, String>| {
        new.iter()
            .filter(|(k, v)| *v == UNHASHABLE || old.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .collect::<HashSet<String>>()
    };
    let mut only = Only {
        products: changed(&kept.products, &now.products),
        certificates: changed(&kept.certificates, &now.certificates),
    };
    // The owners of the files as they are named in paths (encoded ids, GTIN-14s).
    let products: HashMap<String, &str> = site
        .content
        .products
        .iter()
        .map(|p| (url::encode_segment(&p.id), p.id.as_str()))
        .collect();
    let gtins: HashMap<String, &str> = site
        .content
        .products
        .iter()
        .filter_map(|p| Some((p.gtin?.as_gtin14(), p.id.as_str())))
        .collect();
    let certificates: HashMap<String, &str> = now
        .certificates
        .keys()
        .map(|n| (url::encode_segment(n), n.as_str()))
        .collect();
    let lists: HashSet<&str> = kept.lists.iter().map(String::as_str).collect();
    let whose = |rel: &str| match url::owner(rel) {
        _ if all_labels && rel.starts_with("labels/") => Whose::Gone,
        Some(Owner::Product(id)) => products.get(id).map_or(Whose::Gone, |p| Whose::Product(p)),
        Some(Owner::Gtin(g)) => gtins.get(g).map_or(Whose::Gone, |p| Whose::Product(p)),
        Some(Owner::Certificate(n)) => certificates
            .get(n)
            .map_or(Whose::Gone, |c| Whose::Certificate(c)),
        None if lists.contains(rel) => Whose::Gone,
        None => Whose::Site,
    };
    // Every file is looked at on disk: one rendered again with the same bytes keeps its
    // time only if it is as the manifest says.
    let files: Vec<(&String, &Entry, Whose, bool)> = before
        .files
        .par_iter()
        .map(|(rel, e)| (rel, e, whose(rel), e.intact(target, rel)))
        .collect();
    // A file edited or removed by hand is made again with all its owner's files; one
    // that belongs to no one cannot be made alone.
    for (_, _, who, intact) in &files {
        match (who, intact) {
            (_, true) | (Whose::Gone, _) => {}
            (Whose::Product(p), false) => {
                only.products.insert(p.to_string());
            }
            (Whose::Certificate(c), false) => {
                only.certificates.insert(c.to_string());
            }
            (Whose::Site, false) => return None,
        }
    }
    let mut carry = Vec::new();
    let mut reuse = HashMap::new();
    for (rel, e, who, intact) in files {
        let kept = match who {
            Whose::Product(p) => !only.products.contains(p),
            Whose::Certificate(c) => !only.certificates.contains(c),
            Whose::Site => true,
            Whose::Gone => false,
        };
        // (A file kept is intact: its owner, had it not been, is rendered again.)
        match (kept, intact) {
            (true, true) => carry.push((rel.clone(), *e)),
            (false, true) => {
                reuse.insert(rel.clone(), *e);
            }
            _ => {}
        }
    }
    Some(Plan { only, carry, reuse })
}
