//! One wide sheet with a row per lot (issue 16): the product's columns and the lot's side
//! by side, the product's repeated on each of its lots. It is read as two tables of the
//! same width, a products table (a row per product, its first) and a lots table (every row
//! with a lot), each keeping only its own columns, so every problem is still reported at
//! the sheet's own row and column.

use super::kind::Kind;
use crate::diagnostic::Diagnostic;
use crate::sheet::layout;
use crate::sheet::read::{Cell, Table};
use std::collections::HashMap;

/// The lot's columns; every other known column is the product's.
const LOT_KEYS: [&str; 5] = ["product", "lot", "made", "place", "factory"];

/// Whether a lots table (by `keys`, its mapped headers) also has product columns.
pub fn is_wide(keys: &[String]) -> bool {
    let lot_key = |k: &str| LOT_KEYS.iter().any(|l| k.eq_ignore_ascii_case(l));
    keys.iter().any(|k| {
        !k.trim().is_empty()
            && !lot_key(k.trim())
            && layout::PRODUCTS.iter().any(|c| {
                c.key.eq_ignore_ascii_case(k.trim())
                    || k.to_ascii_lowercase().starts_with(&format!("{}.", c.key))
            })
    })
}

/// `table` (a wide sheet; `keys` its mapped headers) as a products table and a lots
/// table, and the rows that repeat a product with other values.
pub fn split(table: &Table, keys: &[String]) -> (Vec<(Table, Kind)>, Vec<Diagnostic>) {
    let lot_key = |k: &str| LOT_KEYS.iter().any(|l| k.trim().eq_ignore_ascii_case(l));
    let id_at = keys
        .iter()
        .position(|k| k.trim().eq_ignore_ascii_case("product"));
    let lot_at = keys
        .iter()
        .position(|k| k.trim().eq_ignore_ascii_case("lot"));
    // The product's columns, with `product` read as the product table's `id`.
    let product_header: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            if Some(i) == id_at {
                "id".to_string()
            } else if lot_key(k) {
                String::new()
            } else {
                k.clone()
            }
        })
        .collect();
    let lot_header: Vec<String> = keys
        .iter()
        .map(|k| if lot_key(k) { k.clone() } else { String::new() })
        .collect();
    let mut diags = Vec::new();
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut product_rows = Vec::new();
    let product_columns: Vec<usize> = product_header
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.is_empty())
        .map(|(i, _)| i)
        .collect();
    for row in &table.rows {
        let id = id_at
            .and_then(|i| row.cells.get(i))
            .map(|c| c.trim().to_string())
            .unwrap_or_default();
        match first.get(&id) {
            None => {
                first.insert(id, product_rows.len());
                product_rows.push(row.clone());
            }
            Some(&at) => {
                let earlier: &crate::sheet::read::Row = &product_rows[at];
                for &c in &product_columns {
                    let (a, b) = (earlier.cells.get(c), row.cells.get(c));
                    if a.map(|s| s.trim()) != b.map(|s| s.trim()) {
                        diags.push(table.error(
                            "bad-cell",
                            Cell {
                                row: row.number,
                                column: c,
                            },
                            format!(
                                "product `{id}` has `{}` here on row {}: a product's columns must say the same on each of its lots",
                                a.map(String::as_str).unwrap_or(""),
                                earlier.number
                            ),
                        ));
                    }
                }
            }
        }
    }
    let lot_rows = table
        .rows
        .iter()
        .filter(|r| {
            lot_at
                .and_then(|i| r.cells.get(i))
                .is_some_and(|c| !c.trim().is_empty())
        })
        .cloned()
        .collect();
    let products = Table {
        header: product_header,
        rows: product_rows,
        ..table.clone()
    };
    let lots = Table {
        header: lot_header,
        rows: lot_rows,
        ..table.clone()
    };
    (vec![(products, Kind::Products), (lots, Kind::Lots)], diags)
}
