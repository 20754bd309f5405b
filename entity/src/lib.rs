//! sea-orm entities, one module per table. No GraphQL derives here: the public schema is
//! defined in `plan-api`'s `graphql` module so table columns never leak into it.

pub mod plan;
pub mod rag_level;
pub mod theme;
pub mod workstream;
pub mod person;
pub mod source_reference;
pub mod evidence_source;
pub mod action;
pub mod action_lead;
pub mod action_reference;
pub mod action_evidence;
pub mod action_descriptor;
pub mod action_link;
pub mod milestone;
pub mod timescale_extension;
pub mod workstream_move;
pub mod removal_proposal;
pub mod rag_update;
