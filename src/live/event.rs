//! An event: one audited change of one action, read back from the audit trail.
use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::auth::Operation;
use crate::error::AppResult;

/// What a subscriber or webhook asks to hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A RAG status recorded (`recordRagUpdate`).
    RagUpdated,
    /// Any audited change of an action, status changes included.
    ActionChanged,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RagUpdated => "RAG_UPDATED",
            Self::ActionChanged => "ACTION_CHANGED",
        }
    }
}

/// One committed change of one action.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    /// The audit event's id: the event id receivers deduplicate on.
    pub id: i32,
    pub plan_id: i32,
    pub action_id: i32,
    /// The mutation's name (`recordRagUpdate`, `moveAction`, ...).
    pub operation: String,
    pub occurred_at: DateTime<Utc>,
    /// The history row a status change appended.
    pub rag_update_id: Option<i32>,
    /// The audit trail's JSON snapshots of the action before and after.
    pub before: Option<String>,
    pub after: Option<String>,
}

impl LiveEvent {
    /// The most specific kind of this event.
    pub fn kind(&self) -> EventKind {
        if self.operation == Operation::RecordRagUpdate.name() {
            EventKind::RagUpdated
        } else {
            EventKind::ActionChanged
        }
    }

    /// Whether someone listening for `kind` hears this event.
    pub fn heard_by(&self, kind: EventKind) -> bool {
        kind == EventKind::ActionChanged || self.kind() == kind
    }

    fn from_row(row: audit_event::Model) -> Option<Self> {
        if row.object_type != crate::audit::ACTION_KIND {
            return None;
        }
        let rag_update_id = row
            .after
            .as_deref()
            .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
            .and_then(|v| v.get("ragUpdateId").and_then(|id| id.as_i64()))
            .and_then(|id| i32::try_from(id).ok());
        Some(Self {
            id: row.id,
            plan_id: row.plan_id?,
            action_id: row.object_id,
            operation: row.operation,
            occurred_at: row.occurred_at,
            rag_update_id,
            before: row.before,
            after: row.after,
        })
    }
}

/// Action events after `last`, oldest first (SQLite, where writers commit in id order).
pub async fn after<C: ConnectionTrait>(db: &C, last: i32, limit: u64) -> AppResult<Vec<LiveEvent>> {
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Id.gt(last))
        .order_by_asc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(LiveEvent::from_row).collect())
}

/// The highest event id so far (where a fresh reader starts).
pub async fn last_id<C: ConnectionTrait>(db: &C) -> AppResult<i32> {
    Ok(audit_event::Entity::find()
        .select_only()
        .column_as(audit_event::Column::Id.max(), "id")
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// The action events among `ids`, oldest first (PostgreSQL: the ids its notifications carried).
pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<Vec<LiveEvent>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(LiveEvent::from_row).collect())
}
