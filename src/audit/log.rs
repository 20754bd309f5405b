//! Reading the audit trail (`auditLog`, admins only): newest first, filtered.
use chrono::{DateTime, Utc};
use entity::{audit_event, plan};
use sea_orm::{
    sea_query::Query, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::auth::{Operation, Principal};
use crate::error::AppResult;

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub plan_id: Option<i32>,
    pub actor: Option<String>,
    pub operation: Option<String>,
    /// (object type, id)
    pub object: Option<(String, i32)>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl AuditFilter {
    fn condition(&self) -> Condition {
        let mut c = Condition::all();
        if let Some(p) = self.plan_id {
            c = c.add(audit_event::Column::PlanId.eq(p));
        }
        if let Some(a) = &self.actor {
            c = c.add(audit_event::Column::ActorSub.eq(a.clone()));
        }
        if let Some(o) = &self.operation {
            c = c.add(audit_event::Column::Operation.eq(o.clone()));
        }
        if let Some((kind, id)) = &self.object {
            c = c
                .add(audit_event::Column::ObjectType.eq(kind.clone()))
                .add(audit_event::Column::ObjectId.eq(*id));
        }
        if let Some(t) = self.since {
            c = c.add(audit_event::Column::OccurredAt.gte(t));
        }
        if let Some(t) = self.until {
            c = c.add(audit_event::Column::OccurredAt.lt(t));
        }
        c
    }
}

/// Events of the plans the token reaches (all, for an unrestricted admin).
fn reach(who: &Principal) -> Condition {
    match who.plan_slugs() {
        None => Condition::all(),
        Some(slugs) => Condition::all().add(
            audit_event::Column::PlanId.in_subquery(
                Query::select()
                    .column(plan::Column::Id)
                    .from(plan::Entity)
                    .and_where(plan::Column::Slug.is_in(slugs.iter().cloned()))
                    .to_owned(),
            ),
        ),
    }
}

/// One page of events, newest first, and whether more follow.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    who: &Principal,
    filter: &AuditFilter,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<audit_event::Model>, bool)> {
    who.require(Operation::ReadAuditLog)?;
    let rows = audit_event::Entity::find()
        .filter(filter.condition())
        .filter(reach(who))
        .order_by_desc(audit_event::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(crate::paging::split_page(rows, limit))
}

pub async fn count<C: ConnectionTrait>(
    db: &C,
    who: &Principal,
    filter: &AuditFilter,
) -> AppResult<u64> {
    who.require(Operation::ReadAuditLog)?;
    Ok(audit_event::Entity::find()
        .filter(filter.condition())
        .filter(reach(who))
        .count(db)
        .await?)
}
