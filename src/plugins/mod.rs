//! Jurisdiction plugins (`plugins/<id>/plugin.yaml`, SPEC §5).
//!
//! This module loads each enabled plugin's manifest: identity, protocol, markets, the
//! vocabulary (categories, attributes, declarations) that product records may use, and
//! its engine: a rule pack compiled against that vocabulary, or a command plugin's
//! program. The assess stage (`crate::assess`) runs the engines.

pub mod command;
mod condition;
mod manifest;
mod product;
pub mod rules;
mod vocabulary;

pub use command::CommandPlugin;
pub use condition::{Condition, ConditionError, Field, Schema, Scope, Ty};
pub use manifest::{Engine, Plugin, load};
#[cfg(test)]
pub(crate) use product::fixture as product_fixture;
pub use product::{product_type, product_value};
pub use vocabulary::{AttrType, AttrValue, Attribute, Vocabulary};

/// The plugin protocol this host speaks.
pub const PROTOCOL: u32 = 1;

/// The `plugins` listing: each plugin with its rules, then the merged vocabulary.
pub fn describe(plugins: &[Plugin], vocabulary: &Vocabulary) -> String {
    use rules::Confidence;
    use std::fmt::Write;
    let mut out = String::new();
    for p in plugins {
        let markets: Vec<&str> = p.markets.iter().map(|m| m.code()).collect();
        let _ = writeln!(
            out,
            "{} {} — {} (markets: {}; {})",
            p.id,
            p.version,
            p.name,
            markets.join(", "),
            p.file
        );
        match &p.engine {
            Engine::Rules(r) => {
                let certs: Vec<&str> = r.certificates.iter().map(|c| c.raw.id.as_str()).collect();
                let count = |c: Confidence| {
                    r.requirements
                        .iter()
                        .filter(|q| q.raw.confidence == Some(c))
                        .count()
                };
                let marks: Vec<&str> = r.marks.iter().map(|m| m.raw.id.as_str()).collect();
                let list = |ids: &[&str]| {
                    if ids.is_empty() {
                        "none".to_string()
                    } else {
                        ids.join(", ")
                    }
                };
                let warnings: Vec<&str> = r.warnings.iter().map(|w| w.raw.id.as_str()).collect();
                let _ = writeln!(
                    out,
                    "  certificates: {}; requirements: {} ({} confirmed, {} secondary sources only); marks: {}; warnings: {}; defines: {}",
                    list(&certs),
                    r.requirements.len(),
                    count(Confidence::C),
                    count(Confidence::S),
                    list(&marks),
                    list(&warnings),
                    r.defines.len()
                );
            }
            // A command plugin's requirements are its program's to know.
            Engine::Command(c) => {
                let _ = writeln!(
                    out,
                    "  command plugin: runs {} (timeout {} s)",
                    c.program.display(),
                    c.timeout.as_secs()
                );
            }
        }
        let v = &p.vocabulary;
        let _ = writeln!(
            out,
            "  declares {} categories, {} attributes, {} declarations",
            v.categories.len(),
            v.attributes.len(),
            v.declarations.len()
        );
    }
    let _ = writeln!(
        out,
        "\nvocabulary of the enabled plugins (what product records may say):"
    );
    let _ = writeln!(out, "  categories:");
    for (k, doc) in &vocabulary.categories {
        let _ = writeln!(out, "    {k:<22} {doc}");
    }
    let _ = writeln!(out, "  attributes:");
    for (k, a) in &vocabulary.attributes {
        let ty = serde_json::to_value(a.ty)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let default = serde_json::to_string(&a.default).unwrap_or_default();
        let _ = writeln!(out, "    {k:<22} {ty}, default {default}: {}", a.doc);
    }
    let _ = writeln!(out, "  declarations:");
    for (k, doc) in &vocabulary.declarations {
        let _ = writeln!(out, "    {k:<22} {doc}");
    }
    out
}
