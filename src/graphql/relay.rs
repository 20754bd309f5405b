//! Relay conventions: global ids as `ID`s, opaque cursors, and page information.
use async_graphql::{SimpleObject, ID};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::error::{AppError, AppResult};

/// Global ids are the service's (`objects`); GraphQL hands them out as `ID`s.
pub use crate::objects::{decode_global_id, decode_id_of, Kind};

pub fn global_id(kind: Kind, id: i32) -> ID {
    ID(crate::objects::global_id(kind, id))
}

/// Cursors are opaque to clients; inside they are the row's offset in the ordered result.
pub fn cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

/// The offset just after `after`, or 0. A cursor that does not decode, or points beyond
/// `paging::MAX_OFFSET`, is BAD_USER_INPUT.
pub fn offset_after(after: Option<&str>) -> AppResult<u64> {
    let Some(after) = after else { return Ok(0) };
    let bad = || {
        AppError::bad_input(format!(
            "{} is not a valid cursor",
            crate::error::some_of(&[after])
        ))
    };
    let bytes = URL_SAFE_NO_PAD.decode(after).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let n = text
        .strip_prefix("offset:")
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(bad)?;
    if n >= crate::paging::MAX_OFFSET {
        return Err(AppError::bad_input(format!(
            "the cursor points beyond offset {}; no list is that long",
            crate::paging::MAX_OFFSET
        )));
    }
    Ok(n + 1)
}

/// Relay page information.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(serial)]
pub struct PageInfo {
    /// Whether another page follows this one.
    pub has_next_page: bool,
    /// Whether pages precede this one.
    pub has_previous_page: bool,
    /// Cursor of the first edge, if any.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    pub fn new(offset: u64, len: usize, has_next: bool) -> Self {
        Self {
            has_next_page: has_next,
            has_previous_page: offset > 0,
            start_cursor: (len > 0).then(|| cursor(offset)),
            end_cursor: (len > 0).then(|| cursor(offset + len as u64 - 1)),
        }
    }
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
