//! Commands that work through a large catalogue one batch of products at a time, so a
//! site of a million products is handled in the memory of a few thousand: `check`
//! ([`check`]) and `build` ([`build`]). Each reads a batch's records, assesses and
//! reviews them, does its work with them and drops them before reading the next; what
//! spans products is carried from batch to batch in compact form.

pub mod build;
mod check;

pub use check::{Ask, Checked, check};

/// How many product records `check` reads, assesses and reviews at once: enough to keep
/// every thread busy, few enough (about 16 KB each while assessed) to hold.
pub const BATCH: usize = 8192;

/// How many products `build` renders at once: each holds its certificates' versions and,
/// while its labels are printed, every label drawn (about 60 KB a product in all), so
/// half of [`BATCH`]; still enough to keep every thread busy.
pub const BUILD_BATCH: usize = 4096;
