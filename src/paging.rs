//! Offset pages: the size a client may ask for, and telling whether more rows follow.
use crate::error::{AppError, AppResult};

/// The furthest offset a cursor may point at. Offsets reach SQL as 64-bit integers, where a
/// larger value does not fit (and the query builder panics); no plan, history or audit trail
/// comes near it.
pub const MAX_OFFSET: u64 = 1_000_000_000;

/// Checks a requested page size against the server's maximum.
pub fn page_size(first: Option<i32>, default: u64, max: u64) -> AppResult<u64> {
    match first {
        None => Ok(default),
        Some(n) if n < 0 => Err(AppError::bad_input(format!(
            "`first` must not be negative (got {n})"
        ))),
        Some(n) if n as u64 > max => Err(AppError::bad_input(format!(
            "`first` is {n}; the maximum page size is {max}"
        ))),
        Some(n) => Ok(n as u64),
    }
}

/// Splits `limit + 1` fetched rows into the page and whether more follow.
pub fn split_page<T>(mut rows: Vec<T>, limit: u64) -> (Vec<T>, bool) {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}
