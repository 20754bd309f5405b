//! Relay conventions: opaque global ids (`node(id:)`) and opaque cursors.
use async_graphql::{SimpleObject, ID};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::error::{AppError, AppResult};

/// Kinds of object a global id can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Plan,
    Action,
    Theme,
    Workstream,
    Person,
    Reference,
    RagUpdate,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Plan => "Plan",
            Kind::Action => "Action",
            Kind::Theme => "Theme",
            Kind::Workstream => "Workstream",
            Kind::Person => "Person",
            Kind::Reference => "Reference",
            Kind::RagUpdate => "RagUpdate",
        }
    }

    const ALL: [Kind; 7] = [
        Kind::Plan,
        Kind::Action,
        Kind::Theme,
        Kind::Workstream,
        Kind::Person,
        Kind::Reference,
        Kind::RagUpdate,
    ];
}

pub fn global_id(kind: Kind, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.name())))
}

/// Decodes a global id; anything malformed is a client error, never a panic.
pub fn decode_global_id(id: &str) -> AppResult<(Kind, i32)> {
    let bad = || AppError::bad_input(format!("{id:?} is not a valid id"));
    let bytes = URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (kind, num) = text.split_once(':').ok_or_else(bad)?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.name() == kind)
        .ok_or_else(bad)?;
    let num = num.parse::<i32>().map_err(|_| bad())?;
    Ok((kind, num))
}

/// Decodes a global id that must name a `kind` (e.g. `actionId` must be an Action's id).
pub fn decode_id_of(kind: Kind, id: &str) -> AppResult<i32> {
    match decode_global_id(id)? {
        (k, n) if k == kind => Ok(n),
        _ => Err(AppError::bad_input(format!(
            "{id:?} is not the id of an object of type {}",
            kind.name()
        ))),
    }
}

/// Cursors are opaque to clients; inside they are the row's offset in the ordered result.
pub fn cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

/// The offset just after `after`, or 0.
pub fn offset_after(after: Option<&str>) -> AppResult<u64> {
    let Some(after) = after else { return Ok(0) };
    let bad = || AppError::bad_input(format!("{after:?} is not a valid cursor"));
    let bytes = URL_SAFE_NO_PAD.decode(after).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let n = text
        .strip_prefix("offset:")
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(bad)?;
    n.checked_add(1).ok_or_else(bad)
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
    fn ids_round_trip_and_garbage_is_rejected() {
        let id = global_id(Kind::Action, 42);
        assert_eq!(decode_global_id(&id).ok(), Some((Kind::Action, 42)));
        for garbage in ["", "x", "!!!", "QWN0aW9uOg", "Tm9wZTox"] {
            assert!(decode_global_id(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(offset_after(Some(&cursor(9))).ok(), Some(10));
        assert_eq!(offset_after(None).ok(), Some(0));
        assert!(offset_after(Some("bogus")).is_err());
    }
}
