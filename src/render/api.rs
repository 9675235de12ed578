//! The machine-readable twins (SPEC §6): `/api/v1/products/<id>.json` for each product
//! page, `/api/v1/index.json` listing every product, and the JSON Schemas both follow,
//! published under `/api/v1/schemas/`. URLs in them are absolute, for systems that
//! fetch one file without the site around it.

use crate::assess::{Assessed, Assessment};
use crate::content::{Party, Product, Status};
use crate::date::iso;
use crate::ledger::Standing;
use crate::register::Register;
use crate::site::Site;
use crate::url;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Products per index page: a page stays around 300 KB however large the site.
pub const INDEX_PAGE: usize = 1000;

const PRODUCT_SCHEMA: &str = include_str!("schemas/product.schema.json");
const INDEX_SCHEMA: &str = include_str!("schemas/index.schema.json");
const SEARCH_SCHEMA: &str = include_str!("schemas/search.schema.json");

/// (file name under `/api/v1/schemas/`, text).
pub const SCHEMAS: [(&str, &str); 3] = [
    ("product.schema.json", PRODUCT_SCHEMA),
    ("index.schema.json", INDEX_SCHEMA),
    ("search.schema.json", SEARCH_SCHEMA),
];

fn schema_url(base_url: &str, name: &str) -> String {
    url::schema(name).under(base_url)
}

/// Compact, with a final newline: a twin or linkset is written for every product, and
/// indentation was a third of their bytes (`jq .` shows one indented).
pub fn to_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec(value).expect("plain data serialises");
    out.push(b'\n');
    out
}

/// Pretty-printed with a final newline, for the few files people read as they are (the
/// schemas).
pub fn to_pretty_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).expect("plain data serialises");
    out.push(b'\n');
    out
}

/// The schemas, with their `$id` set to where this site publishes them.
pub fn schemas(base_url: &str) -> Vec<(String, Vec<u8>)> {
    SCHEMAS
        .iter()
        .map(|(name, text)| {
            let mut schema: serde_json::Value =
                serde_json::from_str(text).expect("bundled schemas are valid JSON");
            schema["$id"] = schema_url(base_url, name).into();
            (url::schema(name).file(), to_pretty_bytes(&schema))
        })
        .collect()
}

#[derive(Serialize)]
pub struct PartyJson<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub name: &'a str,
    #[serde(flatten)]
    pub mailing: crate::address::Mailing<'a>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub accreditations: &'a BTreeMap<String, String>,
}

impl<'a> PartyJson<'a> {
    fn new(p: &'a Party) -> Self {
        PartyJson {
            id: &p.id,
            kind: p.kind.as_str(),
            name: &p.name,
            mailing: crate::address::Mailing::new(&p.address, p.country.as_deref()),
            email: p.email.as_deref(),
            phone: p.phone.as_deref(),
            accreditations: &p.accreditations,
        }
    }
}

#[derive(Serialize)]
pub struct LotJson<'a> {
    pub lot: &'a str,
    /// `YYYY-MM` or `YYYY-MM-DD`, as the record gives it.
    pub made: String,
    pub place: &'a str,
    pub factory: Option<PartyJson<'a>>,
    pub url: String,
    pub digital_link: Option<String>,
}

#[derive(Serialize)]
pub struct EvidenceJson<'a> {
    pub report: &'a str,
    pub lab: PartyJson<'a>,
    pub date: String,
    pub place: Option<&'a str>,
    pub covers: &'a [String],
    pub result: crate::content::TestResult,
    /// Empty: every lot.
    pub lots: &'a [String],
    pub file: Option<String>,
}

#[derive(Serialize)]
pub struct VersionJson {
    pub version: u32,
    pub issued: String,
    pub hash: String,
    pub url: String,
}

/// A certificate the product has today, with its issued versions.
#[derive(Serialize)]
pub struct CertificateJson<'a> {
    pub number: &'a str,
    pub title: &'a str,
    pub market: &'a str,
    pub plugin: &'a str,
    /// `current`, `changed`, `unissued`, `blocked` or `withdrawn`.
    pub standing: Standing,
    /// An issued version is in force: the certificate is ready and has been issued.
    pub valid: bool,
    /// The page of the certificate (absent until a version is issued).
    pub url: Option<String>,
    pub versions: Vec<VersionJson>,
    /// The lots the version in force lists.
    pub lots: Vec<String>,
}

