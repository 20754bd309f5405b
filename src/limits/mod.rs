//! What protects the service from one careless or hostile caller, decided before any database
//! work: the cost of a parsed document (`cost`), per-subject token buckets (`rate`) and the
//! optional allow-list of trusted documents (`trusted`).
//!
//! These work on the parsed GraphQL document and on principals; they know nothing of HTTP (the
//! `http` layer turns their refusals into status codes) and nothing of the database.
pub mod cost;
pub mod rate;
pub mod trusted;

pub use cost::{measure, CostLimits, Measure, SchemaShape};
pub use rate::{RateLimiter, RatePolicy, RateRule};
pub use trusted::TrustedDocuments;
