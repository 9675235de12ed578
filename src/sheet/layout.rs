//! The columns of each record sheet, in order: one table per kind (products, lots,
//! evidence, parties) saying which header holds which record field. A header is the
//! field's own YAML key path in the record (`age.min_months`, `importers.US`), so the
//! sheet reads as the records do and a reader of sheets maps a header back to its field
//! with this same table, not with a second list that could drift from it.
//!
//! Values are written as the record means them: dates as written (`2026-03` stays a
//! year-month), the GTIN in the 14-digit form the record is stored as, booleans `true` /
//! `false`, a list joined with [`LIST`], an absent optional field as an empty cell.

use crate::content::{Evidence, Lot, Party, Product};
use crate::plugins::AttrValue;
use crate::site::Site;
use std::collections::BTreeSet;

/// What joins the items of a list field (`categories`, `markets`, `covers`, `lots`) in
/// one cell. No item can hold it: ids, market codes, citation keys and lot numbers are
/// all free of `;`.
pub const LIST: &str = "; ";

/// What joins the lines of a party's address in one cell: a line break, as the address
/// is printed (spreadsheets show it as a wrapped cell).
pub const LINES: &str = "\n";

/// Which field of a record a column holds.
pub enum Field<R> {
    /// One column, headed by the key path.
    One(fn(&R) -> String),
    /// One column per name `names` finds on the site, headed `<key>.<name>`: a map field
    /// (`importers`, `attributes`, `declarations`, `accreditations`) or a list of
    /// records (`certifications`, whose names are `<index>.<field>`).
    Each {
        names: fn(&Site) -> Vec<String>,
        get: fn(&R, &str) -> String,
    },
}

/// What a cell of a column holds, for `import` to read it back as the record means it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Text,
    /// Items joined by [`LIST`] ([`list`]); read back by [`split_list`].
    List,
    /// `categories`: a [`Type::List`] of the vocabulary's categories.
    Categories,
    /// Lines joined by [`LINES`]; read back split on line breaks (or `;` if none).
    Lines,
    /// A whole number (`age.*`).
    Int,
    Gtin,
    /// A date of the month or the day (`2026-03`, `2026-03-14`).
    Date,
    /// A date that names the day (a test date).
    Day,
    /// `true` / `false` (also `1` / `0`, as ODS saves booleans).
    Bool,
    /// An attribute, typed by the vocabulary.
    Attribute,
    /// A party's id.
    Party,
    /// A field the import does not write (a list of mappings such as `certifications`):
    /// a cell must say what the record already says.
    Kept,
}

/// A column (or a family of columns) of a sheet.
pub struct Column<R> {
    /// The field's key path in the record; a family's headers extend it.
    pub key: &'static str,
    pub field: Field<R>,
    pub ty: Type,
}

const fn one<R>(key: &'static str, get: fn(&R) -> String) -> Column<R> {
    Column {
        key,
        field: Field::One(get),
        ty: Type::Text,
    }
}

/// `column` with cells of type `ty`.
const fn of<R>(ty: Type, column: Column<R>) -> Column<R> {
    Column {
        key: column.key,
        field: column.field,
        ty,
    }
}

const fn each<R>(
    key: &'static str,
    names: fn(&Site) -> Vec<String>,
    get: fn(&R, &str) -> String,
) -> Column<R> {
    Column {
        key,
        field: Field::Each { names, get },
        ty: Type::Text,
    }
}

/// A lot row: the product it belongs to and the lot.
pub type LotRow<'a> = (&'a Product, &'a Lot);
/// An evidence row: the product whose record holds the report, and the report.
pub type EvidenceRow<'a> = (&'a Product, &'a Evidence);

fn text(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// Items joined by [`LIST`], or by line breaks when an item holds a `;` itself (a rule
/// cited as `ASTM F963-23; 4.3.5`), so [`split_list`] gives them back as they were.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    if items.iter().any(|i| i.contains(';')) {
        items.join(LINES)
    } else {
        items.join(LIST)
    }
}

