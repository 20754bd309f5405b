//! Lists of actions: what a list asks for (`ActionQuery`), the page read (`ActionConnection`,
//! `ActionEdge`), and the RAG history page read along with it (`history_wanted`).
use async_graphql::{Context, Object, Result, SimpleObject};

use std::sync::Arc;

use super::filter::{ActionFilterInput, ActionOrderInput};
use super::Action;
use crate::actions::{self, ActionFilter, ActionOrder, LatestHistory, ResolvedFilter};
use crate::graphql::batch::ActionBatch;
use crate::graphql::context::{batch_env, catalogues, state};
use crate::graphql::principal;
use crate::graphql::relay::{cursor, offset_after, PageInfo};
use crate::plans::catalogue::Catalogue;

/// A page of actions.
pub struct ActionConnection {
    filter: ResolvedFilter,
    offset: u64,
    batch: Arc<ActionBatch>,
    more: bool,
}

/// What an action list asks for: the client's filter and order, and the list's own condition
/// and default order (overdue lists by due date, ...).
pub struct ActionQuery {
    pub filter: Option<ActionFilterInput>,
    pub order_by: Option<ActionOrderInput>,
    pub first: Option<i32>,
    pub after: Option<String>,
    pub condition: Option<sea_orm::Condition>,
    pub default_order: ActionOrder,
}

impl ActionQuery {
    pub fn new(
        filter: Option<ActionFilterInput>,
        order_by: Option<ActionOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Self {
        Self {
            filter,
            order_by,
            first,
            after,
            condition: None,
            default_order: ActionOrder::default(),
        }
    }

    /// Narrows the list to `condition`, ordered by `default_order` unless the client says.
    pub fn only(mut self, condition: sea_orm::Condition, default_order: ActionOrder) -> Self {
        self.condition = Some(condition);
        self.default_order = default_order;
        self
    }
}

impl ActionConnection {
    pub async fn load(
        ctx: &Context<'_>,
        last_seen: &Arc<Catalogue>,
        q: ActionQuery,
    ) -> Result<Self> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let limit = st.limits.page_size(q.first)?;
        let offset = offset_after(q.after.as_deref())?;
        let client: ActionFilter = q.filter.map(Into::into).unwrap_or_default();
        let order: ActionOrder = q.order_by.map(Into::into).unwrap_or(q.default_order);
        let history = history_wanted(ctx, &["nodes"])?.or(history_wanted(ctx, &["edges", "node"])?);
        let (_, (filter, page)) = catalogues(ctx)?
            .read_checked(last_seen, |cat| {
                let (client, condition) = (&client, q.condition.clone());
                async move {
                    let mut filter = actions::resolve_filter(&cat, client, who)?;
                    if let Some(c) = condition {
                        filter = filter.and(c);
                    }
                    let page =
                        actions::page_checked(&st.db, &filter, order, offset, limit, history)
                            .await?;
                    let version = page.catalogue_version;
                    Ok(((filter, page), version))
                }
            })
            .await?;
        let batch = ActionBatch::new(batch_env(ctx)?, page.rows);
        if let (Some(h), Some(pages)) = (history, page.history) {
            batch.prime_history(h, pages)?;
        }
        Ok(Self {
            filter,
            offset,
            batch,
            more: page.more,
        })
    }
}

/// The one history page the query asks of every action at `path` below the current field
/// (`ragHistory(first:, after:)`), so that it can be read with the actions; `None` when it asks
/// for none, or for several different ones (then each is read on its own).
pub(in crate::graphql) fn history_wanted(
    ctx: &Context<'_>,
    path: &[&str],
) -> Result<Option<LatestHistory>> {
    let mut at = ctx.look_ahead();
    for p in path {
        at = at.field(p);
    }
    let limits = state(ctx)?.limits;
    let mut wanted: Option<LatestHistory> = None;
    for field in at.field("ragHistory").selection_fields() {
        let mut first = None;
        let mut after = None;
        for (name, value) in field.arguments()? {
            match (name.as_str(), value) {
                ("first", async_graphql::Value::Number(n)) => {
                    first = n.as_i64().and_then(|n| i32::try_from(n).ok())
                }
                ("after", async_graphql::Value::String(s)) => after = Some(s),
                _ => {}
            }
        }
        // A bad page size or cursor is the field's own error to report, when it resolves.
        let (Ok(limit), Ok(offset)) = (limits.page_size(first), offset_after(after.as_deref()))
        else {
            return Ok(None);
        };
        let this = LatestHistory { offset, limit };
        match wanted {
            Some(w) if w != this => return Ok(None),
            _ => wanted = Some(this),
        }
    }
    Ok(wanted)
}

/// An edge to an action.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct ActionEdge {
    /// Pass as `after` to continue after this action.
    cursor: String,
    /// The action.
    node: Action,
}

/// A page of actions.
#[Object]
impl ActionConnection {
    /// The actions of this page, each with its cursor.
    async fn edges(&self) -> Vec<ActionEdge> {
        Action::all_of(&self.batch)
            .into_iter()
            .enumerate()
            .map(|(i, node)| ActionEdge {
                cursor: cursor(self.offset + i as u64),
                node,
            })
            .collect()
    }
    /// The actions of this page, without cursors.
    async fn nodes(&self) -> Vec<Action> {
        Action::all_of(&self.batch)
    }
    /// Whether more actions follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo::new(self.offset, self.batch.rows().len(), self.more)
    }
    /// Number of actions matching the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(actions::count(&state(ctx)?.db, &self.filter).await?)
    }
}
