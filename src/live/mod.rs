//! Live updates: GraphQL subscriptions and webhooks, fed by the audit trail.
//!
//! Every change already writes its `audit_event` row in its own transaction (`audit::Change`);
//! that row is the event, and its id the event id. Nothing is announced for a transaction that
//! rolls back:
//! - on PostgreSQL a trigger calls `pg_notify` with the event id, which PostgreSQL delivers at
//!   commit only, to every replica listening (`hub`);
//! - on SQLite (one process) the writer tells the hub after it commits.
//!
//! Each replica's `hub` reads the announced events once and fans them out to its subscribers;
//! each subscriber (`watch`) then reads, in one statement per batch, which of the events'
//! actions its own token and filter let it see. Webhooks (`webhooks`) are fed by an outbox row
//! the same trigger writes, so an event owed to a receiver survives crashes and outages.
pub mod event;
pub mod hub;
pub mod watch;
pub mod webhooks;

pub use event::{EventKind, LiveEvent};
pub use hub::Hub;
pub use watch::{Watch, WatchRequest};
