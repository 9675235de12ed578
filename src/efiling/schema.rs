//! The JSON Schema of `cpsc-efiling.json`, written beside it so a broker's system can
//! validate the document before importing it. Kept as a file, like the site's API
//! schemas (src/render/schemas/), so it reads as a schema and not as Rust.

/// The schema, published as `cpsc-efiling.schema.json` in the export folder.
pub const SCHEMA: &str = include_str!("cpsc-efiling.schema.json");

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_is_json() {
        let v: serde_json::Value = serde_json::from_str(super::SCHEMA).unwrap();
        assert_eq!(v["type"], "object");
    }
}