/// A list cell's items: split on line breaks when it has any (a spreadsheet user may put
/// each item on a line of the cell), else on `;` when it has one, else on `,`, so an item
/// holding a comma (`ASTM F963-23, section 4.3.5`) survives the `; ` export joins with.
pub fn split_list(text: &str) -> Vec<String> {
    let on = ['\n', ';', ',']
        .into_iter()
        .find(|c| text.contains(*c))
        .unwrap_or(',');
    text.split(on)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Products, by id (SPEC §4.1). `lots` and `evidence` have sheets of their own.
pub const PRODUCTS: &[Column<Product>] = &[
    one("id", |p| p.id.clone()),
    one("name", |p| p.name.clone()),
    one("brand", |p| text(&p.brand)),
    one("model", |p| p.model.clone()),
    of(
        Type::Gtin,
        one("gtin", |p| {
            p.gtin.map(|g| g.as_gtin14()).unwrap_or_default()
        }),
    ),
    one("sku", |p| text(&p.sku)),
    one("description", |p| text(&p.description)),
    one("image", |p| text(&p.image)),
    of(Type::Categories, one("categories", |p| list(&p.categories))),
    of(
        Type::Int,
        one("age.min_months", |p| {
            p.age.map(|a| a.min_months.to_string()).unwrap_or_default()
        }),
    ),
    of(
        Type::Int,
        one("age.max_months", |p| {
            p.age
                .and_then(|a| a.max_months)
                .map(|m| m.to_string())
                .unwrap_or_default()
        }),
    ),
    of(
        Type::List,
        one("markets", |p| {
            list(&p.markets.iter().map(|m| m.code()).collect::<Vec<_>>())
        }),
    ),
    of(
        Type::Party,
        one("manufacturer", |p| p.manufacturer.id.clone()),
    ),
    of(
        Type::Party,
        each("importers", importer_markets, |p, market| {
            p.importers
                .iter()
                .find(|(m, _)| m.code() == market)
                .map(|(_, party)| party.id.clone())
                .unwrap_or_default()
        }),
    ),
    of(
        Type::Party,
        one("records_custodian", |p| {
            p.records_custodian
                .as_ref()
                .map(|c| c.id.clone())
                .unwrap_or_default()
        }),
    ),
    one("status", |p| {
        match p.status {
            crate::content::Status::Active => "active",
            crate::content::Status::Withdrawn => "withdrawn",
        }
        .to_string()
    }),
    // The record's own `cpsc` only: the default Product ID (GTIN, SKU, model) is not a
    // field of the record, and writing it here would make a sheet read back add one.
    one("cpsc.product_id", |p| {
        p.cpsc
            .as_ref()
            .map(|c| c.product_id.clone())
            .unwrap_or_default()
    }),
    one("cpsc.product_id_type", |p| {
        p.cpsc
            .as_ref()
            .map(|c| c.product_id_type.as_str().to_string())
            .unwrap_or_default()
    }),
    of(
        Type::Attribute,
        each("attributes", attribute_names, |p, name| {
            match p.attributes.get(name) {
                Some(AttrValue::Bool(b)) => b.to_string(),
                Some(AttrValue::Int(i)) => i.to_string(),
                Some(AttrValue::String(s)) => s.clone(),
                None => String::new(),
            }
        }),
    ),
    of(
        Type::Bool,
        each("declarations", declaration_names, |p, key| {
            p.declarations
                .get(key)
                .map(|b| b.to_string())
                .unwrap_or_default()
        }),
    ),
];

/// Lots, by product and then in the record's order (SPEC §4.1 `lots`). A function, not a
/// constant as [`PRODUCTS`] is, only because its rows borrow their records.
pub fn lots<'a>() -> [Column<LotRow<'a>>; 5] {
    [
        one("product", |(p, _)| p.id.clone()),
        one("lot", |(_, l)| l.lot.clone()),
        of(Type::Date, one("made", |(_, l)| l.made.to_string())),
        one("place", |(_, l)| l.place.clone()),
        of(
            Type::Party,
            one("factory", |(_, l)| {
                l.factory.as_ref().map(|f| f.id.clone()).unwrap_or_default()
            }),
        ),
    ]
}

/// Test reports, by product and then in the record's order (SPEC §4.1 `evidence`); a
/// function for the reason [`lots`] is.
pub fn evidence<'a>() -> [Column<EvidenceRow<'a>>; 9] {
    [
        one("product", |(p, _)| p.id.clone()),
        one("report", |(_, e)| e.report.clone()),
        of(Type::Party, one("lab", |(_, e)| e.lab.id.clone())),
        of(Type::Day, one("date", |(_, e)| crate::date::iso(e.date))),
        one("place", |(_, e)| text(&e.place)),
        of(Type::List, one("covers", |(_, e)| list(&e.covers))),
        one("result", |(_, e)| {
            match e.result {
                crate::content::TestResult::Pass => "pass",
                crate::content::TestResult::Fail => "fail",
            }
            .to_string()
        }),
        of(Type::List, one("lots", |(_, e)| list(&e.lots))),
        one("file", |(_, e)| text(&e.file)),
    ]
}

