//! RAG: the status scale and the append-only history of every action's status.
//!
//! The current status lives on the action row (denormalised on each write) so reads and counts
//! never scan the history; the history answers "what changed, when, by whom and why".
pub mod as_of;
pub mod history;
mod record;
mod summary;

pub use record::{
    check_rules, clean_note, record, record_many, require_note, NewRagUpdate, Recorded, API_SOURCE,
    MAX_BATCH, MAX_NOTE_LEN,
};

pub use summary::{
    summary, trend, trend_days, Counted, Counts, Group, GroupBy, Interval, Summary,
    MAX_TREND_POINTS,
};

use entity::{rag_level, rag_update};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::AppResult;
/// The scale itself is a stored vocabulary, typed in `entity::values`.
pub use entity::RagStatus;

/// The plan's RAG table, in the plan's order.
pub async fn scale<C: ConnectionTrait>(db: &C, plan_id: i32) -> AppResult<Vec<rag_level::Model>> {
    Ok(rag_level::Entity::find()
        .filter(rag_level::Column::PlanId.eq(plan_id))
        .order_by_asc(rag_level::Column::Position)
        .all(db)
        .await?)
}

pub async fn update_by_id<C: ConnectionTrait>(
    db: &C,
    id: i32,
) -> AppResult<Option<rag_update::Model>> {
    Ok(rag_update::Entity::find_by_id(id).one(db).await?)
}

fn changes_condition(
    filter: &crate::actions::ResolvedFilter,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> AppResult<sea_orm::Condition> {
    if to < from {
        return Err(crate::error::AppError::bad_input(format!(
            "`to` ({to}) is before `from` ({from})"
        )));
    }
    Ok(sea_orm::Condition::all()
        .add(rag_update::Column::EffectiveDate.gte(from))
        .add(rag_update::Column::EffectiveDate.lte(to))
        .add(
            rag_update::Column::ActionId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column((entity::action::Entity, entity::action::Column::Id))
                    .from(entity::action::Entity)
                    .cond_where(filter.condition())
                    .to_owned(),
            ),
        ))
}

/// Every status change taking effect from `from` to `to` (inclusive) on the actions `filter`
/// selects, oldest first: "what moved since the last board".
pub async fn changes<C: ConnectionTrait>(
    db: &C,
    filter: &crate::actions::ResolvedFilter,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<rag_update::Model>, bool)> {
    let rows = rag_update::Entity::find()
        .filter(changes_condition(filter, from, to)?)
        .order_by_asc(rag_update::Column::EffectiveDate)
        .order_by_asc(rag_update::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(crate::paging::split_page(rows, limit))
}

pub async fn changes_count<C: ConnectionTrait>(
    db: &C,
    filter: &crate::actions::ResolvedFilter,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(rag_update::Entity::find()
        .filter(changes_condition(filter, from, to)?)
        .count(db)
        .await?)
}
