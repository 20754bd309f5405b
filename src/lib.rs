//! plan-api: a GraphQL API for public-sector improvement plans.
//!
//! Service modules (`plans`, `actions`, `rag`, `audit`, `auth`, `objects`, `live`, `export`)
//! hold the domain rules and import neither async-graphql nor axum; `graphql` and `http` are
//! thin layers over them, and `main.rs` (the CLI) calls them too. `docs/architecture.md`
//! says where each rule lives and how a read and a write flow.

/// Actions: filtered pages and batched relations, and one file per kind of edit.
pub mod actions;
/// The door: one admission path for every request (size, token, rate, trusted documents,
/// parse, cost and input bounds, timeout), before any database work.
pub mod admission;
/// The audit trail and the one transactional write path (`Change`).
pub mod audit;
/// Who may do what: tokens, principals, the role policy.
pub mod auth;
/// "Today": the date in England, and the server's clock (which tests may start elsewhere).
pub mod clock;
/// Runtime configuration from the environment and CLI.
pub mod config;
/// Connecting, migrating and first-start seeding.
pub mod db;
/// The one error type and its client-facing codes.
pub mod error;
/// CSV exports of actions and RAG history.
pub mod export;
/// The GraphQL schema (thin resolvers, DataLoaders).
pub mod graphql;
/// The HTTP router: GraphQL over HTTP, GraphiQL, health, metrics, exports.
pub mod http;
/// Live updates: subscriptions and webhooks, fed by the audit trail.
pub mod live;
/// Objects by identity: global ids, and the scoped lookup of plans and objects.
pub mod objects;
/// Logs, request ids and Prometheus metrics.
pub mod observability;
/// Offset pages and their sizes.
pub mod paging;
/// Plans: the file format, the converter from the published text, import, plan reads.
pub mod plans;
/// RAG scale and the append-only status history.
pub mod rag;
/// Building and running the server.
pub mod startup;
