//! The product as plugins see it: the one definition of the CEL `product` (SPEC §5).
//!
//! Conditions are type-checked against [`product_type`] when a pack loads and evaluated
//! on [`product_value`] when it assesses. Both are derived from the tables below, where
//! each field states its type and how it is read from a record side by side, so the
//! type a condition was checked against cannot drift from the value it reads. The
//! command-plugin wire form (`assess::wire`) is checked against the same shape by test.

use super::condition::{Field, Schema, Ty};
use super::vocabulary::{AttrType, AttrValue, Vocabulary};
use crate::content::{Age, Evidence, Lot, Party, Product};
use cel::Value as V;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// One field of an object conditions read from a `T`.
struct Slot<T> {
    name: &'static str,
    /// An optional field is absent from the value when the record does not set it, so
    /// conditions must guard it with `has()`; `read` returns `None` only for these.
    optional: bool,
    ty: fn(&Vocabulary) -> Ty,
    read: fn(&T, &Reading) -> Option<V>,
}

/// What a value is read with: the vocabulary (attribute defaults) and the date the
/// product is judged on (a report dated after it has not happened: conditions do not see
/// it, as command plugins are not sent it).
pub struct Reading<'a> {
    pub vocabulary: &'a Vocabulary,
    pub as_of: time::Date,
    /// Parties' values already built, when products are read one after another.
    parties: Option<&'a RefCell<PartyValues>>,
}

/// Parties' values by party: a lab, a manufacturer or an importer stands in many
/// records (a report's lab, each market's importer), and a party's value is the same in
/// each, so products read one after another build it once. Each entry holds its party,
/// so the address it is found by is never another party's.
#[derive(Default)]
pub struct PartyValues(HashMap<usize, (Arc<Party>, V)>);

/// `party`'s value, from `reading`'s parties when it has them.
fn party_value(party: &Arc<Party>, reading: &Reading) -> V {
    let Some(cache) = reading.parties else {
        return object_value(PARTY, party.as_ref(), reading);
    };
    let key = Arc::as_ptr(party) as usize;
    if let Some((_, v)) = cache.borrow().0.get(&key) {
        return v.clone();
    }
    // A party's fields are scalars: building it reads no party, the cache is free.
    let v = object_value(PARTY, party.as_ref(), reading);
    cache
        .borrow_mut()
        .0
        .insert(key, (Arc::clone(party), v.clone()));
    v
}

