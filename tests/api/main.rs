//! One integration-test binary: every test starts the real server on a random port over its own
//! database and talks HTTP to it. Database tests run on SQLite and, when `TEST_DATABASE_URL` is
//! set, on PostgreSQL too (see `helpers::both_engines`).
mod helpers;

mod adversarial;
mod auth;
mod catalogue;
mod concurrency;
mod cost;
mod crash;
mod dashboards;
mod docs_queries;
mod door;
mod exports;
mod filters;
mod http_spec;
mod import;
mod limits;
mod live;
mod mutations;
mod operations;
mod plan_fidelity;
mod roles;
mod schema;
mod scoping;
mod server;
mod statements;
