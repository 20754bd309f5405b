//! Access to one action for a change: visible to the principal, permitted by its role, in its
//! write scope, and locked until the change commits.
use entity::action;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

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
/// may have lost access since the first request.
pub async fn authorised<C: ConnectionTrait>(
    db: &C,
    who: &Principal,
    op: Operation,
    id: i32,
    lock: bool,
) -> AppResult<action::Model> {
    let mut q = action::Entity::find_by_id(id).filter(who.visible_actions());
    if lock {
        q = q.lock_exclusive();
    }
    let found = q
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("no such action"))?;
    let Some(scope) = who.write_scope(op) else {
        return Err(AppError::Forbidden(format!(
            "a {} token may not {}",
            who.role.as_str(),
            describe(op)
        )));
    };
    if crate::auth::reach(who.role, op) != crate::auth::Reach::Everywhere {
        let in_scope = action::Entity::find()
            .filter(action::Column::Id.eq(id))
            .filter(scope)
            .count(db)
            .await?;
        if in_scope == 0 {
            return Err(AppError::Forbidden(format!(
                "action {} is outside this token's leads and work streams",
                found.code
            )));
        }
    }
    Ok(found)
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

fn describe(op: Operation) -> &'static str {
    match op {
        Operation::RecordRagUpdate => "record RAG updates",
        Operation::AddEvidence => "add evidence",
        Operation::EditMilestones => "change milestones",
        Operation::ExtendDeadline => "extend deadlines",
        Operation::EditAction => "edit actions",
        Operation::CreateAction => "create actions",
        Operation::MoveAction => "move actions between work streams",
        Operation::RetireAction => "retire actions",
        Operation::ReinstateAction => "reinstate actions",
        Operation::LinkActions => "link actions",
        Operation::UnlinkActions => "unlink actions",
        Operation::ImportPlan => "import plans",
        Operation::ReadAuditLog => "read the audit log",
    }
}

/// FORBIDDEN unless the principal's role may `op` anywhere (for operations on a plan rather
/// than an action, like creating one).
pub fn require_role(who: &crate::auth::Principal, op: Operation) -> AppResult<()> {
    match crate::auth::reach(who.role, op) {
        crate::auth::Reach::Everywhere => Ok(()),
        _ => Err(AppError::Forbidden(format!(
            "a {} token may not {}",
            who.role.as_str(),
            describe(op)
        ))),
    }
}
