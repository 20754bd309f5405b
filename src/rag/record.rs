//! Recording a RAG status change: the rules of the RAG scale and the append-only history.
use chrono::NaiveDate;
use entity::{action, rag_update};
use sea_orm::{ActiveModelTrait, Set};
use serde::Serialize;
use serde_json::json;

use super::RagStatus;
use crate::actions::LifecycleState;
use crate::actions::{change_action, unchanged, Changed, Effect};
use crate::audit::Writer;
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};

/// Longest note accepted; a note is a status summary, not a report.
pub const MAX_NOTE_LEN: usize = crate::plans::MAX_TEXT_CHARS;
/// How RAG updates made through the API are sourced in the history.
pub const API_SOURCE: &str = "api";

/// A requested status change. Serialised as the idempotency key's request.
#[derive(Debug, Clone, Serialize)]
pub struct NewRagUpdate {
    pub action_id: i32,
    pub status: RagStatus,
    pub note: Option<String>,
    pub effective_date: Option<NaiveDate>,
    pub expected_version: Option<i32>,
}

/// The action after the change, and the history row it appended.
pub type Recorded = Changed<rag_update::Model>;

/// The note that goes with a status, trimmed (none when blank); refused when longer than
/// [`MAX_NOTE_LEN`].
pub fn clean_note(note: Option<&str>) -> AppResult<Option<String>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_LEN) {
        return Err(AppError::bad_input(format!(
            "the note is longer than {MAX_NOTE_LEN} characters"
        )));
    }
    Ok(note.map(str::to_string))
}

/// When a status needs a note: to go RED (say what went wrong) and to leave BLUE (say why it
/// reopened). `existing` is the action's code and status before, none for a new action.
pub fn require_note(
    existing: Option<(&str, RagStatus)>,
    to: RagStatus,
    note: Option<&str>,
) -> AppResult<()> {
    if note.is_some() {
        return Ok(());
    }
    let why = match existing {
        None if to == RagStatus::Red => {
            "a note is required when an action starts RED: say what is wrong".to_string()
        }
        Some((code, from)) if to == RagStatus::Red && from != RagStatus::Red => {
            format!("a note is required when action {code} becomes RED: say what went wrong")
        }
        Some((code, RagStatus::Blue)) if to != RagStatus::Blue => format!(
            "a note is required when action {code} leaves BLUE (completed): say why it reopened"
        ),
        _ => return Ok(()),
    };
    Err(AppError::bad_input(why))
}

/// Checks a status change against the RAG rules on `today` (in England); returns the cleaned
/// note.
pub fn check_rules(
    current: &action::Model,
    status: RagStatus,
    note: Option<&str>,
    effective: NaiveDate,
    today: NaiveDate,
) -> AppResult<Option<String>> {
    let note = clean_note(note)?;
    if current.state == LifecycleState::Removed {
        return Err(AppError::bad_input(format!(
            "action {} has been removed from the plan; it takes no RAG updates (reinstate it first)",
            current.code
        )));
    }
    if effective > today {
        return Err(AppError::bad_input(format!(
            "effectiveDate {effective} is in the future; a status can be back-dated to a review date, not forward-dated"
        )));
    }
    if effective < current.rag_effective_date {
        return Err(AppError::bad_input(format!(
            "effectiveDate {effective} is before the current status of {} (effective {}); history is recorded in order",
            current.code, current.rag_effective_date
        )));
    }
    require_note(
        Some((&current.code, current.rag_status)),
        status,
        note.as_deref(),
    )?;
    Ok(note)
}

/// Records one status change by `who`, with an optional idempotency key.
pub async fn record(
    w: &Writer,
    who: &Principal,
    input: NewRagUpdate,
    key: Option<&str>,
) -> AppResult<Recorded> {
    change_action(
        w,
        who,
        Operation::RecordRagUpdate,
        key,
        &input,
        input.action_id,
        input.expected_version,
        async |ch, current| {
            let effective = input.effective_date.unwrap_or_else(|| ch.today());
            let note = check_rules(
                current,
                input.status,
                input.note.as_deref(),
                effective,
                ch.today(),
            )?;
            let update = rag_update::ActiveModel {
                action_id: Set(current.id),
                status: Set(input.status),
                previous_status: Set(Some(current.rag_status)),
                note: Set(note.clone()),
                effective_date: Set(effective),
                recorded_at: Set(ch.now()),
                author: Set(ch.actor().display().to_string()),
                source: Set(API_SOURCE.to_string()),
                ..Default::default()
            }
            .insert(ch.txn())
            .await?;
            let mut next = unchanged(current);
            next.rag_status = Set(update.status);
            next.rag_note = Set(note.clone());
            next.rag_effective_date = Set(effective);
            next.rag_recorded_at = Set(ch.now());
            next.history_count = Set(current.history_count + 1);
            Ok(Effect {
                action: next,
                before: rag_snapshot(
                    current.version,
                    current.rag_status,
                    current.rag_note.as_deref(),
                    current.rag_effective_date,
                ),
                after: {
                    let mut after = rag_snapshot(
                        current.version + 1,
                        update.status,
                        note.as_deref(),
                        effective,
                    );
                    // Live updates find the history row by it (see `live::event`).
                    after["ragUpdateId"] = json!(update.id);
                    after
                },
                appended: update,
            })
        },
    )
    .await
}

fn rag_snapshot(
    version: i32,
    status: RagStatus,
    note: Option<&str>,
    effective: NaiveDate,
) -> serde_json::Value {
    json!({
        "version": version,
        "rag": { "status": status, "note": note, "effectiveDate": effective },
    })
}

/// Most status changes one [`record_many`] call takes.
pub const MAX_BATCH: usize = 500;

/// Records many status changes in order, each in its own transaction: one that fails (or
/// arrived already invalid, as an `Err` item) changes nothing and does not stop the others.
/// Returns each item's outcome, in the same order.
pub async fn record_many(
    w: &Writer,
    who: &Principal,
    items: Vec<AppResult<(NewRagUpdate, Option<String>)>>,
) -> AppResult<Vec<AppResult<Recorded>>> {
    if items.len() > MAX_BATCH {
        return Err(AppError::bad_input(format!(
            "{} updates in one call; the most is {MAX_BATCH}",
            items.len()
        )));
    }
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        outcomes.push(match item {
            Ok((update, key)) => record(w, who, update, key.as_deref()).await,
            Err(e) => Err(e),
        });
    }
    Ok(outcomes)
}
