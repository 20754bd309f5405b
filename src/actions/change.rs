//! The shape every change to one action shares: begin (or replay), lock and authorise the
//! action, check `expectedVersion`, apply, bump the version, audit, commit.
use entity::action;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set, TryIntoModel,
};
use serde::{Deserialize, Serialize};

use super::access::{check_version, for_change};
use crate::audit::{Begun, Change, Subject, Writer};
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};

/// What a change did to its action.
pub struct Effect<R = ()> {
    /// The action's new column values (version and `updated_at` are set by `change_action`).
    pub action: action::ActiveModel,
    /// The row the change appended (history, extension, move, evidence), or `()`.
    pub appended: R,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

/// An effect that leaves the action's columns as they are (besides its version).
pub fn unchanged(current: &action::Model) -> action::ActiveModel {
    current.clone().into_active_model()
}

/// The action after a change, and what it appended (returned as written, or on an idempotent
/// retry as first written: never read back needlessly).
#[derive(Debug, Clone)]
pub struct Changed<R = ()> {
    pub action: action::Model,
    pub appended: R,
}

/// A row a change may append: remembered by id under an idempotency key, loaded on a retry.
pub trait Appended: Sized + Send {
    fn appended_id(&self) -> Option<i32>;
    fn load<'a, C: ConnectionTrait>(
        db: &'a C,
        who: &'a Principal,
        id: Option<i32>,
    ) -> impl std::future::Future<Output = AppResult<Self>> + Send + 'a;
}

impl Appended for () {
    fn appended_id(&self) -> Option<i32> {
        None
    }
    async fn load<C: ConnectionTrait>(_: &C, _: &Principal, _: Option<i32>) -> AppResult<()> {
        Ok(())
    }
}

fn missing() -> AppError {
    AppError::Internal("BUG: remembered change without its appended row".into())
}

macro_rules! appended_rows {
    ($($table:ident),*) => {$(
        impl Appended for entity::$table::Model {
            fn appended_id(&self) -> Option<i32> {
                Some(self.id)
            }
            async fn load<C: ConnectionTrait>(
                db: &C,
                _: &Principal,
                id: Option<i32>,
            ) -> AppResult<Self> {
                entity::$table::Entity::find_by_id(id.ok_or_else(missing)?)
                    .one(db)
                    .await?
                    .ok_or_else(missing)
            }
        }
    )*};
}

appended_rows!(
    rag_update,
    workstream_move,
    timescale_extension,
    evidence_record
);

/// A link's other action, read within the caller's scope.
impl Appended for action::Model {
    fn appended_id(&self) -> Option<i32> {
        Some(self.id)
    }
    async fn load<C: ConnectionTrait>(db: &C, who: &Principal, id: Option<i32>) -> AppResult<Self> {
        action::Entity::find_by_id(id.ok_or_else(missing)?)
            .filter(who.visible_actions())
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("no such action"))
    }
}

/// What an idempotency key remembers of a change.
#[derive(Serialize, Deserialize)]
pub(super) struct ChangedIds {
    pub action: i32,
    pub appended: Option<i32>,
}

/// Runs `apply` as one audited, idempotent, version-checked change of action `action_id`.
#[allow(clippy::too_many_arguments)]
pub async fn change_action<I: Serialize, R: Appended>(
    w: &Writer,
    who: &Principal,
    op: Operation,
    key: Option<&str>,
    input: &I,
    action_id: i32,
    expected_version: Option<i32>,
    apply: impl AsyncFnOnce(&Change, &action::Model) -> AppResult<Effect<R>>,
) -> AppResult<Changed<R>> {
    change_actions(
        w,
        who,
        op,
        key,
        input,
        &[action_id],
        expected_version,
        apply,
    )
    .await
}

/// Like `change_action` for a change that also touches other actions (`ids[1..]`, e.g. a
/// link's target): all their rows are locked first, in id order, so two changes over the same
/// actions (A links B while B links A) queue instead of deadlocking.
#[allow(clippy::too_many_arguments)]
pub async fn change_actions<I: Serialize, R: Appended>(
    w: &Writer,
    who: &Principal,
    op: Operation,
    key: Option<&str>,
    input: &I,
    ids: &[i32],
    expected_version: Option<i32>,
    apply: impl AsyncFnOnce(&Change, &action::Model) -> AppResult<Effect<R>>,
) -> AppResult<Changed<R>> {
    let ch = match w.begin(who, op, key, input).await? {
        Begun::Fresh(ch) => ch,
        Begun::Replay(ids) => return reload(w.db(), who, op, ids).await,
    };
    let action_id = *ids
        .first()
        .ok_or_else(|| AppError::Internal("BUG: a change of no action".into()))?;
    if ids.len() > 1 {
        lock_in_order(&ch, ids).await?;
    }
    let current = for_change(&ch, op, action_id).await?;
    check_version(&current, expected_version)?;
    let effect = apply(&ch, &current).await?;
    let mut next = effect.action;
    next.version = Set(current.version + 1);
    next.updated_at = Set(ch.now());
    // The new row is known already (the current row and what changed), so the UPDATE does
    // not send it back.
    let action = next.clone().try_into_model()?;
    action::Entity::update_many()
        .set(next)
        .filter(action::Column::Id.eq(action.id))
        .exec(ch.txn())
        .await?;
    ch.record(
        Subject {
            kind: crate::audit::ACTION_KIND,
            id: action.id,
            plan_id: Some(action.plan_id),
        },
        Some(effect.before),
        Some(effect.after),
    )
    .await?;
    ch.commit(&ChangedIds {
        action: action.id,
        appended: effect.appended.appended_id(),
    })
    .await?;
    Ok(Changed {
        action,
        appended: effect.appended,
    })
}

async fn lock_in_order(ch: &Change, ids: &[i32]) -> AppResult<()> {
    action::Entity::find()
        .select_only()
        .column(action::Column::Id)
        .filter(action::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(action::Column::Id)
        .lock_exclusive()
        .into_tuple::<i32>()
        .all(ch.txn())
        .await?;
    Ok(())
}

/// An idempotent retry's answer: the action as it is now, and what the first request appended.
/// Access is checked again: the token may no longer reach the action (moved out of its work
/// stream, role changed), and then the retry is refused like a new request would be.
pub(super) async fn reload<C: ConnectionTrait, R: Appended>(
    db: &C,
    who: &Principal,
    op: Operation,
    ids: serde_json::Value,
) -> AppResult<Changed<R>> {
    let ids: ChangedIds = serde_json::from_value(ids)?;
    let action = super::access::authorised(db, who, op, ids.action, false).await?;
    Ok(Changed {
        action,
        appended: R::load(db, who, ids.appended).await?,
    })
}
