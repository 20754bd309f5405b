//! sea-orm entities, one module per table. No GraphQL derives here: the public schema is
//! defined in `plan-api`'s `graphql` module so table columns never leak into it.

pub mod action;
pub mod action_descriptor;
pub mod action_evidence;
pub mod action_lead;
pub mod action_link;
pub mod action_reference;
pub mod action_state_change;
pub mod audit_event;
pub mod evidence_record;
pub mod evidence_source;
pub mod idempotency_key;
pub mod milestone;
pub mod person;
pub mod plan;
pub mod rag_level;
pub mod rag_update;
pub mod removal_proposal;
pub mod source_reference;
pub mod theme;
pub mod timescale_extension;
pub mod values;
pub mod webhook;
pub mod webhook_attempt;
pub mod webhook_outbox;
pub mod workstream;
pub mod workstream_move;

pub use values::{LifecycleState, OfstedArea, RagStatus, ReferenceKind, TextList, WebhookRole};
