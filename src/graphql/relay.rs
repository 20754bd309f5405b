//! Relay conventions: global ids as `ID`s, opaque cursors, and page information.
use async_graphql::{SimpleObject, ID};

/// Global ids are the service's (`objects`); GraphQL hands them out as `ID`s.
pub use crate::objects::{decode_global_id, decode_id_of, Kind};

pub fn global_id(kind: Kind, id: i32) -> ID {
    ID(crate::objects::global_id(kind, id))
}

/// Cursors are opaque to clients; inside they are the row's offset (see `paging`).
pub use crate::paging::{cursor, offset_after};

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
