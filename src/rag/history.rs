//! Reading the history: a page of the latest entries of many actions at once.
//!
//! A page costs what it returns, whatever the length of the histories: each action's entries
//! are read newest first straight off the `(action_id, effective_date, id)` index and the read
//! stops at the page's end. That needs a per-action LIMIT, which the engines spell differently
//! (PostgreSQL: `LATERAL`; SQLite: a correlated `IN (… LIMIT)`), hence SQL text per engine,
//! kept here and tested on both (`tests/api/history_cost.rs`). The statement text does not
//! depend on the number of actions (an array, or a JSON list on SQLite), so each server
//! connection prepares it once. The history's length, for `totalCount`, is a column of the
//! action (`history_count`), not a count of rows.
use std::collections::HashMap;

use entity::rag_update;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement, Value};

use crate::error::AppResult;

const COLUMNS: &str =
    "h.id, h.action_id, h.status, h.previous_status, h.note, h.effective_date, h.recorded_at, \
     h.author, h.source";

/// The page size is written into the text (as a number; nothing a client sends): PostgreSQL
/// then keeps one generic plan for the statement instead of planning it again on every run,
/// which a LIMIT given as a parameter made it do. Clients ask for a handful of page sizes, so
/// each server connection prepares a handful of texts.
fn page_sql(backend: DbBackend, limit: u64) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "SELECT {COLUMNS} FROM unnest($1::int4[]) WITH ORDINALITY AS a(id, ord) \
             CROSS JOIN LATERAL (SELECT r.* FROM rag_update r WHERE r.action_id = a.id \
               ORDER BY r.effective_date DESC, r.id DESC LIMIT {limit} OFFSET $2) h \
             ORDER BY a.ord, h.effective_date DESC, h.id DESC"
        ),
        _ => format!(
            "SELECT {COLUMNS} FROM json_each(?1) a \
             JOIN rag_update h ON h.id IN (SELECT r.id FROM rag_update r \
               WHERE r.action_id = a.value \
               ORDER BY r.effective_date DESC, r.id DESC LIMIT {limit} OFFSET ?2) \
             ORDER BY a.key, h.effective_date DESC, h.id DESC"
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
        page_sql(backend, limit + 1),
        [id_list(backend, action_ids), (offset as i64).into()],
    )
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
    let mut out: HashMap<i32, (Vec<rag_update::Model>, bool)> =
        HashMap::with_capacity(action_ids.len());
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
