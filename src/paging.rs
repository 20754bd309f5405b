//! Offset pages: the size a client may ask for, and telling whether more rows follow.
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

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

/// A cursor: opaque to clients, inside the row's offset in the ordered result.
pub fn cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

/// The offset a cursor holds, if it decodes (whatever its size).
pub fn cursor_offset(after: &str) -> Option<u64> {
    let bytes = URL_SAFE_NO_PAD.decode(after).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("offset:")?.parse::<u64>().ok()
}

/// The offset just after `after`, or 0. A cursor that does not decode, or points beyond
/// `MAX_OFFSET`, is BAD_USER_INPUT.
pub fn offset_after(after: Option<&str>) -> AppResult<u64> {
    let Some(after) = after else { return Ok(0) };
    let n = cursor_offset(after).ok_or_else(|| {
        AppError::bad_input(format!(
            "{} is not a valid cursor",
            crate::error::some_of(&[after])
        ))
    })?;
    if n >= MAX_OFFSET {
        return Err(AppError::bad_input(format!(
            "the cursor points beyond offset {MAX_OFFSET}; no list is that long"
        )));
    }
    Ok(n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(offset_after(Some(&cursor(9))).ok(), Some(10));
        assert_eq!(offset_after(None).ok(), Some(0));
        assert!(offset_after(Some("bogus")).is_err());
        // Offsets that SQL's 64-bit integers cannot hold are refused, not passed on.
        for n in [u64::MAX - 1, i64::MAX as u64, crate::paging::MAX_OFFSET] {
            assert!(offset_after(Some(&cursor(n))).is_err(), "{n}");
        }
        assert!(offset_after(Some(&cursor(crate::paging::MAX_OFFSET - 1))).is_ok());
    }
}
