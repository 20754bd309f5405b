//! The query root (`plans`, `plan`, `node`), the `Node` interface and the page of plans.
use std::sync::Arc;

use async_graphql::{Context, Interface, Object, Result, SimpleObject, ID};

use super::action::Action;
use super::catalogue::{Person, Reference, Theme, Workstream};
use super::context::{batch_env, catalogues, state};
use super::plan::Plan;
use super::principal;
use super::rag_update::RagUpdate;
use super::relay::{decode_global_id, offset_after, PageInfo};
use crate::objects::{self, Found};
use crate::plans::catalogue::Catalogue;
use crate::plans::query;

#[derive(Default)]
pub struct QueryRoot;

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global, opaque identifier."))]
pub enum Node {
    Plan(Plan),
    Action(Action),
    Theme(Theme),
    Workstream(Workstream),
    Person(Person),
    Reference(Reference),
    RagUpdate(RagUpdate),
}

#[Object]
impl QueryRoot {
    /// Plans on this server, by slug.
    async fn plans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<PlanConnection> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let limit = st.limits.page_size(first)?;
        let offset = offset_after(after.as_deref())?;
        let visible = who.plan_condition();
        let (found, more) = query::page(&st.db, visible.clone(), offset, limit).await?;
        let rows = catalogues(ctx)?.checked(&found).await?;
        Ok(PlanConnection {
            offset,
            rows,
            more,
            visible,
        })
    }

    /// One plan by its slug, e.g. `herefordshire-2012`; null when there is none.
    async fn plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's slug, e.g. `herefordshire-2012`.")] slug: String,
    ) -> Result<Option<Plan>> {
        let found = objects::visible_plan_unconfirmed(catalogues(ctx)?, principal(ctx)?, &slug);
        Ok(found.await?.map(Plan))
    }

    /// Any object by its global id; null when it does not exist.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as an object's `id` field gives it.")] id: ID,
    ) -> Result<Option<Node>> {
        let (kind, n) = decode_global_id(&id)?;
        let found = objects::find(&state(ctx)?.db, catalogues(ctx)?, principal(ctx)?, kind, n);
        Ok(match found.await? {
            None => None,
            Some(Found::Plan(c)) => Some(Node::Plan(Plan(c))),
            Some(Found::Action(a)) => Some(Node::Action(Action::single(batch_env(ctx)?, a))),
            Some(Found::Theme(c, n)) => Theme::of(&c, n).map(Node::Theme),
            Some(Found::Workstream(c, n)) => Workstream::of(&c, n).map(Node::Workstream),
            Some(Found::Person(c, n)) => Person::of(&c, n).map(Node::Person),
            Some(Found::Reference(c, n)) => Reference::of(&c, n).map(Node::Reference),
            Some(Found::RagUpdate(r)) => Some(Node::RagUpdate(RagUpdate::new(r))),
        })
    }
}

/// A page of plans.
pub struct PlanConnection {
    offset: u64,
    rows: Vec<Arc<Catalogue>>,
    more: bool,
    visible: sea_orm::Condition,
}

/// An edge to a plan.
#[derive(SimpleObject)]
pub struct PlanEdge {
    /// Pass as `after` to continue after this plan.
    cursor: String,
    /// The plan.
    node: Plan,
}

/// A page of plans, by slug.
#[Object]
impl PlanConnection {
    /// The plans of this page, each with its cursor.
    async fn edges(&self) -> Vec<PlanEdge> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, p)| PlanEdge {
                cursor: super::relay::cursor(self.offset + i as u64),
                node: Plan(p.clone()),
            })
            .collect()
    }

    /// The plans of this page, without cursors.
    async fn nodes(&self) -> Vec<Plan> {
        self.rows.iter().map(|p| Plan(p.clone())).collect()
    }

    /// Whether more plans follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo::new(self.offset, self.rows.len(), self.more)
    }

    /// Number of plans on the server.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(query::count(&state(ctx)?.db, self.visible.clone()).await?)
    }
}
