//! `certpress serve`: a local preview of the site that follows the author's edits. The
//! rest of the command watches the files and rebuilds the site into memory; [`http`]
//! serves the latest build from there on 127.0.0.1 and makes open pages reload after
//! each rebuild, and [`overlay`] draws the problems of a failed rebuild over the last
//! good pages.

pub mod http;
pub mod overlay;
