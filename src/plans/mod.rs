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

// Bounds on what a plan holds, whether imported or written through the API: they keep every
// answer's size within what the door's cost estimate promises (`admission::cost`).

/// The longest text of a plan, an action, a note or a reason, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Most items of a short list: an action's objective items, outcomes, descriptors,
/// milestones, evidence sources, extensions, moves and removal proposals; a plan's
/// paragraphs, themes and work streams.
pub const MAX_ITEMS: usize = 25;
/// Most leads, references or spelling variants of one action or person.
pub const MAX_LEADS: usize = 10;
/// Most links from one action, and to one action.
pub const MAX_LINKS: usize = 20;
/// Most evidence records submitted for one action.
pub const MAX_EVIDENCE: usize = 100;
/// Most people, references or evidence sources in one plan's catalogue.
pub const MAX_CATALOGUE: usize = 200;

/// The Herefordshire plan, embedded so that a fresh server can load it with no files around.
pub const HEREFORDSHIRE_PLAN_JSON: &str = include_str!("../../data/herefordshire-2012.json");
/// The file name the embedded plan is recorded under in its history.
pub const HEREFORDSHIRE_PLAN_FILE: &str = "data/herefordshire-2012.json";
