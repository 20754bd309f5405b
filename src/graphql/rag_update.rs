//! RAG history: one status change (`RagUpdate`) and a page of an action's history.
use async_graphql::{Object, SimpleObject, ID};
use entity::rag_update;

use std::sync::Arc;

use super::action::filter::RagStatusGql;
use super::relay::{cursor, global_id, Kind, PageInfo};
use super::scalars::Date;

/// One RAG status change: append-only history.
pub struct RagUpdate(pub Arc<rag_update::Model>);

impl RagUpdate {
    pub fn new(row: rag_update::Model) -> Self {
        Self(Arc::new(row))
    }
}

/// One entry of an action's RAG history: a status, when it took effect, who recorded it and
/// why. The history is append-only.
#[Object(serial)]
impl RagUpdate {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::RagUpdate, self.0.id)
    }
    /// The status recorded.
    async fn status(&self) -> RagStatusGql {
        self.0.status.into()
    }
    /// The status before this change; null for an action's first entry.
    async fn previous_status(&self) -> Option<RagStatusGql> {
        self.0.previous_status.map(Into::into)
    }
    /// Why, in the recorder's words; null when none was given (one is required to become RED
    /// or to leave BLUE).
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The date the status took effect (may be back-dated to a review date).
    async fn effective_date(&self) -> Date {
        Date(self.0.effective_date)
    }
    /// When the change was recorded.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.recorded_at
    }
    /// Who recorded it.
    async fn author(&self) -> &str {
        &self.0.author
    }
    /// Where it came from (e.g. the imported plan file).
    async fn source(&self) -> &str {
        &self.0.source
    }
}

/// A page of an action's RAG history.
pub struct RagUpdateConnection {
    /// The action's `history_count`.
    pub(super) total: i32,
    pub(super) offset: u64,
    pub(super) rows: Vec<Arc<rag_update::Model>>,
    pub(super) more: bool,
}

/// An edge to a RAG update.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct RagUpdateEdge {
    /// Pass as `after` to continue after this entry.
    cursor: String,
    /// The history entry.
    node: RagUpdate,
}

/// A page of an action's RAG history, newest first.
#[Object(serial)]
impl RagUpdateConnection {
    /// The entries of this page, each with its cursor.
    async fn edges(&self) -> Vec<RagUpdateEdge> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| RagUpdateEdge {
                cursor: cursor(self.offset + i as u64),
                node: RagUpdate(r.clone()),
            })
            .collect()
    }
    /// The entries of this page, without cursors.
    async fn nodes(&self) -> Vec<RagUpdate> {
        self.rows.iter().map(|r| RagUpdate(r.clone())).collect()
    }
    /// Whether more entries follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo::new(self.offset, self.rows.len(), self.more)
    }
    /// Number of history entries of the action.
    async fn total_count(&self) -> u64 {
        u64::try_from(self.total).unwrap_or(0)
    }
}
