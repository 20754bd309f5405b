//! Reading the history: a page of the latest entries of many actions at once.
//!
//! A page costs what it returns, whatever the length of the histories: each action's entries
//! are read newest first straight off the `(action_id, effective_date, id)` index and the read
//! stops at the page's end. That needs a per-action LIMIT, which the engines spell differently
//! (PostgreSQL: `LATERAL`; SQLite: a correlated `IN (… LIMIT)`), hence SQL text per engine,
//! kept here and tested on both (`tests/api/cost.rs`). The statement text does not
//! depend on the number of actions (an array, or a JSON list on SQLite), so each server
//! connection prepares it once. The history's length, for `totalCount`, is a column of the
//! action (`history_count`), not a count of rows.
use std::collections::HashMap;

use entity::rag_update;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement, Value};

use crate::error::AppResult;

const COLUMNS: [&str; 9] = [
    "id",
    "action_id",
    "status",
    "previous_status",
    "note",
    "effective_date",
    "recorded_at",
    "author",
    "source",
];

/// How the statements below join each action (`action_id`, an SQL expression naming the
/// action's id) to its page of history `h`: the page's size and start are written into the
/// text (as numbers, nothing a client sends). PostgreSQL then keeps one generic plan for the
/// statement, where a LIMIT given as a parameter made it plan every run again; clients ask for
/// a handful of page sizes, so each connection prepares a handful of texts.
pub fn join_latest(backend: DbBackend, action_id: &str, limit: u64, offset: u64) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "LATERAL (SELECT r.* FROM rag_update r WHERE r.action_id = {action_id} \
               ORDER BY r.effective_date DESC, r.id DESC LIMIT {limit} OFFSET {offset}) h"
        ),
        _ => format!(
            "rag_update h ON h.id IN (SELECT r.id FROM rag_update r \
               WHERE r.action_id = {action_id} \
               ORDER BY r.effective_date DESC, r.id DESC LIMIT {limit} OFFSET {offset})"
        ),
    }
}

/// `h`'s columns as `h_<column>`, for statements that also return other rows' columns.
pub fn prefixed_columns() -> String {
    COLUMNS
        .iter()
        .map(|c| format!("h.{c} AS h_{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A history row from columns named `<prefix><column>`; `None` where the row has none (an
/// action without entries in a LEFT JOIN).
pub fn row(res: &sea_orm::QueryResult, prefix: &str) -> AppResult<Option<rag_update::Model>> {
    let id: Option<i32> = res.try_get(prefix, "id")?;
    let Some(id) = id else { return Ok(None) };
    Ok(Some(rag_update::Model {
        id,
        action_id: res.try_get(prefix, "action_id")?,
        status: res.try_get(prefix, "status")?,
        previous_status: res.try_get(prefix, "previous_status")?,
        note: res.try_get(prefix, "note")?,
        effective_date: res.try_get(prefix, "effective_date")?,
        recorded_at: res.try_get(prefix, "recorded_at")?,
        author: res.try_get(prefix, "author")?,
        source: res.try_get(prefix, "source")?,
    }))
}

fn page_sql(backend: DbBackend, limit: u64, offset: u64) -> String {
    let columns = COLUMNS
        .iter()
        .map(|c| format!("h.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let join = join_latest(backend, "a.id", limit, offset);
    match backend {
        DbBackend::Postgres => format!(
            "SELECT {columns} FROM unnest($1::int4[]) WITH ORDINALITY AS a(id, ord) \
             CROSS JOIN {join} ORDER BY a.ord, h.effective_date DESC, h.id DESC"
        ),
        _ => format!(
            "SELECT {columns} FROM (SELECT value AS id, key AS ord FROM json_each(?1)) a \
             JOIN {join} ORDER BY a.ord, h.effective_date DESC, h.id DESC"
        ),
    }
}

/// The ids as the statement takes them: an `int4[]` on PostgreSQL, a JSON list on SQLite.
fn id_list(backend: DbBackend, ids: &[i32]) -> Value {
    match backend {
        DbBackend::Postgres => ids.to_vec().into(),
        _ => {
            let mut s = String::with_capacity(ids.len() * 7 + 2);
            s.push('[');
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str(&id.to_string());
            }
            s.push(']');
            s.into()
        }
    }
}

/// The statement `pages` runs, for tests that look at how the engine executes it.
pub fn pages_statement(
    backend: DbBackend,
    action_ids: &[i32],
    offset: u64,
    limit: u64,
) -> Statement {
    Statement::from_sql_and_values(
        backend,
        // One more than the page, to tell whether more follow.
        page_sql(backend, limit + 1, offset),
        [id_list(backend, action_ids)],
    )
}

/// Rows of several actions' history pages (fetched one more than `limit`), newest first per
/// action, as each action's page and whether more follow.
pub fn split_pages(
    rows: impl IntoIterator<Item = rag_update::Model>,
    limit: u64,
) -> HashMap<i32, (Vec<rag_update::Model>, bool)> {
    let mut out: HashMap<i32, (Vec<rag_update::Model>, bool)> = HashMap::new();
    for r in rows {
        let entry = out.entry(r.action_id).or_default();
        if entry.0.len() as u64 == limit {
            entry.1 = true;
        } else {
            entry.0.push(r);
        }
    }
    out
}

/// One page of history (newest first) for each of several actions, in one statement.
/// Returns, per action, the rows and whether more follow.
pub async fn pages<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
    offset: u64,
    limit: u64,
) -> AppResult<HashMap<i32, (Vec<rag_update::Model>, bool)>> {
    if action_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let stmt = pages_statement(db.get_database_backend(), action_ids, offset, limit);
    let rows = rag_update::Entity::find()
        .from_raw_sql(stmt)
        .all(db)
        .await?;
    Ok(split_pages(rows, limit))
}