/// Parties, by id (SPEC §4.2).
pub const PARTIES: &[Column<Party>] = &[
    one("id", |p| p.id.clone()),
    one("kind", |p| p.kind.as_str().to_string()),
    one("name", |p| p.name.clone()),
    of(Type::Lines, one("address", |p| p.address.join(LINES))),
    one("country", |p| text(&p.country)),
    one("email", |p| text(&p.email)),
    one("phone", |p| text(&p.phone)),
    each("accreditations", accreditation_schemes, |p, scheme| {
        p.accreditations.get(scheme).cloned().unwrap_or_default()
    }),
    one("cpsc_certifier_id", |p| text(&p.cpsc_certifier_id)),
    // A party may hold several certifications of four fields each. One column per field
    // of each (`certifications.0.standard`, ...) keeps every field exact in a cell of its
    // own and is its YAML key path, where packing them into one cell would need a quoting
    // of its own that a reader must undo. As many as the party holding most has.
    of(
        Type::Kept,
        each("certifications", certification_fields, |p, name| {
            let Some((index, field)) = name.split_once('.') else {
                return String::new();
            };
            let Some(c) = index
                .parse::<usize>()
                .ok()
                .and_then(|i| p.certifications.get(i))
            else {
                return String::new();
            };
            match field {
                "standard" => c.standard.clone(),
                "number" => c.number.clone(),
                "issuer" => c.issuer.clone(),
                "valid_until" => c.valid_until.map(|d| d.to_string()).unwrap_or_default(),
                _ => String::new(),
            }
        }),
    ),
];

/// The fields of a certification, in the record's order.
const CERTIFICATION_FIELDS: [&str; 4] = ["standard", "number", "issuer", "valid_until"];

/// The markets any product names an importer for, sorted.
fn importer_markets(site: &Site) -> Vec<String> {
    let names: BTreeSet<String> = site
        .content
        .products
        .iter()
        .flat_map(|p| p.importers.keys().map(|m| m.code().to_string()))
        .collect();
    names.into_iter().collect()
}

/// The attributes any record sets or the plugins declare, sorted.
fn attribute_names(site: &Site) -> Vec<String> {
    let mut names: BTreeSet<String> = site.vocabulary.attributes.keys().cloned().collect();
    for p in &site.content.products {
        names.extend(p.attributes.keys().cloned());
    }
    names.into_iter().collect()
}

/// The declarations any record makes or the plugins declare, sorted.
fn declaration_names(site: &Site) -> Vec<String> {
    let mut names: BTreeSet<String> = site.vocabulary.declarations.keys().cloned().collect();
    for p in &site.content.products {
        names.extend(p.declarations.keys().cloned());
    }
    names.into_iter().collect()
}

/// The accreditation schemes any party names, sorted.
fn accreditation_schemes(site: &Site) -> Vec<String> {
    let names: BTreeSet<String> = site
        .content
        .parties
        .values()
        .flat_map(|p| p.accreditations.keys().cloned())
        .collect();
    names.into_iter().collect()
}

/// `<index>.<field>` for as many certifications as the party holding most has.
fn certification_fields(site: &Site) -> Vec<String> {
    let most = site
        .content
        .parties
        .values()
        .map(|p| p.certifications.len())
        .max()
        .unwrap_or(0);
    (0..most)
        .flat_map(|i| CERTIFICATION_FIELDS.map(|f| format!("{i}.{f}")))
        .collect()
}

/// A sheet made with a table: its header and its rows of text cells.
pub struct Grid {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The sheet of `records` laid out by `columns`: the families expanded with the names
/// the site has, a row per record in the order given.
pub fn grid<'r, R: 'r>(
    site: &Site,
    columns: &[Column<R>],
    records: impl IntoIterator<Item = &'r R>,
) -> Grid {
    // Each column of the sheet: its header and how to read it from a record.
    enum Cell<R> {
        One(fn(&R) -> String),
        Each(fn(&R, &str) -> String, String),
    }
    let mut header = Vec::new();
    let mut cells = Vec::new();
    for c in columns {
        match &c.field {
            Field::One(get) => {
                header.push(c.key.to_string());
                cells.push(Cell::One(*get));
            }
            Field::Each { names, get } => {
                for name in names(site) {
                    header.push(format!("{}.{name}", c.key));
                    cells.push(Cell::Each(*get, name));
                }
            }
        }
    }
    let rows = records
        .into_iter()
        .map(|r| {
            cells
                .iter()
                .map(|c| match c {
                    Cell::One(get) => get(r),
                    Cell::Each(get, name) => get(r, name),
                })
                .collect()
        })
        .collect();
    Grid { header, rows }
}
