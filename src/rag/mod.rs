//! RAG: the status scale and the append-only history of every action's status.
//!
//! The current status lives on the action row (denormalised on each write) so reads and counts
//! never scan the history; the history answers "what changed, when, by whom and why".
pub mod as_of;
mod record;
mod summary;

pub use record::{
    check_rules, latest_effective_date, record, NewRagUpdate, Recorded, API_SOURCE, MAX_NOTE_LEN,
};

pub use summary::{
    summary, trend, trend_days, Counts, Group, GroupBy, Interval, Summary, MAX_TREND_POINTS,
};

use std::collections::HashMap;

use entity::{rag_level, rag_update};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::db::placeholders;
use crate::error::AppResult;
pub use crate::plans::format::RagStatus;

/// The plan's RAG table, in the plan's order.
pub async fn scale<C: ConnectionTrait>(db: &C, plan_id: i32) -> AppResult<Vec<rag_level::Model>> {
    Ok(rag_level::Entity::find()
        .filter(rag_level::Column::PlanId.eq(plan_id))
        .order_by_asc(rag_level::Column::Position)
        .all(db)
        .await?)
}

/// One page of history (newest first) for each of several actions, in one statement: a window
/// function numbers each action's rows so the same offset/limit applies per action.
/// Returns, per action, the rows and whether more follow.
pub async fn history_pages<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
    offset: u64,
    limit: u64,
) -> AppResult<HashMap<i32, (Vec<rag_update::Model>, bool)>> {
    if action_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let n = action_ids.len();
    let list = placeholders(backend, 1, n);
    let bounds = placeholders(backend, n + 1, 2);
    let sql = format!(
        "SELECT id, action_id, status, previous_status, note, effective_date, recorded_at, author, source \
         FROM (SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.action_id \
               ORDER BY r.effective_date DESC, r.id DESC) AS rn \
               FROM rag_update r WHERE r.action_id IN ({})) t \
         WHERE t.rn > {} AND t.rn <= {} ORDER BY t.action_id, t.rn",
        list.join(", "),
        bounds[0],
        bounds[1],
    );
    let mut values: Vec<sea_orm::Value> = action_ids.iter().map(|id| (*id).into()).collect();
    values.push((offset as i64).into());
    values.push(((offset + limit + 1) as i64).into());
    let rows = rag_update::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await?;
    let mut out: HashMap<i32, (Vec<rag_update::Model>, bool)> = HashMap::new();
    for r in rows {
        let entry = out.entry(r.action_id).or_default();
        if entry.0.len() as u64 == limit {
            entry.1 = true;
        } else {
            entry.0.push(r);
        }
    }
    Ok(out)
}

/// Number of history rows per action, in one grouped statement.
pub async fn history_counts<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, u64>> {
    let rows: Vec<(i32, i64)> = rag_update::Entity::find()
        .select_only()
        .column(rag_update::Column::ActionId)
        .column_as(rag_update::Column::Id.count(), "n")
        .filter(rag_update::Column::ActionId.is_in(action_ids.iter().copied()))
        .group_by(rag_update::Column::ActionId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(a, n)| (a, n.max(0) as u64))
        .collect())
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
