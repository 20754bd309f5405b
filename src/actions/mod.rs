//! Actions: filtered, ordered pages of a plan's actions, and their relations loaded in batches
//! (one statement per relation per page, however many actions the page holds).
mod access;
mod change;
pub mod deadlines;
mod edit;
mod filter;
mod relations;
mod row;

pub use access::{check_version, for_change};
pub use change::{change_action, change_actions, unchanged, Appended, Changed, Effect};
pub use edit::*;
pub use filter::{
    normalise_descriptor, person_ids, reference_ids, resolve_filter, theme_ids, workstream_ids,
    ActionFilter, ActionOrder, OrderDirection, OrderField, ResolvedFilter,
};
pub use relations::*;
pub use row::ActionRow;

use entity::action;
use sea_orm::{
    sea_query::{Expr, NullOrdering, Order},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::error::AppResult;
use crate::paging::split_page;

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

/// One page of actions: `limit` rows after skipping `offset`, plus whether more follow.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &ResolvedFilter,
    order: ActionOrder,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<ActionRow>, bool)> {
    let mut q = action::Entity::find().filter(filter.condition());
    let dir = match order.direction {
        OrderDirection::Asc => Order::Asc,
        OrderDirection::Desc => Order::Desc,
    };
    q = match order.field {
        OrderField::Position => q.order_by(action::Column::Position, dir.clone()),
        OrderField::DueDate => {
            // Explicit NULLS LAST: the engines disagree on the default.
            q.order_by_with_nulls(action::Column::DueDate, dir.clone(), NullOrdering::Last)
        }
        OrderField::RagStatus => q.order_by(
            Expr::Case(Box::new(
                Expr::case(action::Column::RagStatus.eq("RED"), 0)
                    .case(action::Column::RagStatus.eq("AMBER"), 1)
                    .case(action::Column::RagStatus.eq("GREY"), 2)
                    .case(action::Column::RagStatus.eq("GREEN"), 3)
                    .finally(4),
            )),
            dir.clone(),
        ),
        OrderField::UpdatedAt => q.order_by(action::Column::UpdatedAt, dir.clone()),
    };
    // Plan order, then id, break ties so pages never overlap or skip.
    if order.field != OrderField::Position {
        q = q.order_by(action::Column::Position, Order::Asc);
    }
    q = q.order_by(action::Column::Id, dir);
    let rows = q
        .offset(offset)
        .limit(limit + 1)
        .into_partial_model()
        .all(db)
        .await?;
    Ok(split_page(rows, limit))
}

/// How many actions match the filter (`totalCount`); only run when a client asks for it.
pub async fn count<C: ConnectionTrait>(db: &C, filter: &ResolvedFilter) -> AppResult<u64> {
    Ok(action::Entity::find()
        .filter(filter.condition())
        .count(db)
        .await?)
}