#[derive(Serialize)]
pub struct Age {
    pub min_months: u32,
    pub max_months: Option<u32>,
}

#[derive(Serialize)]
pub struct ProductJson<'a> {
    #[serde(rename = "$schema")]
    pub schema: String,
    pub generator: String,
    pub as_of: String,
    pub id: &'a str,
    pub name: &'a str,
    pub brand: Option<&'a str>,
    pub model: &'a str,
    /// The 14-digit form.
    pub gtin: Option<String>,
    pub sku: Option<&'a str>,
    pub description: Option<&'a str>,
    pub image: Option<String>,
    pub status: Status,
    pub categories: &'a [String],
    pub age: Option<Age>,
    pub attributes: &'a BTreeMap<String, crate::plugins::AttrValue>,
    pub markets: Vec<&'a str>,
    pub url: String,
    pub digital_link: Option<String>,
    pub linkset: Option<String>,
    pub manufacturer: PartyJson<'a>,
    pub importers: BTreeMap<&'a str, PartyJson<'a>>,
    pub records_custodian: Option<PartyJson<'a>>,
    pub lots: Vec<LotJson<'a>>,
    pub evidence: Vec<EvidenceJson<'a>>,
    pub declarations: &'a BTreeMap<String, bool>,
    /// Each market's assessment, as `certpress check --json` gives it.
    pub assessments: &'a [Assessment],
    pub certificates: Vec<CertificateJson<'a>>,
}

fn certificates<'a>(
    assessments: &'a [Assessment],
    register: &Register,
    base_url: &str,
) -> Vec<CertificateJson<'a>> {
    assessments
        .iter()
        .filter_map(|a| a.certificate.as_ref().map(|c| (a, c)))
        .map(|(a, c)| {
            let entry = register.entry(&c.number);
            CertificateJson {
                number: &c.number,
                title: &c.title,
                market: &a.market,
                plugin: &a.plugin,
                standing: entry.standing,
                valid: entry.valid(),
                url: entry
                    .issued()
                    .then(|| url::certificate(&c.number).under(base_url)),
                versions: entry
                    .versions
                    .iter()
                    .map(|v| VersionJson {
                        version: v.version,
                        issued: iso(v.issued),
                        hash: v.hash.clone(),
                        url: url::certificate_version(&c.number, v.version).under(base_url),
                    })
                    .collect(),
                lots: entry
                    .in_force
                    .map(|v| v.snapshot.lots.iter().map(|l| l.lot.clone()).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

pub fn product<'a>(
    site: &Site,
    p: &'a Product,
    assessed: &'a Assessed,
    register: &Register,
) -> ProductJson<'a> {
    let base_url = site.config.base_url.as_str();
    let gtin14 = p.gtin.map(|g| g.as_gtin14());
    let assessments = assessed
        .by_product
        .get(&p.id)
        .map_or(&[][..], Vec::as_slice);
    ProductJson {
        schema: schema_url(base_url, "product.schema.json"),
        generator: format!("certpress {}", env!("CARGO_PKG_VERSION")),
        as_of: iso(site.as_of),
        id: &p.id,
        name: &p.name,
        brand: p.brand.as_deref(),
        model: &p.model,
        gtin: gtin14.clone(),
        sku: p.sku.as_deref(),
        description: p.description.as_deref(),
        image: p.image.as_ref().map(|i| url::asset(i).under(base_url)),
        status: p.status,
        categories: &p.categories,
        age: p.age.map(|a| Age {
            min_months: a.min_months,
            max_months: a.max_months,
        }),
        attributes: &p.attributes,
        markets: p.markets.iter().map(|m| m.code()).collect(),
        url: url::product(&p.id).under(base_url),
        digital_link: gtin14
            .as_deref()
            .map(|g| url::digital_link_uri(base_url, g, None)),
        linkset: gtin14.as_deref().map(|g| url::linkset(g).under(base_url)),
        manufacturer: PartyJson::new(&p.manufacturer),
        importers: p
            .importers
            .iter()
            .map(|(m, party)| (m.code(), PartyJson::new(party)))
            .collect(),
        records_custodian: p.records_custodian.as_deref().map(PartyJson::new),
        lots: p
            .lots
            .iter()
            .map(|l| LotJson {
                lot: &l.lot,
                made: l.made.to_string(),
                place: &l.place,
                factory: l.factory.as_deref().map(PartyJson::new),
                url: url::lot(&p.id, &l.lot).under(base_url),
                digital_link: gtin14
                    .as_deref()
                    .map(|g| url::digital_link_uri(base_url, g, Some(&l.lot))),
            })
            .collect(),
        evidence: p
            .evidence
            .iter()
            .map(|e| EvidenceJson {
                report: &e.report,
                lab: PartyJson::new(&e.lab),
                date: iso(e.date),
                place: e.place.as_deref(),
                covers: &e.covers,
                result: e.result,
                lots: &e.lots,
                file: e.file.as_ref().map(|f| url::asset(f).under(base_url)),
            })
            .collect(),
        declarations: &p.declarations,
        assessments,
        certificates: certificates(assessments, register, base_url),
    }
}

/// What a GTIN's linkset lists, from the product's twin.
pub fn links<'a>(
    site: &'a Site,
    p: &'a Product,
    twin: &ProductJson,
) -> crate::digital_link::Links<'a> {
    crate::digital_link::Links {
        product: p,
        gtin14: twin.gtin.clone().unwrap_or_default(),
        page: twin.url.clone(),
        lots: p
            .lots
            .iter()
            .zip(&twin.lots)
            .map(|(l, j)| (l.lot.as_str(), j.url.clone()))
            .collect(),
        certificates: twin
            .certificates
            .iter()
            .filter(|c| c.valid)
            .filter_map(|c| {
                c.url
                    .clone()
                    .map(|u| (format!("{} {}", c.title, c.number), u, c.lots.clone()))
            })
            .collect(),
        json: url::product_json(&p.id).under(site.config.base_url.as_str()),
        language: &site.config.language,
    }
}

