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
    // "Did you mean" compares an unknown name with every name it could have meant: work a
    // client controls, for a hint that introspection gives anyway.
    .disable_suggestions()
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

/// Most errors one answer carries; the rest are counted in the last.
pub const MAX_ERRORS: usize = 50;

/// What every answer's errors go through before they leave, over HTTP and the WebSocket
/// alike: each gets a code (async-graphql's parse and validation errors come without one,
/// and they are the client's mistakes: BAD_USER_INPUT), a message of bounded length, and an
/// answer at most `MAX_ERRORS` of them.
pub fn finish_errors(errors: &mut Vec<async_graphql::ServerError>) {
    if errors.len() > MAX_ERRORS {
        let more = errors.len() - (MAX_ERRORS - 1);
        errors.truncate(MAX_ERRORS - 1);
        let code = errors
            .first()
            .and_then(|e| e.extensions.as_ref())
            .and_then(|e| e.get("code").cloned());
        let mut last = async_graphql::ServerError::new(format!("and {more} more errors"), None);
        if let Some(code) = code {
            last.extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
        }
        errors.push(last);
    }
    for err in errors.iter_mut() {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", "BAD_USER_INPUT");
        }
        if err.message.chars().count() > crate::error::MAX_MESSAGE_CHARS {
            let mut short: String = err
                .message
                .chars()
                .take(crate::error::MAX_MESSAGE_CHARS)
                .collect();
            short.push_str("… (shortened)");
            err.message = short;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Refusal;

    #[test]
    fn one_mapping_keeps_every_detail_on_both_forms() {
        let err = AppError::Refused(Refusal::EventsMissed { missed: 7 });
        // A resolver's error (what a subscription's stream ends with) ...
        let e = to_gql(&err).into_server_error(Default::default());
        let ext = e.extensions.expect("extensions");
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("EVENTS_MISSED"))
        );
        assert_eq!(ext.get("missed"), Some(&async_graphql::Value::from(7u64)));
        // ... and a refusal at the door carry the same.
        let e = server_error(&err);
        let ext = e.extensions.expect("extensions");
        assert_eq!(ext.get("missed"), Some(&async_graphql::Value::from(7u64)));
    }

    #[test]
    fn answers_carry_few_short_coded_errors() {
        let mut errors: Vec<async_graphql::ServerError> = (0..1000)
            .map(|_| async_graphql::ServerError::new("x".repeat(5000), None))
            .collect();
        finish_errors(&mut errors);
        assert_eq!(errors.len(), MAX_ERRORS);
        assert!(errors
            .last()
            .is_some_and(|e| e.message.contains("951 more")));
        for e in &errors {
            assert!(e.message.chars().count() <= crate::error::MAX_MESSAGE_CHARS + 20);
            let code = e.extensions.as_ref().and_then(|x| x.get("code"));
            assert_eq!(code, Some(&async_graphql::Value::from("BAD_USER_INPUT")));
        }
    }
}