/// `product`: the record with every declared attribute and declaration present
/// (defaults filled in), optional fields present only when set.
const PRODUCT: &[Slot<Product>] = &[
    Slot {
        name: "id",
        optional: false,
        ty: |_| Ty::String,
        read: |p, _| Some(V::from(p.id.clone())),
    },
    Slot {
        name: "name",
        optional: false,
        ty: |_| Ty::String,
        read: |p, _| Some(V::from(p.name.clone())),
    },
    Slot {
        name: "brand",
        optional: true,
        ty: |_| Ty::String,
        read: |p, _| p.brand.clone().map(V::from),
    },
    Slot {
        name: "model",
        optional: false,
        ty: |_| Ty::String,
        read: |p, _| Some(V::from(p.model.clone())),
    },
    Slot {
        name: "gtin",
        optional: true,
        ty: |_| Ty::String,
        read: |p, _| p.gtin.map(|g| V::from(g.as_gtin14())),
    },
    Slot {
        name: "sku",
        optional: true,
        ty: |_| Ty::String,
        read: |p, _| p.sku.clone().map(V::from),
    },
    Slot {
        name: "image",
        optional: true,
        ty: |_| Ty::String,
        read: |p, _| p.image.clone().map(V::from),
    },
    Slot {
        name: "categories",
        optional: false,
        ty: |_| strings_type(),
        read: |p, _| Some(strings(p.categories.iter().cloned())),
    },
    Slot {
        name: "age",
        optional: true,
        ty: |v| object_type("product.age", AGE, v),
        read: |p, v| p.age.map(|age| object_value(AGE, &age, v)),
    },
    Slot {
        name: "attributes",
        optional: false,
        ty: attributes_type,
        read: |p, v| Some(attributes_value(p, v)),
    },
    Slot {
        name: "declarations",
        optional: false,
        ty: declarations_type,
        read: |p, v| Some(declarations_value(p, v)),
    },
    Slot {
        name: "markets",
        optional: false,
        ty: |_| strings_type(),
        read: |p, _| Some(strings(p.markets.iter().map(|m| m.code().to_string()))),
    },
    Slot {
        name: "manufacturer",
        optional: false,
        ty: |v| object_type("party", PARTY, v),
        read: |p, v| Some(party_value(&p.manufacturer, v)),
    },
    Slot {
        name: "importers",
        optional: false,
        // Keyed by market code; a market without an importer has no key.
        ty: |v| Ty::Map(Box::new(object_type("party", PARTY, v))),
        read: |p, v| {
            let importers: HashMap<String, V> = p
                .importers
                .iter()
                .map(|(m, i)| (m.code().to_string(), party_value(i, v)))
                .collect();
            Some(V::from(importers))
        },
    },
    Slot {
        name: "records_custodian",
        optional: true,
        ty: |v| object_type("party", PARTY, v),
        read: |p, v| p.records_custodian.as_ref().map(|c| party_value(c, v)),
    },
    // Lots and reports as the record states them, so a pack can ask of each what a
    // certificate must state about it (16 CFR 1110.11: date and place of manufacture,
    // of testing, the lab's contact), with `all()` or `exists()`.
    Slot {
        name: "lots",
        optional: false,
        ty: |v| Ty::List(Box::new(object_type("product.lots[]", LOT, v))),
        read: |p, v| {
            Some(V::List(Arc::new(
                p.lots.iter().map(|l| object_value(LOT, l, v)).collect(),
            )))
        },
    },
    Slot {
        name: "evidence",
        optional: false,
        ty: |v| Ty::List(Box::new(object_type("product.evidence[]", EVIDENCE, v))),
        read: |p, v| {
            Some(V::List(Arc::new(
                p.evidence
                    .iter()
                    .filter(|e| e.date <= v.as_of)
                    .map(|e| object_value(EVIDENCE, e, v))
                    .collect(),
            )))
        },
    },
    Slot {
        name: "status",
        optional: false,
        ty: |_| Ty::String,
        read: |p, _| {
            Some(V::from(match p.status {
                crate::content::Status::Active => "active",
                crate::content::Status::Withdrawn => "withdrawn",
            }))
        },
    },
];

/// A party as conditions see it: who it is and where it is established.
const PARTY: &[Slot<Party>] = &[
    Slot {
        name: "id",
        optional: false,
        ty: |_| Ty::String,
        read: |p, _| Some(V::from(p.id.clone())),
    },
    Slot {
        name: "kind",
        optional: false,
        ty: |_| Ty::String,
        read: |p, _| Some(V::from(p.kind.as_str())),
    },
    Slot {
        name: "name",
        optional: false,
        ty: |_| Ty::String,
        read: |p, _| Some(V::from(p.name.clone())),
    },
    Slot {
        name: "address",
        optional: false,
        // The lines of the mailing address; empty when the record gives none.
        ty: |_| strings_type(),
        read: |p, _| Some(strings(p.address.iter().cloned())),
    },
    Slot {
        name: "country",
        optional: true,
        ty: |_| Ty::String,
        read: |p, _| p.country.clone().map(V::from),
    },
    Slot {
        name: "email",
        optional: true,
        ty: |_| Ty::String,
        read: |p, _| p.email.clone().map(V::from),
    },
    Slot {
        name: "phone",
        optional: true,
        ty: |_| Ty::String,
        read: |p, _| p.phone.clone().map(V::from),
    },
];

/// A lot: its code, when (`2026-03` or `2026-03-11`) and where it was made.
const LOT: &[Slot<Lot>] = &[
    Slot {
        name: "lot",
        optional: false,
        ty: |_| Ty::String,
        read: |l, _| Some(V::from(l.lot.clone())),
    },
    Slot {
        name: "made",
        optional: false,
        ty: |_| Ty::String,
        read: |l, _| Some(V::from(l.made.to_string())),
    },
    Slot {
        name: "place",
        optional: false,
        ty: |_| Ty::String,
        read: |l, _| Some(V::from(l.place.clone())),
    },
];

