//! Jurisdiction plugins (`plugins/<id>/plugin.yaml`, SPEC §5).
//!
//! This module loads each enabled plugin's manifest: identity, protocol, markets and the
//! vocabulary (categories, attributes, declarations) that product records may use.

mod condition;
mod manifest;
pub mod rules;
mod vocabulary;

pub use condition::{Condition, ConditionError, Field, Schema, Scope, Ty};
pub use manifest::{Plugin, load};
pub use vocabulary::{AttrType, AttrValue, Attribute, Vocabulary};

/// The plugin protocol this host speaks.
pub const PROTOCOL: u32 = 1;
