//! DataLoaders: every relation of an action is fetched for the whole page in one batch.
//! Each key type below is one relation; the loader calls the matching service batch function.
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::{
    action, action_descriptor, evidence_source, milestone, person, plan, rag_update,
    removal_proposal, source_reference, theme, timescale_extension, workstream, workstream_move,
};
use sea_orm::DatabaseConnection;

use crate::actions::{self, LinkDirection};
use crate::error::AppError;
use crate::{plans, rag};

pub struct Loaders {
    pub db: DatabaseConnection,
}

/// Loader errors are shared between every field waiting on the batch, hence `Arc`.
pub type LoadError = Arc<AppError>;

fn ids<K: Copy>(keys: &[K], f: impl Fn(K) -> i32) -> Vec<i32> {
    keys.iter().map(|k| f(*k)).collect()
}

/// Defines a key newtype for a per-action list relation and its loader.
macro_rules! per_action_list {
    ($key:ident, $model:ty, $service:path) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for Loaders {
            type Value = Vec<$model>;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let mut found = $service(&self.db, &ids(keys, |k| k.0)).await.map_err(Arc::new)?;
                Ok(keys
                    .iter()
                    .map(|k| (*k, found.remove(&k.0).unwrap_or_default()))
                    .collect())
            }
        }
    };
}

per_action_list!(LeadsOf, person::Model, actions::leads_for);
per_action_list!(ReferencesOf, source_reference::Model, actions::references_for);
per_action_list!(EvidenceOf, evidence_source::Model, actions::evidence_for);
per_action_list!(DescriptorsOf, action_descriptor::Model, actions::descriptors_for);
per_action_list!(MilestonesOf, milestone::Model, actions::milestones_for);
per_action_list!(ExtensionsOf, timescale_extension::Model, actions::extensions_for);
per_action_list!(MovesOf, workstream_move::Model, actions::moves_for);
per_action_list!(RemovalProposalsOf, removal_proposal::Model, actions::removal_proposals_for);

/// Defines a key newtype for a row looked up by id and its loader.
macro_rules! by_id {
    ($key:ident, $model:ty, $service:path) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for Loaders {
            type Value = $model;
            type Error = LoadError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let rows = $service(&self.db, &ids(keys, |k| k.0)).await.map_err(Arc::new)?;
                Ok(rows.into_iter().map(|m| ($key(m.id), m)).collect())
            }
        }
    };
}

by_id!(ThemeId, theme::Model, plans::query::themes_by_ids);
by_id!(WorkstreamId, workstream::Model, plans::query::workstreams_by_ids);
by_id!(PersonId, person::Model, plans::query::people_by_ids);
by_id!(PlanId, plan::Model, plans::query::by_ids);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionId(pub i32);

impl Loader<ActionId> for Loaders {
    type Value = action::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[ActionId]) -> Result<HashMap<ActionId, Self::Value>, Self::Error> {
        let found = actions::by_ids(&self.db, &ids(keys, |k| k.0)).await.map_err(Arc::new)?;
        Ok(found.into_iter().map(|(id, m)| (ActionId(id), m)).collect())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinksOf(pub i32, pub LinkDirection);

impl Loader<LinksOf> for Loaders {
    type Value = Vec<action::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[LinksOf]) -> Result<HashMap<LinksOf, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for dir in [LinkDirection::Outgoing, LinkDirection::Incoming] {
            let ids: Vec<i32> = keys.iter().filter(|k| k.1 == dir).map(|k| k.0).collect();
            if ids.is_empty() {
                continue;
            }
            let mut found = actions::links_for(&self.db, &ids, dir).await.map_err(Arc::new)?;
            for id in ids {
                out.insert(LinksOf(id, dir), found.remove(&id).unwrap_or_default());
            }
        }
        Ok(out)
    }
}

/// One page of an action's RAG history; pages with the same bounds share one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HistoryOf {
    pub action_id: i32,
    pub offset: u64,
    pub limit: u64,
}

impl Loader<HistoryOf> for Loaders {
    type Value = (Vec<rag_update::Model>, bool);
    type Error = LoadError;

    async fn load(&self, keys: &[HistoryOf]) -> Result<HashMap<HistoryOf, Self::Value>, Self::Error> {
        let mut groups: HashMap<(u64, u64), Vec<i32>> = HashMap::new();
        for k in keys {
            groups.entry((k.offset, k.limit)).or_default().push(k.action_id);
        }
        let mut out = HashMap::new();
        for ((offset, limit), ids) in groups {
            let mut found = rag::history_pages(&self.db, &ids, offset, limit)
                .await
                .map_err(Arc::new)?;
            for action_id in ids {
                let key = HistoryOf { action_id, offset, limit };
                out.insert(key, found.remove(&action_id).unwrap_or_default());
            }
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HistoryCount(pub i32);

impl Loader<HistoryCount> for Loaders {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[HistoryCount]) -> Result<HashMap<HistoryCount, u64>, Self::Error> {
        let found = rag::history_counts(&self.db, &ids(keys, |k| k.0)).await.map_err(Arc::new)?;
        Ok(keys.iter().map(|k| (*k, found.get(&k.0).copied().unwrap_or(0))).collect())
    }
}