/// One product in the index.
#[derive(Serialize)]
pub struct Entry<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub brand: Option<&'a str>,
    pub model: &'a str,
    pub gtin: Option<String>,
    pub sku: Option<&'a str>,
    pub status: Status,
    pub markets: Vec<&'a str>,
    pub lots: Vec<&'a str>,
    /// Certificates with an issued version in force.
    pub certificates: Vec<&'a str>,
    pub url: String,
    pub json: String,
}

#[derive(Serialize)]
struct Index<'a, E> {
    #[serde(rename = "$schema")]
    schema: String,
    generator: String,
    title: &'a str,
    base_url: &'a str,
    as_of: String,
    count: usize,
    /// Every product, when they fit one page.
    #[serde(skip_serializing_if = "Option::is_none")]
    products: Option<&'a [E]>,
    /// Otherwise the pages that list them, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pages: Vec<String>,
    /// The as-you-type lookup's shard list.
    search: String,
}

#[derive(Serialize)]
struct IndexPage<'a, E> {
    #[serde(rename = "$schema")]
    schema: String,
    page: usize,
    products: &'a [E],
}

/// A product's entry in the index as JSON, kept by a render in batches after the product
/// is dropped: the same bytes in a page as the entry itself.
pub fn entry_json(
    p: &Product,
    base_url: &str,
    assessed: &Assessed,
    register: &Register,
) -> Box<serde_json::value::RawValue> {
    let json = serde_json::to_string(&entry(p, base_url, assessed, register)).expect("plain data");
    serde_json::value::RawValue::from_string(json).expect("serde_json wrote it")
}

fn entry<'a>(
    p: &'a Product,
    base_url: &str,
    assessed: &'a Assessed,
    register: &'a Register,
) -> Entry<'a> {
    Entry {
        id: &p.id,
        name: &p.name,
        brand: p.brand.as_deref(),
        model: &p.model,
        gtin: p.gtin.map(|g| g.as_gtin14()),
        sku: p.sku.as_deref(),
        status: p.status,
        markets: p.markets.iter().map(|m| m.code()).collect(),
        lots: p.lots.iter().map(|l| l.lot.as_str()).collect(),
        certificates: register.numbers_in_force(assessed, &p.id),
        url: url::product(&p.id).under(base_url),
        json: url::product_json(&p.id).under(base_url),
    }
}