/// A test report the record names.
const EVIDENCE: &[Slot<Evidence>] = &[
    Slot {
        name: "report",
        optional: false,
        ty: |_| Ty::String,
        read: |e, _| Some(V::from(e.report.clone())),
    },
    Slot {
        name: "lab",
        optional: false,
        ty: |v| object_type("party", PARTY, v),
        read: |e, v| Some(party_value(&e.lab, v)),
    },
    Slot {
        name: "date",
        optional: false,
        ty: |_| Ty::String,
        read: |e, _| Some(V::from(crate::date::iso(e.date))),
    },
    Slot {
        name: "place",
        optional: true,
        ty: |_| Ty::String,
        read: |e, _| e.place.clone().map(V::from),
    },
    Slot {
        name: "covers",
        optional: false,
        ty: |_| strings_type(),
        read: |e, _| Some(strings(e.covers.iter().cloned())),
    },
    Slot {
        name: "result",
        optional: false,
        ty: |_| Ty::String,
        read: |e, _| {
            Some(V::from(match e.result {
                crate::content::TestResult::Pass => "pass",
                crate::content::TestResult::Fail => "fail",
            }))
        },
    },
    Slot {
        name: "lots",
        optional: false,
        ty: |_| strings_type(),
        read: |e, _| Some(strings(e.lots.iter().cloned())),
    },
];

const AGE: &[Slot<Age>] = &[
    Slot {
        name: "min_months",
        optional: false,
        ty: |_| Ty::Int,
        read: |a, _| Some(V::Int(i64::from(a.min_months))),
    },
    Slot {
        name: "max_months",
        optional: true,
        ty: |_| Ty::Int,
        read: |a, _| a.max_months.map(|m| V::Int(i64::from(m))),
    },
];

/// The type conditions see as `product`.
pub fn product_type(vocabulary: &Vocabulary) -> Ty {
    object_type("product", PRODUCT, vocabulary)
}

/// The record as conditions see it (`product`), of the type [`product_type`].
pub fn product_value(product: &Product, vocabulary: &Vocabulary, as_of: time::Date) -> V {
    let reading = Reading {
        vocabulary,
        as_of,
        parties: None,
    };
    object_value(PRODUCT, product, &reading)
}

