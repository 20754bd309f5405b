//! Pages of a plan's actions, as the read path runs them: one statement that also returns the
//! plan's catalogue version (so the request's catalogue is confirmed without a statement of
//! its own, see `plans::catalogue`) and, when the query asks for it, each action's latest
//! history entries (so a board of actions with their recent history is one statement).
use std::collections::HashMap;

use entity::{action, rag_update};
use sea_orm::{
    sea_query::{Expr, NullOrdering, Order},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PartialModelTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Statement,
};

use super::{ActionOrder, ActionRow, OrderDirection, OrderField, ResolvedFilter};
use crate::error::AppResult;
use crate::paging::split_page;
use crate::rag::{history, RagStatus};

/// A page of history per action (of `HistoryPages`' bounds), and whether more follow.
pub type HistoryPages = HashMap<i32, (Vec<rag_update::Model>, bool)>;

/// The history page a read should bring along with each action: `limit` entries after
/// `offset`, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LatestHistory {
    pub offset: u64,
    pub limit: u64,
}

/// What a checked read found: its rows, whether more follow, the plan's catalogue version
/// (`None` when no row came back to carry it), and the history it was asked to bring.
pub struct Checked<T> {
    pub rows: T,
    pub more: bool,
    pub catalogue_version: Option<i32>,
    pub history: Option<HistoryPages>,
}

/// Order of a page; ties are broken by plan order, then id, so pages never overlap or skip.
fn ordered(mut q: Select<action::Entity>, order: ActionOrder) -> Select<action::Entity> {
    let dir = match order.direction {
        OrderDirection::Asc => Order::Asc,
        OrderDirection::Desc => Order::Desc,
    };
    q = match order.field {
        OrderField::Position => q.order_by(action::Column::Position, dir.clone()),
        OrderField::DueDate => {
            // Explicit NULLS LAST: the engines disagree on the default.
            q.order_by_with_nulls(action::Column::DueDate, dir.clone(), NullOrdering::Last)
        }
        OrderField::RagStatus => q.order_by(rag_severity(), dir.clone()),
        OrderField::UpdatedAt => q.order_by(action::Column::UpdatedAt, dir.clone()),
    };
    if order.field != OrderField::Position {
        q = q.order_by(action::Column::Position, Order::Asc);
    }
    q.order_by(action::Column::Id, dir)
}

/// RED, AMBER, GREY, GREEN, BLUE as 0..4, for ordering by severity.
fn rag_severity() -> Expr {
    let status = action::Column::RagStatus;
    Expr::Case(Box::new(
        Expr::case(status.eq(RagStatus::Red), 0)
            .case(status.eq(RagStatus::Amber), 1)
            .case(status.eq(RagStatus::Grey), 2)
            .case(status.eq(RagStatus::Green), 3)
            .finally(4),
    ))
}

/// The same order as `ordered`, as SQL text over the page's alias `a` (for the statement that
/// wraps the page).
fn order_text(order: ActionOrder) -> String {
    let dir = match order.direction {
        OrderDirection::Asc => "ASC",
        OrderDirection::Desc => "DESC",
    };
    let first = match order.field {
        OrderField::Position => format!("a.position {dir}"),
        OrderField::DueDate => {
            format!("CASE WHEN a.due_date IS NULL THEN 1 ELSE 0 END, a.due_date {dir}")
        }
        OrderField::RagStatus => format!(
            "CASE a.rag_status WHEN 'RED' THEN 0 WHEN 'AMBER' THEN 1 WHEN 'GREY' THEN 2 \
             WHEN 'GREEN' THEN 3 ELSE 4 END {dir}"
        ),
        OrderField::UpdatedAt => format!("a.updated_at {dir}"),
    };
    let tie = if order.field == OrderField::Position {
        String::new()
    } else {
        "a.position ASC, ".to_string()
    };
    format!("{first}, {tie}a.id {dir}")
}

fn page_query(
    filter: &ResolvedFilter,
    order: ActionOrder,
    offset: u64,
    limit: u64,
) -> Select<action::Entity> {
    ordered(action::Entity::find().filter(filter.condition()), order)
        .offset(offset)
        .limit(limit + 1)
}

