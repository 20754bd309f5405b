//! `extendDeadline`: agreeing a later due date for an action.
use chrono::NaiveDate;
use entity::timescale_extension;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::Serialize;

use super::change::{change_action, unchanged, Changed, Effect};
use super::input::{not_future, room_for, text};
use super::snapshot::{preview, snapshot};
use crate::audit::Writer;
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};

/// `extendDeadline`: a new due date agreed for an action; the old one is kept in the record.
#[derive(Debug, Clone, Serialize)]
pub struct Extension {
    pub action_id: i32,
    pub new_due: NaiveDate,
    pub reason: String,
    pub agreed_on: Option<NaiveDate>,
    pub expected_version: Option<i32>,
}

pub async fn extend(
    w: &Writer,
    who: &Principal,
    e: Extension,
    key: Option<&str>,
) -> AppResult<Changed<timescale_extension::Model>> {
    change_action(
        w,
        who,
        Operation::ExtendDeadline,
        key,
        &e,
        e.action_id,
        e.expected_version,
        async |ch, current| {
            let reason = text("reason", &e.reason)?;
            if let Some(d) = e.agreed_on {
                not_future("agreedOn", d, ch.today())?;
            }
            if let Some(due) = current.due_date {
                if e.new_due <= due {
                    return Err(AppError::bad_input(format!(
                        "action {} is due {due}; an extension must move the date later, not to {}",
                        current.code, e.new_due
                    )));
                }
            }
            let have = timescale_extension::Entity::find()
                .filter(timescale_extension::Column::ActionId.eq(current.id))
                .count(ch.txn())
                .await?;
            room_for("extensions", &current.code, have, crate::plans::MAX_ITEMS)?;
            let ext = timescale_extension::ActiveModel {
                action_id: Set(current.id),
                raw: Set(None),
                reason: Set(Some(reason)),
                agreed_on: Set(e.agreed_on.or(Some(ch.today()))),
                previous_due: Set(current.due_date),
                new_due: Set(Some(e.new_due)),
                recorded_at: Set(ch.now()),
                recorded_by: Set(ch.actor().display().to_string()),
                ..Default::default()
            }
            .insert(ch.txn())
            .await?;
            let mut next = unchanged(current);
            next.due_date = Set(Some(e.new_due));
            Ok(Effect {
                after: snapshot(&preview(current, &next)),
                before: snapshot(current),
                action: next,
                appended: ext,
            })
        },
    )
    .await
}
