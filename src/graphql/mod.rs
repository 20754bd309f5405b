//! The GraphQL API: schema construction, error mapping, and one module per domain's types.
//! Resolvers are thin: they call `plans`, `actions` and `rag` services and wrap the results.
mod action;
mod audit;
mod batch;
mod catalogue;
mod context;
mod dashboard;
mod mutation;
mod plan;
mod query;
mod rag_update;
mod relay;
mod scalars;
mod subscription;
mod webhook;

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::audit::Writer;
use crate::auth::Principal;
use crate::config::Limits;
use crate::error::AppError;
use crate::live::{webhooks::TargetGuard, Hub};
use crate::plans::catalogue::CatalogueCache;

/// Every query field: plans and their actions, the audit log, webhooks.
#[derive(MergedObject, Default)]
pub struct Query(query::QueryRoot, audit::AuditQuery, webhook::WebhookQuery);

/// Every mutation: changes to plans and actions, and webhooks.
#[derive(MergedObject, Default)]
pub struct Mutation(mutation::MutationRoot, webhook::WebhookMutation);

pub type AppSchema = Schema<Query, Mutation, subscription::SubscriptionRoot>;

/// Request-independent state resolvers read from the context.
#[derive(Clone)]
pub struct State {
    pub db: DatabaseConnection,
    pub writer: Writer,
    pub limits: Limits,
    /// This replica's live events (subscriptions; woken webhooks).
    pub hub: Hub,
    /// Plans' catalogues, shared with the HTTP layer.
    pub catalogues: CatalogueCache,
    /// Which URLs webhooks may call.
    pub webhook_targets: Arc<TargetGuard>,
}

/// What the live parts of the schema share with the rest of the server.
pub struct LiveParts {
    /// The server's one writer (SQLite writers queue on it, webhook deliveries included).
    pub writer: Writer,
    pub hub: Hub,
    pub catalogues: CatalogueCache,
    pub webhook_targets: Arc<TargetGuard>,
}

/// Builds the schema once at startup. Cost, depth and alias limits are not set here: the HTTP
/// layer checks them (`limits::cost`) on the parsed document before it reaches the schema,
/// with list sizes multiplied in and clear codes; async-graphql's own parser recursion limit
/// (32 nested selection sets) stays as the backstop.
pub fn build_schema(db: DatabaseConnection, limits: Limits, live: LiveParts) -> AppSchema {
    let writer = live.writer;
    Schema::build(
        Query::default(),
        Mutation::default(),
        subscription::SubscriptionRoot,
    )
    .data(State {
        db,
        writer,
        limits,
        hub: live.hub,
        catalogues: live.catalogues,
        webhook_targets: live.webhook_targets,
    })
    .finish()
}

/// The schema without the server's state: what it serves, for what needs only its types
/// (the SDL, introspection, pricing documents); every root field fails without a server.
pub fn bare_schema() -> AppSchema {
    Schema::build(
        Query::default(),
        Mutation::default(),
        subscription::SubscriptionRoot,
    )
    .finish()
}

/// The SDL the server serves (what `schema.graphql` must equal).
pub fn sdl() -> String {
    bare_schema().sdl()
}

/// The request's verified principal. Every root field asks for it first, so nothing but
/// introspection answers without a valid bearer token.
pub(crate) fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(|| {
        to_gql(&AppError::Unauthenticated(
            "send `Authorization: Bearer <token>` (get one with `plan-api token --role viewer`)"
                .into(),
        ))
    })
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        to_gql(&err)
    }
}

/// The one mapping from service errors to GraphQL errors: the client's message, and
/// `extensions` with `code` and the error's details (`error.rs` decides both), for resolvers.
pub fn to_gql(err: &AppError) -> async_graphql::Error {
    async_graphql::Error::new(err.client_message()).extend_with(|_, e| set_extensions(e, err))
}

/// The same error as a response's error object, for answers made outside a resolver (the
/// door's refusals, over HTTP and the WebSocket alike).
pub fn server_error(err: &AppError) -> async_graphql::ServerError {
    let mut e = async_graphql::ServerError::new(err.client_message(), None);
    set_extensions(e.extensions.get_or_insert_with(Default::default), err);
    e
}

fn set_extensions(ext: &mut async_graphql::ErrorExtensionValues, err: &AppError) {
    ext.set("code", err.code());
    for (key, value) in err.details() {
        match value {
            crate::error::Detail::Number(n) => ext.set(key, n),
            crate::error::Detail::Text(t) => ext.set(key, t),
        }
    }
}
