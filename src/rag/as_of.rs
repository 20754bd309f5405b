//! The RAG history read as of a date: per-action lookups that each cost one index probe on
//! `rag_update (action_id, effective_date, id)`, as SQL expressions on `action` rows and as
//! batched loaders for a page of actions.
use std::collections::HashMap;

use chrono::NaiveDate;
use entity::action;
use entity::rag_update;
use sea_orm::{
    sea_query::{
        Alias, Asterisk, Expr, ExprTrait, Frame, FrameType, Func, JoinType, Order, Query,
        QueryStatementBuilder, WindowStatement,
    },
    ConnectionTrait, EntityTrait, Iterable,
};

use crate::actions::LifecycleState;
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
        Expr::val(LifecycleState::Active.as_str()),
    ]))
}

/// `PARTITION BY t.action_id ORDER BY t.effective_date DESC, t.id DESC`: each action's
/// history newest first, the order every "latest" reading uses.
fn newest_first_per_action(t: &Alias) -> WindowStatement {
    let mut w = WindowStatement::partition_by((t.clone(), rag_update::Column::ActionId));
    w.order_by((t.clone(), rag_update::Column::EffectiveDate), Order::Desc)
        .order_by((t.clone(), rag_update::Column::Id), Order::Desc);
    w
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
    let (r, t) = (Alias::new("r"), Alias::new("t"));
    // Rank each action's entries up to `day`, newest first; keep the first of each.
    let ranked = Query::select()
        .column((r.clone(), Asterisk))
        .expr_window_as(
            Func::cust("ROW_NUMBER"),
            newest_first_per_action(&r),
            Alias::new("rn"),
        )
        .from_as(rag_update::Entity, r.clone())
        .and_where(Expr::col((r.clone(), rag_update::Column::ActionId)).is_in(action_ids.to_vec()))
        .and_where(Expr::col((r, rag_update::Column::EffectiveDate)).lte(day))
        .to_owned();
    let latest = Query::select()
        .columns(rag_update::Column::iter().map(|c| (t.clone(), c)))
        .from_subquery(ranked, t.clone())
        .and_where(Expr::col((t, Alias::new("rn"))).eq(1))
        .to_owned();
    let rows = rag_update::Entity::find()
        .from_raw_sql(db.get_database_backend().build(&latest))
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
    let (r, a, t) = (Alias::new("r"), Alias::new("a"), Alias::new("t"));
    // Walking each action's entries newest first, `breaks` counts entries with another status
    // seen so far: the current run is where it is still 0. One sort per action, no self-join.
    let mut running = newest_first_per_action(&r);
    running.frame_start(FrameType::Rows, Frame::UnboundedPreceding);
    let other_status = Expr::case(
        Expr::col((r.clone(), rag_update::Column::Status))
            .ne(Expr::col((a.clone(), action::Column::RagStatus))),
        1,
    )
    .finally(0);
    let walked = Query::select()
        .column((r.clone(), rag_update::Column::ActionId))
        .column((r.clone(), rag_update::Column::EffectiveDate))
        .expr_window_as(
            Func::sum(Expr::Case(Box::new(other_status))),
            running,
            Alias::new("breaks"),
        )
        .from_as(rag_update::Entity, r.clone())
        .join_as(
            JoinType::InnerJoin,
            action::Entity,
            a.clone(),
            Expr::col((a.clone(), action::Column::Id))
                .equals((r.clone(), rag_update::Column::ActionId)),
        )
        .and_where(Expr::col((r, rag_update::Column::ActionId)).is_in(action_ids.to_vec()))
        // The same ids again, so the join probes `action` by key instead of scanning it.
        .and_where(Expr::col((a, action::Column::Id)).is_in(action_ids.to_vec()))
        .to_owned();
    let since = Query::select()
        .expr_as(
            Expr::col((t.clone(), rag_update::Column::ActionId)),
            Alias::new("action_id"),
        )
        .expr_as(
            Func::min(Expr::col((t.clone(), rag_update::Column::EffectiveDate))),
            Alias::new("since"),
        )
        .from_subquery(walked, t.clone())
        .and_where(Expr::col((t.clone(), Alias::new("breaks"))).eq(0))
        .group_by_col((t, rag_update::Column::ActionId))
        .to_owned();
    let rows = db.query_all(&since).await?;
    let mut out = HashMap::new();
    for row in rows {
        let id: i32 = row.try_get("", "action_id")?;
        let since: NaiveDate = row.try_get("", "since")?;
        out.insert(id, since);
    }
    Ok(out)
}