/// One page of actions: `limit` rows after skipping `offset`, plus whether more follow.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &ResolvedFilter,
    order: ActionOrder,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<ActionRow>, bool)> {
    let rows = page_query(filter, order, offset, limit)
        .into_partial_model()
        .all(db)
        .await?;
    Ok(split_page(rows, limit))
}

/// An action row with its plan's catalogue version.
struct Versioned {
    row: ActionRow,
    version: i32,
}

impl FromQueryResult for Versioned {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        Ok(Self {
            row: ActionRow::from_query_result(res, pre)?,
            version: res.try_get(pre, "catalogue_version")?,
        })
    }
}

/// `q`'s action rows with the plan's catalogue version, and each action's `history` page
/// when asked: one statement.
async fn read<C: ConnectionTrait>(
    db: &C,
    q: Select<action::Entity>,
    plan_id: i32,
    order: ActionOrder,
    history: Option<LatestHistory>,
) -> AppResult<(Vec<ActionRow>, Option<i32>, Option<HistoryPages>)> {
    let q = ActionRow::select_cols(QuerySelect::select_only(q)).expr_as(
        crate::plans::query::catalogue_version(plan_id),
        "catalogue_version",
    );
    let Some(h) = history else {
        let rows: Vec<Versioned> = q.into_model().all(db).await?;
        let version = rows.first().map(|r| r.version);
        return Ok((rows.into_iter().map(|r| r.row).collect(), version, None));
    };
    // The page, wrapped: each of its actions with its latest entries as one JSON column (so
    // each action is one row, not one per entry). Wrapped so that the entries are read for
    // the page's rows only, after its LIMIT.
    let backend = db.get_database_backend();
    let page = q.build(backend);
    let sql = format!(
        "SELECT a.*, {} AS history FROM ({}) a ORDER BY {}",
        history::latest_as_json(backend, "a.id", h.limit + 1, h.offset),
        page.sql,
        order_text(order),
    );
    let stmt = Statement {
        sql,
        values: page.values,
        db_backend: backend,
    };
    let mut rows: Vec<ActionRow> = Vec::new();
    let mut version = None;
    let mut pages = HistoryPages::new();
    for res in db.query_all_raw(stmt).await? {
        let row = ActionRow::from_query_result(&res, "")?;
        version = Some(res.try_get("", "catalogue_version")?);
        let json: String = res.try_get("", "history")?;
        let mut entries = history::from_json(&json)?;
        let more = entries.len() as u64 > h.limit;
        entries.truncate(h.limit as usize);
        pages.insert(row.id, (entries, more));
        rows.push(row);
    }
    Ok((rows, version, Some(pages)))
}

/// Like `page`, as one statement that also returns the plan's catalogue version and, when
/// asked, each action's latest history.
pub async fn page_checked<C: ConnectionTrait>(
    db: &C,
    filter: &ResolvedFilter,
    order: ActionOrder,
    offset: u64,
    limit: u64,
    history: Option<LatestHistory>,
) -> AppResult<Checked<Vec<ActionRow>>> {
    let q = page_query(filter, order, offset, limit);
    let (rows, version, history) = read(db, q, filter.plan_id(), order, history).await?;
    let (rows, more) = split_page(rows, limit);
    // The history of the row past the page (there only to tell whether more follow) is left
    // in `history`, unread.
    Ok(Checked {
        rows,
        more,
        catalogue_version: version,
        history,
    })
}

/// One action of a plan by its code, within `visible`, with the plan's catalogue version and,
/// when asked, its latest history: one statement.
pub async fn by_code_checked<C: ConnectionTrait>(
    db: &C,
    visible: Condition,
    plan_id: i32,
    code: &str,
    history: Option<LatestHistory>,
) -> AppResult<Checked<Option<ActionRow>>> {
    let q = action::Entity::find()
        .filter(visible)
        .filter(action::Column::PlanId.eq(plan_id))
        .filter(action::Column::Code.eq(code.trim()))
        .limit(1);
    let (mut rows, version, history) =
        read(db, q, plan_id, ActionOrder::default(), history).await?;
    Ok(Checked {
        rows: rows.pop(),
        more: false,
        catalogue_version: version,
        history,
    })
}
