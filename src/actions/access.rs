//! Access to one action for a change: visible to the principal, permitted by its role, in its
//! write scope, and locked until the change commits.
use entity::action;
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::audit::Change;
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};

/// The action `id` as `op` may change it, its row locked (`FOR UPDATE` on PostgreSQL; SQLite
/// changes are serialised already) so concurrent writers queue instead of losing updates.
pub async fn for_change(ch: &Change, op: Operation, id: i32) -> AppResult<action::Model> {
    authorised(ch.txn(), ch.actor(), op, id, true).await
}

/// The action `id` if `who` may apply `op` to it: NOT_FOUND when it cannot see it (invisible
/// and absent look the same, so a partner learns nothing from the answer), FORBIDDEN when its
/// role or scope does not reach it. Also used to re-check an idempotent retry, whose token
/// may have lost access since the first request. One statement when access is granted; the
/// visibility lookup that tells NOT_FOUND from FORBIDDEN runs only on refusal.
pub async fn authorised<C: ConnectionTrait>(
    db: &C,
    who: &Principal,
    op: Operation,
    id: i32,
    lock: bool,
) -> AppResult<action::Model> {
    let find = || {
        let q = action::Entity::find_by_id(id).filter(who.visible_actions());
        if lock {
            q.lock_exclusive()
        } else {
            q
        }
    };
    if let Some(scope) = who.write_scope(op) {
        if let Some(found) = find().filter(scope).one(db).await? {
            return Ok(found);
        }
    }
    let found = find()
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("no such action"))?;
    who.may(op)?;
    Err(AppError::Forbidden(format!(
        "action {} is outside this token's leads and work streams",
        found.code
    )))
}

/// Rejects a stale `expectedVersion`.
pub fn check_version(found: &action::Model, expected: Option<i32>) -> AppResult<()> {
    match expected {
        Some(v) if v != found.version => Err(AppError::VersionConflict(format!(
            "action {} is at version {}, not {v}; reload it and retry",
            found.code, found.version
        ))),
        _ => Ok(()),
    }
}
