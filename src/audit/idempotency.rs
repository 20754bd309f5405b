//! Idempotency keys: a retried write with the same key and input returns the first result and
//! writes nothing; the same key with different input is a client bug and says so.
use chrono::{DateTime, Utc};
use entity::idempotency_key;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, Set, Statement};

use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};

pub const MAX_KEY_LEN: usize = 200;

/// Validates the key, and requires one from service accounts.
pub fn check_key(who: &Principal, key: Option<&str>) -> AppResult<Option<String>> {
    match key.map(str::trim) {
        None | Some("") if who.must_send_idempotency_key() => Err(AppError::bad_input(
            "integration tokens must send an `idempotencyKey` with every write, so that retries \
             are safe",
        )),
        None => Ok(None),
        Some("") => Err(AppError::bad_input("`idempotencyKey` must not be empty")),
        Some(k) if k.len() > MAX_KEY_LEN => Err(AppError::bad_input(format!(
            "`idempotencyKey` is longer than {MAX_KEY_LEN} characters"
        ))),
        Some(k) => Ok(Some(k.to_string())),
    }
}

/// The stored result of an earlier request with this key, if there was one.
pub async fn replay<C: ConnectionTrait>(
    txn: &C,
    who: &Principal,
    key: &str,
    request: &str,
) -> AppResult<Option<serde_json::Value>> {
    if txn.get_database_backend() == DbBackend::Postgres {
        // Two concurrent requests with one key: the second waits here until the first commits,
        // then finds its result. (SQLite writers are already serialised.)
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            // The sub is length-prefixed so that no (sub, key) pair can collide with another.
            vec![format!("{}:{}:{}", who.sub.len(), who.sub, key).into()],
        ))
        .await?;
    }
    let Some(found) = idempotency_key::Entity::find_by_id((who.sub.clone(), key.to_string()))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    if found.request != request {
        return Err(AppError::bad_input(format!(
            "idempotencyKey {key:?} was already used for a different request ({}); use a new key \
             for a new change",
            found.operation
        )));
    }
    Ok(Some(serde_json::from_str(&found.result)?))
}

pub async fn remember<C: ConnectionTrait>(
    txn: &C,
    who: &Principal,
    key: &str,
    op: Operation,
    request: &str,
    result: &serde_json::Value,
    now: DateTime<Utc>,
) -> AppResult<()> {
    idempotency_key::ActiveModel {
        actor_sub: Set(who.sub.clone()),
        key: Set(key.to_string()),
        operation: Set(op.name().to_string()),
        request: Set(request.to_string()),
        result: Set(result.to_string()),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}