/// The fields of [`product_value`] that `wanted` names (those the record sets), by
/// name: what the assessment reads when the conditions it runs read only these. Each
/// field's value is built as [`product_value`] builds it, and no other is built; the
/// values of parties found in `parties` are taken from there, and those built are kept.
pub fn product_fields(
    product: &Product,
    vocabulary: &Vocabulary,
    as_of: time::Date,
    wanted: &dyn Fn(&str) -> bool,
    parties: &RefCell<PartyValues>,
) -> Vec<(&'static str, V)> {
    let reading = Reading {
        vocabulary,
        as_of,
        parties: Some(parties),
    };
    let mut fields: Vec<(&'static str, V)> = PRODUCT
        .iter()
        .filter(|s| wanted(s.name))
        .filter_map(|s| (s.read)(product, &reading).map(|v| (s.name, v)))
        .collect();
    fields.sort_unstable_by_key(|(name, _)| *name);
    fields
}

fn object(name: &str, fields: impl Iterator<Item = (String, Ty, bool)>) -> Ty {
    Ty::Object(Arc::new(Schema {
        name: name.to_string(),
        fields: fields
            .map(|(n, ty, optional)| (n, Field { ty, optional }))
            .collect(),
    }))
}

fn object_type<T>(name: &str, slots: &[Slot<T>], vocabulary: &Vocabulary) -> Ty {
    object(
        name,
        slots
            .iter()
            .map(|s| (s.name.to_string(), (s.ty)(vocabulary), s.optional)),
    )
}

fn object_value<T>(slots: &[Slot<T>], item: &T, reading: &Reading) -> V {
    let fields: HashMap<String, V> = slots
        .iter()
        .filter_map(|s| (s.read)(item, reading).map(|v| (s.name.to_string(), v)))
        .collect();
    V::from(fields)
}

fn strings_type() -> Ty {
    Ty::List(Box::new(Ty::String))
}

fn strings(items: impl Iterator<Item = String>) -> V {
    V::List(Arc::new(items.map(V::from).collect()))
}

/// Every attribute the enabled plugins declare, with the type they declare it as.
fn attributes_type(vocabulary: &Vocabulary) -> Ty {
    object(
        "product.attributes",
        vocabulary.attributes.iter().map(|(n, a)| {
            let ty = match a.ty {
                AttrType::Bool => Ty::Bool,
                AttrType::Int => Ty::Int,
                AttrType::String => Ty::String,
            };
            (n.clone(), ty, false)
        }),
    )
}

fn attributes_value(p: &Product, reading: &Reading) -> V {
    let attributes: HashMap<String, V> = reading
        .vocabulary
        .attributes
        .iter()
        .map(|(name, attr)| {
            let v = match p.attributes.get(name).unwrap_or(&attr.default) {
                AttrValue::Bool(b) => V::Bool(*b),
                AttrValue::Int(i) => V::Int(*i),
                AttrValue::String(s) => V::from(s.clone()),
            };
            (name.clone(), v)
        })
        .collect();
    V::from(attributes)
}

/// Every declaration the enabled plugins declare, false unless the record says true.
fn declarations_type(vocabulary: &Vocabulary) -> Ty {
    object(
        "product.declarations",
        vocabulary
            .declarations
            .keys()
            .map(|k| (k.clone(), Ty::Bool, false)),
    )
}

fn declarations_value(p: &Product, reading: &Reading) -> V {
    let declarations: HashMap<String, V> = reading
        .vocabulary
        .declarations
        .keys()
        .map(|k| {
            (
                k.clone(),
                V::Bool(p.declarations.get(k).copied().unwrap_or(false)),
            )
        })
        .collect();
    V::from(declarations)
}

/// A record that sets every field conditions can read, and a vocabulary with one term
/// of each kind, for tests of the shape (here and in `assess::wire`).
#[cfg(test)]
pub(crate) mod fixture {
    use super::super::vocabulary::Attribute;
    use super::*;
    use crate::content::{PartyKind, Status};
    use crate::ident::Market;
    use std::collections::BTreeMap;

    fn party(id: &str, kind: PartyKind, country: &str) -> Arc<Party> {
        Arc::new(Party {
            id: id.into(),
            kind,
            name: format!("{id} Ltd"),
            address: vec!["1 Example Road".into(), "Example City".into()],
            country: Some(country.into()),
            email: Some(format!("records@{id}.example")),
            phone: Some("+1 555 0100".into()),
            accreditations: BTreeMap::new(),
            cpsc_certifier_id: None,
            certifications: Vec::new(),
            file: format!("content/parties/{id}.yaml"),
        })
    }

    /// The date the fixture is judged on: after its report.
    pub(crate) const AS_OF: time::Date = time::macros::date!(2026 - 11 - 23);

    pub(crate) fn vocabulary() -> Vocabulary {
        let attribute = |ty, default| Attribute {
            ty,
            default,
            doc: String::new(),
        };
        Vocabulary {
            categories: [("toy".to_string(), String::new())].into(),
            attributes: [
                (
                    "painted".to_string(),
                    attribute(AttrType::Bool, AttrValue::Bool(false)),
                ),
                (
                    "pieces".to_string(),
                    attribute(AttrType::Int, AttrValue::Int(1)),
                ),
                (
                    "material".to_string(),
                    attribute(AttrType::String, AttrValue::String("wood".into())),
                ),
            ]
            .into(),
            declarations: [("tracking-label".to_string(), String::new())].into(),
            markets: vec![Market::parse("US").unwrap()],
            complete: true,
        }
    }

    pub(crate) fn full_product() -> Product {
        let us = Market::parse("US").unwrap();
        Product {
            id: "full".into(),
            name: "Full Toy".into(),
            brand: Some("Brand".into()),
            model: "F-1".into(),
            gtin: Some(crate::gtin::Gtin::parse("6291041500213").unwrap()),
            sku: Some("SKU-1".into()),
            cpsc: None,
            description: Some("Every field set.".into()),
            image: Some("images/full.png".into()),
            categories: vec!["toy".into()],
            age: Some(Age {
                min_months: 12,
                max_months: Some(36),
            }),
            attributes: [("pieces".to_string(), AttrValue::Int(3))].into(),
            markets: vec![us.clone()],
            manufacturer: party("maker", PartyKind::Manufacturer, "CN"),
            importers: [(us, party("importer", PartyKind::Importer, "US"))].into(),
            records_custodian: Some(party("custodian", PartyKind::Person, "US")),
            lots: vec![crate::content::Lot {
                lot: "2026-03A".into(),
                made: crate::date::RecordDate::parse("2026-03").unwrap(),
                place: "Ningbo, China".into(),
                factory: None,
                at: None,
            }],
            evidence: vec![crate::content::Evidence {
                report: "R-1".into(),
                lab: party("lab", PartyKind::Lab, "CN"),
                date: time::macros::date!(2026 - 03 - 11),
                place: Some("Shenzhen, China".into()),
                covers: vec!["16 CFR 1303".into()],
                result: crate::content::TestResult::Pass,
                lots: vec!["2026-03A".into()],
                file: None,
                at: None,
            }],
            declarations: [("tracking-label".to_string(), true)].into(),
            status: Status::Active,
            file: "content/products/full.yaml".into(),
            id_at: (1, 5),
            keys_at: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `value` is of type `ty`; for an object, every field it has is declared
    /// and every field it lacks is optional.
    fn conforms(value: &V, ty: &Ty, at: &str) -> Result<(), String> {
        match (ty, value) {
            (Ty::Dyn, _) | (Ty::Bool, V::Bool(_)) | (Ty::Int, V::Int(_)) => Ok(()),
            (Ty::String, V::String(_)) | (Ty::Double, V::Float(_)) | (Ty::Null, V::Null) => Ok(()),
            (Ty::List(item), V::List(items)) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| conforms(v, item, &format!("{at}[{i}]"))),
            (Ty::Map(item), V::Map(m)) => m
                .map
                .iter()
                .try_for_each(|(k, v)| conforms(v, item, &format!("{at}[{k:?}]"))),
            (Ty::Object(schema), V::Map(m)) => {
                let key = |name: &str| cel::objects::Key::String(Arc::new(name.to_string()));
                for (name, field) in &schema.fields {
                    match m.map.get(&key(name)) {
                        Some(v) => conforms(v, &field.ty, &format!("{at}.{name}"))?,
                        None if field.optional => {}
                        None => return Err(format!("{at}.{name} is missing")),
                    }
                }
                for k in m.map.keys() {
                    let cel::objects::Key::String(name) = k else {
                        return Err(format!("{at} has a key that is not a name: {k:?}"));
                    };
                    if !schema.fields.contains_key(name.as_str()) {
                        return Err(format!("{at}.{name} is not in the type"));
                    }
                }
                Ok(())
            }
            _ => Err(format!("{at} is {value:?}, not {ty}")),
        }
    }

    /// The optional fields of `ty` that `value` lacks (none, for a record that sets all).
    fn absent(value: &V, ty: &Ty, at: &str, out: &mut Vec<String>) {
        match (ty, value) {
            (Ty::Object(schema), V::Map(m)) => {
                for (name, field) in &schema.fields {
                    let key = cel::objects::Key::String(Arc::new(name.clone()));
                    match m.map.get(&key) {
                        Some(v) => absent(v, &field.ty, &format!("{at}.{name}"), out),
                        None => out.push(format!("{at}.{name}")),
                    }
                }
            }
            (Ty::Map(item), V::Map(m)) => {
                for v in m.map.values() {
                    absent(v, item, &format!("{at}[]"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn a_full_record_type_checks_against_the_product_type() {
        let vocabulary = fixture::vocabulary();
        let ty = product_type(&vocabulary);
        let value = product_value(&fixture::full_product(), &vocabulary, fixture::AS_OF);
        conforms(&value, &ty, "product").unwrap();
        let mut missing = Vec::new();
        absent(&value, &ty, "product", &mut missing);
        assert!(missing.is_empty(), "the fixture leaves out {missing:?}");
    }

    #[test]
    fn only_optional_fields_may_be_absent() {
        let vocabulary = fixture::vocabulary();
        let mut bare = fixture::full_product();
        (bare.brand, bare.gtin, bare.sku, bare.image, bare.age) = (None, None, None, None, None);
        bare.attributes.clear();
        bare.declarations.clear();
        bare.importers.clear();
        let value = product_value(&bare, &vocabulary, fixture::AS_OF);
        conforms(&value, &product_type(&vocabulary), "product").unwrap();
    }
}
