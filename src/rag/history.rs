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

use super::RagStatus;
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

/// An SQL expression: the latest entries of action `action_id` (an SQL expression), `limit`
/// after `offset`, as JSON text: an array of `[id, action_id, status, previous_status, note,
/// effective_date, recorded_at, author, source]`. For statements that return one row per
/// action with its history (see `actions::page_checked`); read back with `from_json`.
pub fn latest_as_json(backend: DbBackend, action_id: &str, limit: u64, offset: u64) -> String {
    let fields = COLUMNS
        .iter()
        .map(|c| format!("r.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let latest = format!(
        "SELECT * FROM rag_update WHERE action_id = {action_id} \
         ORDER BY effective_date DESC, id DESC LIMIT {limit} OFFSET {offset}"
    );
    match backend {
        DbBackend::Postgres => format!(
            "(SELECT COALESCE(json_agg(json_build_array({fields})), '[]')::text FROM ({latest}) r)"
        ),
        _ => format!("(SELECT json_group_array(json_array({fields})) FROM ({latest}) r)"),
    }
}

/// A history entry as `latest_as_json` writes it.
type JsonEntry = (
    i32,
    i32,
    RagStatus,
    Option<RagStatus>,
    Option<String>,
    chrono::NaiveDate,
    Timestamp,
    String,
    String,
);

/// A time as either engine writes it into JSON: RFC 3339 (PostgreSQL), or as sqlx stores it
/// in SQLite (`2026-11-27 00:17:43.348621 +00:00`).
struct Timestamp(chrono::DateTime<chrono::Utc>);

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        chrono::DateTime::parse_from_rfc3339(&s)
            .or_else(|_| chrono::DateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f %:z"))
            .map(|t| Self(t.with_timezone(&chrono::Utc)))
            .map_err(serde::de::Error::custom)
    }
}

/// The entries `latest_as_json` wrote, newest first.
pub fn from_json(text: &str) -> AppResult<Vec<rag_update::Model>> {
    let entries: Vec<JsonEntry> = serde_json::from_str(text)?;
    let mut rows: Vec<rag_update::Model> = entries
        .into_iter()
        .map(|e| rag_update::Model {
            id: e.0,
            action_id: e.1,
            status: e.2,
            previous_status: e.3,
            note: e.4,
            effective_date: e.5,
            recorded_at: e.6 .0,
            author: e.7,
            source: e.8,
        })
        .collect();
    // The aggregates keep the subquery's order; sorting a page again costs nothing and does
    // not depend on that.
    rows.sort_by_key(|r| std::cmp::Reverse((r.effective_date, r.id)));
    Ok(rows)
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
