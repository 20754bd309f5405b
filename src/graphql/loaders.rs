//! DataLoaders for catalogue rows looked up by id from objects that are not actions (a
//! reference's person, a move's work streams). Action relations batch per page: see `batch`.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{person, workstream};
use sea_orm::DatabaseConnection;

use crate::error::AppError;
use crate::plans;

pub struct Loaders {
    pub db: DatabaseConnection,
}

/// Loader errors are shared between every field waiting on the batch, hence `Arc`.
pub type LoadError = Arc<AppError>;

fn ids<K: Copy>(keys: &[K], f: impl Fn(K) -> i32) -> Vec<i32> {
    keys.iter().map(|k| f(*k)).collect()
}

/// Defines a key newtype for a row looked up by id and its loader.
macro_rules! by_id {
    ($key:ident, $model:ty, $service:path) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for Loaders {
            type Value = $model;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let rows = $service(&self.db, &ids(keys, |k| k.0))
                    .await
                    .map_err(Arc::new)?;
                Ok(rows.into_iter().map(|m| ($key(m.id), m)).collect())
            }
        }
    };
}

by_id!(
    WorkstreamId,
    workstream::Model,
    plans::query::workstreams_by_ids
);
by_id!(PersonId, person::Model, plans::query::people_by_ids);