/// The API index's pages as last made, kept by `serve`: an edit makes again only the
/// pages listing a product it changed.
#[derive(Default)]
pub struct IndexMemo {
    pages: Vec<Arc<[u8]>>,
}

/// `/api/v1/index.json`, plus `/api/v1/index/<n>.json` pages on a large site.
/// `changed`: the products whose entries may differ from those `memo` holds (`None`:
/// every product's).
pub fn index(
    site: &Site,
    assessed: &Assessed,
    register: &Register,
    memo: &mut IndexMemo,
    changed: Option<&std::collections::HashSet<String>>,
) -> Vec<(String, Arc<[u8]>)> {
    let base_url = site.config.base_url.as_str();
    let products = &site.content.products;
    let entry = |p| entry(p, base_url, assessed, register);
    let schema = schema_url(base_url, "index.schema.json");
    let mut files = Vec::new();
    let one_page = products.len() <= INDEX_PAGE;
    let mut pages = Vec::new();
    let entries: Vec<Entry> = if one_page {
        memo.pages.clear();
        products.iter().map(|p| entry(p)).collect()
    } else {
        let count = products.len().div_ceil(INDEX_PAGE);
        let changed = changed.filter(|_| memo.pages.len() == count);
        let made: Vec<Arc<[u8]>> = products
            .par_chunks(INDEX_PAGE)
            .enumerate()
            .map(|(i, chunk)| match changed {
                Some(c) if !chunk.iter().any(|p| c.contains(&p.id)) => Arc::clone(&memo.pages[i]),
                _ => {
                    let entries: Vec<Entry> = chunk.iter().map(|p| entry(p)).collect();
                    let page = IndexPage {
                        schema: schema.clone(),
                        page: i + 1,
                        products: &entries,
                    };
                    Arc::from(to_bytes(&page))
                }
            })
            .collect();
        for (i, bytes) in made.iter().enumerate() {
            let path = url::index_page(i + 1);
            pages.push(path.under(base_url));
            files.push((path.file(), Arc::clone(bytes)));
        }
        memo.pages = made;
        Vec::new()
    };
    files.push(index_json(
        site,
        schema,
        products.len(),
        one_page.then_some(&entries[..]),
        pages,
    ));
    files
}

/// `/api/v1/index.json`: the index over `count` products, listing them (`entries`) or
/// the `pages` that do.
fn index_json<E: Serialize>(
    site: &Site,
    schema: String,
    count: usize,
    entries: Option<&[E]>,
    pages: Vec<String>,
) -> (String, Arc<[u8]>) {
    let base_url = site.config.base_url.as_str();
    let index = Index {
        schema,
        generator: format!("certpress {}", env!("CARGO_PKG_VERSION")),
        title: &site.config.title,
        base_url,
        as_of: iso(site.as_of),
        count,
        products: entries,
        pages,
        search: url::search_manifest().under(base_url),
    };
    (url::index_json().file(), Arc::from(to_bytes(&index)))
}

/// [`index`] of a site rendered in batches, from every product's entry ([`entry_json`])
/// in the order of the site's products.
pub fn index_of(
    site: &Site,
    entries: &[Box<serde_json::value::RawValue>],
) -> Vec<(String, Arc<[u8]>)> {
    let base_url = site.config.base_url.as_str();
    let schema = schema_url(base_url, "index.schema.json");
    if entries.len() <= INDEX_PAGE {
        return vec![index_json(
            site,
            schema,
            entries.len(),
            Some(entries),
            Vec::new(),
        )];
    }
    let mut files: Vec<(String, Arc<[u8]>)> = entries
        .par_chunks(INDEX_PAGE)
        .enumerate()
        .map(|(i, chunk)| {
            let page = IndexPage {
                schema: schema.clone(),
                page: i + 1,
                products: chunk,
            };
            (url::index_page(i + 1).file(), Arc::from(to_bytes(&page)))
        })
        .collect();
    let pages = (1..=files.len())
        .map(|n| url::index_page(n).under(base_url))
        .collect();
    files.push(index_json(
        site,
        schema,
        entries.len(),
        None::<&[Entry]>,
        pages,
    ));
    files
}
