//! Reading plans and their catalogues.
use entity::{
    action, action_evidence, evidence_source, person, plan, source_reference, theme, workstream,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::error::AppResult;

/// Plan `plan_id`'s catalogue version as an SQL expression, for statements that read a plan's
/// data and confirm its catalogue in passing (see `plans::catalogue`).
pub fn catalogue_version(plan_id: i32) -> Expr {
    Expr::SubQuery(
        None,
        Box::new(
            Query::select()
                .column(plan::Column::CatalogueVersion)
                .from(plan::Entity)
                .and_where(plan::Column::Id.eq(plan_id))
                .to_owned()
                .into(),
        ),
    )
}

pub async fn by_slug<C: ConnectionTrait>(db: &C, slug: &str) -> AppResult<Option<plan::Model>> {
    Ok(plan::Entity::find()
        .filter(plan::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn by_id<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<Option<plan::Model>> {
    Ok(plan::Entity::find_by_id(id).one(db).await?)
}

/// A page of plans by slug, as (id, catalogue version), plus whether more follow.
/// `visible` is the principal's plan scope.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    visible: Condition,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<(i32, i32)>, bool)> {
    let rows = plan::Entity::find()
        .select_only()
        .column(plan::Column::Id)
        .column(plan::Column::CatalogueVersion)
        .filter(visible)
        .order_by_asc(plan::Column::Slug)
        .offset(offset)
        .limit(limit + 1)
        .into_tuple()
        .all(db)
        .await?;
    Ok(crate::paging::split_page(rows, limit))
}

pub async fn count<C: ConnectionTrait>(db: &C, visible: Condition) -> AppResult<u64> {
    Ok(plan::Entity::find().filter(visible).count(db).await?)
}

pub async fn themes<C: ConnectionTrait>(db: &C, plan_id: i32) -> AppResult<Vec<theme::Model>> {
    Ok(theme::Entity::find()
        .filter(theme::Column::PlanId.eq(plan_id))
        .order_by_asc(theme::Column::Number)
        .all(db)
        .await?)
}

pub async fn workstreams<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
) -> AppResult<Vec<workstream::Model>> {
    Ok(workstream::Entity::find()
        .filter(workstream::Column::PlanId.eq(plan_id))
        .order_by_asc(workstream::Column::Position)
        .all(db)
        .await?)
}

pub async fn people<C: ConnectionTrait>(db: &C, plan_id: i32) -> AppResult<Vec<person::Model>> {
    Ok(person::Entity::find()
        .filter(person::Column::PlanId.eq(plan_id))
        .order_by_asc(person::Column::Position)
        .all(db)
        .await?)
}

pub async fn references<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
) -> AppResult<Vec<source_reference::Model>> {
    Ok(source_reference::Entity::find()
        .filter(source_reference::Column::PlanId.eq(plan_id))
        .order_by_asc(source_reference::Column::Position)
        .all(db)
        .await?)
}

/// Evidence sources cited by the plan's actions that `visible` admits (every source of the
/// plan when it admits every action), so a partner cannot infer actions it cannot see.
pub async fn evidence_sources<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    visible: Option<Condition>,
) -> AppResult<Vec<evidence_source::Model>> {
    let mut q = evidence_source::Entity::find().filter(evidence_source::Column::PlanId.eq(plan_id));
    if let Some(visible) = visible {
        q = q.filter(
            evidence_source::Column::Id.in_subquery(
                Query::select()
                    .column((
                        action_evidence::Entity,
                        action_evidence::Column::EvidenceSourceId,
                    ))
                    .from(action_evidence::Entity)
                    .inner_join(
                        action::Entity,
                        Expr::col((action::Entity, action::Column::Id))
                            .equals((action_evidence::Entity, action_evidence::Column::ActionId)),
                    )
                    .cond_where(visible)
                    .to_owned(),
            ),
        );
    }
    Ok(q.order_by_asc(evidence_source::Column::Position)
        .all(db)
        .await?)
}

pub async fn themes_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<Vec<theme::Model>> {
    Ok(theme::Entity::find()
        .filter(theme::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn workstreams_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<Vec<workstream::Model>> {
    Ok(workstream::Entity::find()
        .filter(workstream::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn people_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<Vec<person::Model>> {
    Ok(person::Entity::find()
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn references_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<Vec<source_reference::Model>> {
    Ok(source_reference::Entity::find()
        .filter(source_reference::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<Vec<plan::Model>> {
    Ok(plan::Entity::find()
        .filter(plan::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}
