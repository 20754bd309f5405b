//! Deadlines and attention: overdue, due soon, stale. Each is a condition on `action` rows,
//! so the lists page, count and respect scope like any other action query.
//!
//! Without a date they read the current status and due date on the action row; with `as_of`
//! they read the status and lifecycle state the history gives for that day.
use chrono::{Days, NaiveDate};
use entity::action;
use sea_orm::{sea_query::ExprTrait, ColumnTrait, Condition};

use super::LifecycleState;
use crate::error::{AppError, AppResult};
use crate::rag::{as_of, RagStatus};

/// Statuses that need no chasing for a deadline: BLUE (completed), GREEN (complete or on target).
pub const DONE: [RagStatus; 2] = [RagStatus::Blue, RagStatus::Green];

/// Active, not done, as of `as_of` (or now).
fn open(as_of: Option<NaiveDate>, not_in: &[RagStatus]) -> Condition {
    let not_in = not_in.iter().copied();
    match as_of {
        None => Condition::all()
            .add(action::Column::State.eq(LifecycleState::Active))
            .add(action::Column::RagStatus.is_not_in(not_in)),
        Some(day) => Condition::all()
            .add(as_of::state_on(day).eq(LifecycleState::Active))
            .add(as_of::status_on(day).is_not_null())
            .add(as_of::status_on(day).is_not_in(not_in)),
    }
}

/// Due before `day` and not done by then.
pub fn overdue(day: NaiveDate, as_of: Option<NaiveDate>) -> Condition {
    Condition::all()
        .add(action::Column::DueDate.lt(day))
        .add(open(as_of, &DONE))
}

/// Due within `within` days from `day` (inclusive), not done.
pub fn due_soon(day: NaiveDate, within: i32, as_of: Option<NaiveDate>) -> AppResult<Condition> {
    let days = u64::try_from(within)
        .ok()
        .filter(|d| *d <= 3660)
        .ok_or_else(|| AppError::bad_input("`within` must be between 0 and 3660 days"))?;
    let until = day
        .checked_add_days(Days::new(days))
        .ok_or_else(|| AppError::bad_input("`within` reaches past the calendar"))?;
    Ok(Condition::all()
        .add(action::Column::DueDate.gte(day))
        .add(action::Column::DueDate.lte(until))
        .add(open(as_of, &DONE)))
}

/// No RAG update taking effect in the `days` days up to `day`; completed actions excepted.
pub fn stale(day: NaiveDate, days: i32, as_of: Option<NaiveDate>) -> AppResult<Condition> {
    let n = u64::try_from(days)
        .ok()
        .filter(|d| (1..=3660).contains(d))
        .ok_or_else(|| AppError::bad_input("`days` must be between 1 and 3660"))?;
    let cutoff = day
        .checked_sub_days(Days::new(n))
        .ok_or_else(|| AppError::bad_input("`days` reaches past the calendar"))?;
    let not_completed = &[RagStatus::Blue];
    Ok(match as_of {
        None => Condition::all()
            .add(action::Column::RagEffectiveDate.lte(cutoff))
            .add(open(None, not_completed)),
        Some(d) => Condition::all()
            .add(as_of::status_date_on(d).lte(cutoff))
            .add(open(Some(d), not_completed)),
    })
}

/// Days past the due date on `day`, for an action not done (by its current status).
pub fn days_overdue(a: &crate::actions::ActionRow, day: NaiveDate) -> Option<i64> {
    let due = a.due_date?;
    (due < day && a.state == LifecycleState::Active && !DONE.contains(&a.rag_status))
        .then(|| (day - due).num_days())
}
