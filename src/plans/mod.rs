//! Plans as data: the file format, the converter from the published text, validation, the
//! importer, and plan-level reads. Service code only (no GraphQL, no HTTP).
pub mod catalogue;
pub mod convert;
pub mod format;
pub mod import;
pub mod query;
pub mod synthetic;
pub mod validate;

pub use import::{import_plan_file, parse_plan_file, ImportReport};

/// The Herefordshire plan, embedded so that a fresh server can load it with no files around.
pub const HEREFORDSHIRE_PLAN_JSON: &str = include_str!("../../data/herefordshire-2012.json");
/// The file name the embedded plan is recorded under in its history.
pub const HEREFORDSHIRE_PLAN_FILE: &str = "data/herefordshire-2012.json";
