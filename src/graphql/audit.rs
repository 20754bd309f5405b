//! The audit log (admins only).
use async_graphql::{Context, InputObject, Json, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::context::{catalogues, state};
use super::principal;
use super::relay::{cursor, decode_global_id, global_id, offset_after, Kind, PageInfo};
use crate::audit::{self, AuditFilter};
use crate::error::AppError;
use crate::objects;

#[derive(Default)]
pub struct AuditQuery;

/// Narrows `auditLog`; fields combine with AND.
#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// Plan slug.
    pub plan: Option<String>,
    /// The token subject (`sub`) that made the change.
    pub actor: Option<String>,
    /// The mutation's name, e.g. `recordRagUpdate`.
    pub operation: Option<String>,
    /// Changes to this object (a global id).
    pub object: Option<ID>,
    /// Changes at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Changes before this time.
    pub until: Option<DateTime<Utc>>,
}

#[Object]
impl AuditQuery {
    /// Every change made through the API, newest first. Admin tokens only.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which changes (default: every change in the plans the token reaches).")]
        filter: Option<AuditLogFilter>,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<AuditEventConnection> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let limit = st.limits.page_size(first)?;
        let offset = offset_after(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let mut resolved = AuditFilter {
            actor: f.actor,
            operation: f.operation,
            since: f.since,
            until: f.until,
            ..Default::default()
        };
        if let Some(slug) = f.plan {
            let plan = objects::visible_plan(catalogues(ctx)?, who, &slug)
                .await?
                .ok_or_else(|| AppError::bad_input(format!("unknown plan {slug:?}")))?;
            resolved.plan_id = Some(plan.id());
        }
        if let Some(id) = f.object {
            let (kind, n) = decode_global_id(&id)?;
            resolved.object = Some((kind.name().to_string(), n));
        }
        let (rows, more) = audit::page(&st.db, who, &resolved, offset, limit).await?;
        Ok(AuditEventConnection {
            filter: resolved,
            offset,
            rows,
            more,
        })
    }
}

pub struct AuditEventConnection {
    filter: AuditFilter,
    offset: u64,
    rows: Vec<audit_event::Model>,
    more: bool,
}

/// An edge to an audit event.
#[derive(SimpleObject)]
pub struct AuditEventEdge {
    /// Pass as `after` to continue after this event.
    cursor: String,
    /// The event.
    node: AuditEvent,
}

/// A page of the audit log, newest first.
#[Object]
impl AuditEventConnection {
    /// The events of this page, each with its cursor.
    async fn edges(&self) -> Vec<AuditEventEdge> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| AuditEventEdge {
                cursor: cursor(self.offset + i as u64),
                node: AuditEvent(r.clone()),
            })
            .collect()
    }
    /// The events of this page, without cursors.
    async fn nodes(&self) -> Vec<AuditEvent> {
        self.rows.iter().cloned().map(AuditEvent).collect()
    }
    /// Whether more events follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo::new(self.offset, self.rows.len(), self.more)
    }
    /// Number of events matching the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(audit::count(&state(ctx)?.db, principal(ctx)?, &self.filter).await?)
    }
}

/// Who made a change.
#[derive(SimpleObject)]
pub struct Actor {
    /// The token's subject.
    sub: String,
    /// The token's role, e.g. `admin`, `lead` or `integration`.
    role: String,
    /// The token's display name, when it carries one.
    name: Option<String>,
}

/// One change: who, when, which operation, on what, before and after.
pub struct AuditEvent(audit_event::Model);

fn json(raw: &Option<String>) -> Result<Option<Json<serde_json::Value>>> {
    raw.as_deref()
        .map(|s| serde_json::from_str(s).map(Json))
        .transpose()
        .map_err(|e| AppError::internal(e).into())
}

/// One change made through the API: who, when, which mutation, on what, before and after.
#[Object]
impl AuditEvent {
    /// The event's number: increasing, never reused (the `eventId` of live events).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// When the change was made.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// Who made the change, as their token said.
    async fn actor(&self) -> Actor {
        Actor {
            sub: self.0.actor_sub.clone(),
            role: self.0.actor_role.clone(),
            name: self.0.actor_name.clone(),
        }
    }
    /// The mutation, e.g. `recordRagUpdate`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// The kind of object changed, e.g. `Action`.
    async fn object_type(&self) -> &str {
        &self.0.object_type
    }
    /// The changed object's global id.
    async fn object_id(&self) -> ID {
        match self.0.object_type.as_str() {
            "Action" => global_id(Kind::Action, self.0.object_id),
            "Plan" => global_id(Kind::Plan, self.0.object_id),
            other => ID(format!("{other}:{}", self.0.object_id)),
        }
    }
    /// The object before the change (null when it was created).
    async fn before(&self) -> Result<Option<Json<serde_json::Value>>> {
        json(&self.0.before)
    }
    /// The object after the change.
    async fn after(&self) -> Result<Option<Json<serde_json::Value>>> {
        json(&self.0.after)
    }
    /// The idempotency key the change was made with, if any.
    async fn idempotency_key(&self) -> Option<&str> {
        self.0.idempotency_key.as_deref()
    }
}
