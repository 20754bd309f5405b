//! `retireAction` / `reinstateAction`: an action leaving the plan or coming back, and the
//! state-change history both they and the importer append to.
use chrono::NaiveDate;
use entity::action_state_change;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::Serialize;
use serde_json::json;

use super::change::{change_action, unchanged, Changed, Effect};
use super::input::text;
use super::snapshot::{preview, snapshot};
use super::LifecycleState;
use crate::audit::Writer;
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};

/// `retireAction` / `reinstateAction`: an action leaves the plan (it stays readable as
/// REMOVED) or comes back, always with a reason.
#[derive(Debug, Clone, Serialize)]
pub struct Lifecycle {
    pub action_id: i32,
    pub reason: String,
    pub expected_version: Option<i32>,
}

pub async fn retire(
    w: &Writer,
    who: &Principal,
    l: Lifecycle,
    key: Option<&str>,
) -> AppResult<Changed> {
    set_state(w, who, Operation::RetireAction, l, key).await
}

pub async fn reinstate(
    w: &Writer,
    who: &Principal,
    l: Lifecycle,
    key: Option<&str>,
) -> AppResult<Changed> {
    set_state(w, who, Operation::ReinstateAction, l, key).await
}

/// Appends a change of an action's lifecycle state (what `asOf` counts read).
pub async fn record_state<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    state: LifecycleState,
    effective: NaiveDate,
    reason: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
    by: &str,
) -> AppResult<()> {
    action_state_change::ActiveModel {
        action_id: Set(action_id),
        state: Set(state),
        effective_date: Set(effective),
        reason: Set(reason),
        recorded_at: Set(now),
        recorded_by: Set(by.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn set_state(
    w: &Writer,
    who: &Principal,
    op: Operation,
    l: Lifecycle,
    key: Option<&str>,
) -> AppResult<Changed> {
    let retiring = op == Operation::RetireAction;
    change_action(
        w,
        who,
        op,
        key,
        &l,
        l.action_id,
        l.expected_version,
        async |ch, current| {
            let reason = text("reason", &l.reason)?;
            let removed = current.state == LifecycleState::Removed;
            if retiring == removed {
                return Err(AppError::bad_input(format!(
                    "action {} is already {}",
                    current.code,
                    if removed { "removed" } else { "active" }
                )));
            }
            let state = if retiring {
                LifecycleState::Removed
            } else {
                LifecycleState::Active
            };
            record_state(
                ch.txn(),
                current.id,
                state,
                ch.today(),
                Some(reason.clone()),
                ch.now(),
                ch.actor().display(),
            )
            .await?;
            let mut next = unchanged(current);
            if retiring {
                next.state = Set(LifecycleState::Removed);
                next.removed_reason = Set(Some(reason.clone()));
            } else {
                next.state = Set(LifecycleState::Active);
                next.removed_reason = Set(None);
            }
            let mut after = snapshot(&preview(current, &next));
            after["reason"] = json!(reason);
            Ok(Effect {
                before: snapshot(current),
                after,
                action: next,
                appended: (),
            })
        },
    )
    .await
}
