//! Checking what clients send before it is written: trimmed, non-empty, bounded text, past
//! dates, Ofsted descriptors and milestones.
use chrono::NaiveDate;
use serde::Serialize;

use super::children::DescriptorRow;
use super::filter::normalise_descriptor;
use super::OfstedArea;
use crate::error::{AppError, AppResult};

/// Longest single text field (objective, item, reason) accepted.
pub const MAX_TEXT_LEN: usize = crate::plans::MAX_TEXT_CHARS;
/// Longest action code (`2.1 (a)`).
pub const MAX_CODE_LEN: usize = 32;

/// A milestone as clients send it.
#[derive(Debug, Clone, Serialize)]
pub struct NewMilestone {
    pub label: String,
    pub due: Option<NaiveDate>,
}

pub(super) fn text(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::bad_input(format!("`{field}` must not be empty")));
    }
    if v.chars().count() > MAX_TEXT_LEN {
        return Err(AppError::bad_input(format!(
            "`{field}` is longer than {MAX_TEXT_LEN} characters"
        )));
    }
    Ok(v.to_string())
}

pub(super) fn optional_text(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => text(field, v).map(Some),
    }
}

pub(super) fn texts(field: &str, values: &[String]) -> AppResult<Vec<String>> {
    values.iter().map(|v| text(field, v)).collect()
}

/// Refuses to make a list longer than its maximum (`plans::MAX_*`): the lists an answer can
/// hold are bounded, so what the door's cost estimate promises holds.
pub(super) fn room_for(what: &str, code: &str, have: u64, max: usize) -> AppResult<()> {
    if have >= max as u64 {
        return Err(AppError::bad_input(format!(
            "action {code} already has {have} {what}, the most an action may have"
        )));
    }
    Ok(())
}

/// Refuses a date after `today` (in England): records say what happened, not what will.
pub(super) fn not_future(field: &str, d: NaiveDate, today: NaiveDate) -> AppResult<()> {
    if d > today {
        return Err(AppError::bad_input(format!(
            "`{field}` {d} is in the future"
        )));
    }
    Ok(())
}

/// Normalised descriptor rows for an action.
pub(super) fn descriptor_rows(raw: &[String]) -> AppResult<Vec<DescriptorRow>> {
    raw.iter()
        .map(|r| match normalise_descriptor(r) {
            Some(Ok(code)) => {
                let area = OfstedArea::parse(
                    code.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.'),
                )
                .ok_or_else(|| AppError::Internal("BUG: normalised code without area".into()))?;
                Ok(DescriptorRow {
                    code,
                    area,
                    raw: r.trim().to_string(),
                })
            }
            Some(Err(area)) => Ok(DescriptorRow {
                code: area.as_str().to_string(),
                area,
                raw: r.trim().to_string(),
            }),
            None => Err(AppError::bad_input(format!(
                "{r:?} is not an Ofsted descriptor code (like QP3.7 or 3.7) or area (OE, EHP, QP, LG)"
            ))),
        })
        .collect()
}

pub(super) fn checked_milestones(ms: &[NewMilestone]) -> AppResult<Vec<NewMilestone>> {
    ms.iter()
        .map(|m| {
            Ok(NewMilestone {
                label: text("milestones.label", &m.label)?,
                due: m.due,
            })
        })
        .collect()
}
