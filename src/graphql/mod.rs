//! The GraphQL API: schema construction, error mapping, and one module per domain's types.
//! Resolvers are thin: they call `plans`, `actions` and `rag` services and wrap the results.
mod action;
mod batch;
mod loaders;
mod plan;
mod relay;
mod scalars;

use async_graphql::{
    dataloader::DataLoader, EmptyMutation, EmptySubscription, ErrorExtensions, Schema,
};
use sea_orm::DatabaseConnection;

use crate::config::Limits;
use crate::error::AppError;
pub use loaders::Loaders;

pub type AppSchema = Schema<plan::QueryRoot, EmptyMutation, EmptySubscription>;

/// Request-independent state resolvers read from the context.
#[derive(Clone)]
pub struct State {
    pub db: DatabaseConnection,
    pub limits: Limits,
}

/// Builds the schema once at startup. Depth and complexity limits stop abusive queries before
/// they reach the database.
pub fn build_schema(db: DatabaseConnection, limits: Limits) -> AppSchema {
    Schema::build(plan::QueryRoot, EmptyMutation, EmptySubscription)
        .data(State { db, limits })
        .limit_depth(16)
        .limit_complexity(20_000)
        .finish()
}

/// The SDL the server serves (what `schema.graphql` must equal).
pub fn sdl() -> String {
    Schema::build(plan::QueryRoot, EmptyMutation, EmptySubscription)
        .finish()
        .sdl()
}

/// Per-request data: a fresh set of DataLoaders so caches never outlive a request.
pub fn request_loaders(db: &DatabaseConnection) -> DataLoader<Loaders> {
    DataLoader::new(Loaders { db: db.clone() }, tokio::spawn)
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        to_gql(&err)
    }
}

/// The one mapping from service errors to GraphQL errors with `extensions.code`.
pub fn to_gql(err: &AppError) -> async_graphql::Error {
    async_graphql::Error::new(err.client_message()).extend_with(|_, e| e.set("code", err.code()))
}
