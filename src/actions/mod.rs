//! Actions: filtered, ordered pages of a plan's actions, and their relations loaded in batches
//! (one statement per relation per page, however many actions the page holds); and changing
//! them: editing, creating, moving between work streams, extending deadlines, retiring and
//! reinstating, linking, and adding evidence, one file each. Who may do which is decided by
//! `auth::policy`; the rules of each change live in its file.
mod access;
mod change;
mod children;
mod create;
pub mod deadlines;
mod derived;
mod evidence;
mod extend;
mod filter;
mod input;
mod lifecycle;
mod links;
mod page;
mod relations;
mod row;
mod snapshot;
mod update;
mod workstream;

pub use access::{check_version, for_change};
pub use change::{change_action, change_actions, unchanged, Appended, Changed, Effect};
pub(crate) use children::{replace_children, Children, DescriptorRow};
pub use create::{create, NewAction};
pub use derived::{due_date, search_text};
/// Lifecycle and Ofsted area are stored vocabularies, typed in `entity::values`.
pub use entity::{LifecycleState, OfstedArea};
pub use evidence::{add_evidence, evidence_records_for, NewEvidence};
pub use extend::{extend, Extension};
pub use filter::{
    leads_named, normalise_descriptor, reference_ids, resolve_filter, theme_ids, workstream_ids,
    ActionFilter, ActionOrder, OrderDirection, OrderField, ResolvedFilter, MAX_SEARCH_WORDS,
};
pub use input::{NewMilestone, MAX_CODE_LEN, MAX_TEXT_LEN};
pub use lifecycle::{record_state, reinstate, retire, Lifecycle};
pub use links::{link, unlink, Link};
pub use page::{by_code_checked, page, page_checked, Checked, HistoryPages, LatestHistory};
pub use relations::*;
pub use row::ActionRow;
pub use snapshot::snapshot;
pub use update::{update, ActionEdit};
pub use workstream::{move_to, Move};

use entity::action;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::error::AppResult;

/// Looks up one action of a plan by its code as numbered (`2.1 (a)`).
/// `visible` is the principal's scope: an action outside it is not found.
pub async fn by_code<C: ConnectionTrait>(
    db: &C,
    visible: Condition,
    plan_id: i32,
    code: &str,
) -> AppResult<Option<ActionRow>> {
    Ok(action::Entity::find()
        .filter(visible)
        .filter(action::Column::PlanId.eq(plan_id))
        .filter(action::Column::Code.eq(code.trim()))
        .into_partial_model()
        .one(db)
        .await?)
}

pub async fn by_id<C: ConnectionTrait>(
    db: &C,
    visible: Condition,
    id: i32,
) -> AppResult<Option<ActionRow>> {
    Ok(action::Entity::find_by_id(id)
        .filter(visible)
        .into_partial_model()
        .one(db)
        .await?)
}

/// Actions by id, within `visible`, in plan order.
pub async fn by_ids<C: ConnectionTrait>(
    db: &C,
    visible: Condition,
    ids: &[i32],
) -> AppResult<Vec<ActionRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(action::Entity::find()
        .filter(visible)
        .filter(action::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(action::Column::PlanId)
        .order_by_asc(action::Column::Position)
        .into_partial_model()
        .all(db)
        .await?)
}

/// How many actions match the filter (`totalCount`); only run when a client asks for it.
pub async fn count<C: ConnectionTrait>(db: &C, filter: &ResolvedFilter) -> AppResult<u64> {
    Ok(action::Entity::find()
        .filter(filter.condition())
        .count(db)
        .await?)
}
