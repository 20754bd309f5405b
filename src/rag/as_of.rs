//! The RAG history read as of a date: per-action lookups that each cost one index probe on
//! `rag_update (action_id, effective_date, id)`, as SQL expressions on `action` rows and as
//! batched loaders for a page of actions.
use std::collections::HashMap;

use chrono::NaiveDate;
use entity::action;
use entity::rag_update;
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, Order, Query, QueryStatementBuilder},
    ConnectionTrait, EntityTrait, Statement,
};

use crate::db::placeholders;
use crate::error::AppResult;

/// `(SELECT <what> FROM <table> t WHERE t.action_id = action.id AND t.effective_date <= day
/// ORDER BY t.effective_date DESC, t.id DESC LIMIT 1)`: one index probe per action.
fn latest_on(table: &str, what: Expr, day: NaiveDate) -> Expr {
    let t = Alias::new("t");
    let sel = Query::select()
        .expr(what)
        .from_as(Alias::new(table), t.clone())
        .and_where(
            Expr::col((t.clone(), Alias::new("action_id")))
                .equals((action::Entity, action::Column::Id)),
        )
        .and_where(Expr::col((t.clone(), Alias::new("effective_date"))).lte(day))
        .order_by((t.clone(), Alias::new("effective_date")), Order::Desc)
        .order_by((t, Alias::new("id")), Order::Desc)
        .limit(1)
        .to_owned();
    Expr::SubQuery(None, Box::new(sel.into_sub_query_statement()))
}

fn t_col(name: &str) -> Expr {
    Expr::col((Alias::new("t"), Alias::new(name)))
}

/// The status an action had at the end of `day` (NULL when it had none yet).
pub fn status_on(day: NaiveDate) -> Expr {
    latest_on("rag_update", t_col("status"), day)
}

/// The effective date of the status an action had at the end of `day`.
pub fn status_date_on(day: NaiveDate) -> Expr {
    latest_on("rag_update", t_col("effective_date"), day)
}

/// The lifecycle state of an action at the end of `day` (`active` unless removed by then).
pub fn state_on(day: NaiveDate) -> Expr {
    Expr::expr(Func::coalesce([
        latest_on("action_state_change", t_col("state"), day),
        Expr::val("active"),
    ]))
}

/// The history entry in effect at the end of `day`, for each of several actions: one statement.
pub async fn entries_on<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
    day: NaiveDate,
) -> AppResult<HashMap<i32, rag_update::Model>> {
    if action_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let ids = placeholders(backend, 1, action_ids.len());
    let day_param = placeholders(backend, action_ids.len() + 1, 1).join("");
    let sql = format!(
        "SELECT id, action_id, status, previous_status, note, effective_date, recorded_at, author, source \
         FROM (SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.action_id \
               ORDER BY r.effective_date DESC, r.id DESC) AS rn \
               FROM rag_update r WHERE r.action_id IN ({}) AND r.effective_date <= {day_param}) t \
         WHERE t.rn = 1",
        ids.join(", ")
    );
    let mut values: Vec<sea_orm::Value> = action_ids.iter().map(|id| (*id).into()).collect();
    values.push(day.into());
    let rows = rag_update::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.action_id, r)).collect())
}

/// Since when each action has had its current status: the first entry of the latest run of
/// entries with that status (an AMBER re-confirmed every fortnight is AMBER since the first).
pub async fn current_status_since<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<HashMap<i32, NaiveDate>> {
    if action_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let ids = placeholders(backend, 1, action_ids.len());
    // Walking each action's entries newest first, `breaks` counts entries with another status
    // seen so far: the current run is where it is still 0. One sort per action, no self-join.
    let sql = format!(
        "SELECT t.action_id AS action_id, MIN(t.effective_date) AS since FROM ( \
           SELECT r.action_id, r.effective_date, \
             SUM(CASE WHEN r.status <> a.rag_status THEN 1 ELSE 0 END) OVER ( \
               PARTITION BY r.action_id ORDER BY r.effective_date DESC, r.id DESC \
               ROWS UNBOUNDED PRECEDING) AS breaks \
           FROM rag_update r JOIN action a ON a.id = r.action_id \
           WHERE r.action_id IN ({}) AND a.id IN ({})) t \
         WHERE t.breaks = 0 GROUP BY t.action_id",
        ids.join(", "),
        // The same ids again, so the join probes `action` by key instead of scanning it.
        placeholders(backend, action_ids.len() + 1, action_ids.len()).join(", ")
    );
    let values: Vec<sea_orm::Value> = action_ids
        .iter()
        .chain(action_ids)
        .map(|id| (*id).into())
        .collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut out = HashMap::new();
    for row in rows {
        let id: i32 = row.try_get("", "action_id")?;
        let since: NaiveDate = row.try_get("", "since")?;
        out.insert(id, since);
    }
    Ok(out)
}
