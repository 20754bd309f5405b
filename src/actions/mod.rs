//! Actions: filtered, ordered pages of a plan's actions, and their relations loaded in batches
//! (one statement per relation per page, however many actions the page holds).
mod access;
mod change;
pub mod deadlines;
mod edit;
mod filter;
mod page;
mod relations;
mod row;

pub use access::{check_version, for_change};
pub use change::{change_action, change_actions, unchanged, Appended, Changed, Effect};
pub use edit::*;
/// Lifecycle and Ofsted area are stored vocabularies, typed in `entity::values`.
pub use entity::{LifecycleState, OfstedArea};
pub use filter::{
    normalise_descriptor, person_ids, reference_ids, resolve_filter, theme_ids, workstream_ids,
    ActionFilter, ActionOrder, OrderDirection, OrderField, ResolvedFilter,
};
pub use page::{by_code_checked, page, page_checked, Checked, HistoryPages, LatestHistory};
pub use relations::*;
pub use row::ActionRow;

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
