//! certpress: product-safety certificate sites and labels from YAML records.
//!
//! The pipeline reads top to bottom, one module per stage, and one type runs it
//! ([`pipeline::Pipeline`]):
//!
//! ```text
//! load    site.toml, plugins, content      → site::Site (validated model + diagnostics)
//! assess  plugins × products               → assess::Assessed (requirements, gaps)
//! review  assessments + certificates.lock  → ledger::Review, register::Register (in force?)
//! remind  assessments + retest intervals   → due::Due (reports that lapse soon; `check`)
//! render  site + assessments + register    → pages, JSON twins, lookup index  (render)
//! print   the same                         → labels and sheets                (label)
//! write   a staging folder or memory       → swapped in atomically            (output)
//! ```

pub mod address;
pub mod assess;
pub mod batch;
pub mod calendar;
pub mod certificate;
pub mod cli;
pub mod config;
pub mod content;
pub mod date;
pub mod diagnostic;
pub mod digital_link;
pub mod document;
pub mod due;
pub mod efiling;
pub mod explain;
pub mod export;
pub mod fingerprint;
#[doc(hidden)]
pub mod fuzzing;
pub mod gtin;
pub mod html;
pub mod ident;
pub mod import;
pub mod label;
pub mod ledger;
pub mod markdown;
pub mod marketplace;
pub mod output;
pub mod pipeline;
pub mod plugins;
pub mod progress;
pub mod register;
pub mod render;
pub mod report;
pub mod scaffold;
pub mod serve;
pub mod sheet;
pub mod site;
pub mod source;
pub mod suggest;
pub mod theme;
pub mod timings;
pub mod url;
pub mod yaml;
