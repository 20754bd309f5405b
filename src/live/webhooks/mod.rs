//! Webhooks: HTTP callbacks for systems that cannot hold a socket open.
//!
//! - `registry`: admins register, change, delete and read them (audited like every write).
//! - `target`: which URLs may be called (not the server itself, not cloud metadata).
//! - `deliver`: the worker that posts owed events from the outbox, signed, with retries.
//! - `sign`: the signature receivers verify.
pub mod deliver;
pub mod registry;
pub mod sign;
pub mod target;

use std::time::Duration;

pub use deliver::Deliverer;
pub use registry::{NewWebhook, WebhookPatch};
pub use target::TargetGuard;

/// Most webhooks one plan may have (each is one more delivery per change).
pub const MAX_WEBHOOKS_PER_PLAN: usize = 50;

/// How webhooks are delivered (from the configuration).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Whether this replica runs the delivery worker.
    pub deliver: bool,
    /// Longest a receiver may take to answer.
    pub timeout: Duration,
    /// The first retry's delay; each further failure doubles it, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Hosts exempt from the address checks (`target`), e.g. a receiver on this machine.
    pub allowed_hosts: Vec<String>,
    /// How long an event waits for a paused or failing webhook before it is dropped.
    pub retention: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            deliver: true,
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(600),
            allowed_hosts: Vec::new(),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}
