//! certpress: product-safety certificate sites and labels from YAML records.
//!
//! The pipeline reads top to bottom, one module per stage:
//!
//! ```text
//! load    config, content, plugins, theme  → site::Site (validated model + diagnostics)
//! render  Site                             → pages in a staging folder   (render)
//! write   staging folder                   → swapped in atomically       (output)
//! ```
//!
//! Assessment by the rule packs, the certificate ledger and labels join this pipeline
//! between load and render.

pub mod assess;
pub mod build;
pub mod certificate;
pub mod cli;
pub mod config;
pub mod content;
pub mod date;
pub mod diagnostic;
pub mod digital_link;
pub mod explain;
#[doc(hidden)]
pub mod fuzzing;
pub mod gtin;
pub mod ident;
pub mod label;
pub mod ledger;
pub mod markdown;
pub mod output;
pub mod plugins;
pub mod progress;
pub mod register;
pub mod render;
pub mod report;
pub mod scaffold;
pub mod site;
pub mod source;
pub mod theme;
pub mod url;
pub mod yaml;
