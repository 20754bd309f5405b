//! Query root, plans and their catalogues.
use async_graphql::{
    dataloader::DataLoader, Context, Enum, Interface, Object, Result, SimpleObject, ID,
};
use entity::{evidence_source, person, plan, rag_level, source_reference, theme, workstream};

use super::action::{
    Action, ActionConnection, ActionFilterInput, ActionOrderInput, ActionQuery, RagUpdate,
};
use super::dashboard::{self, RagGroupBy, RagSummary, TrendInterval};
use super::loaders::{Loaders, PersonId};
use super::relay::{decode_global_id, global_id, offset_after, Kind, PageInfo};
use super::scalars::Date;
use super::{principal, State};
use crate::actions::{self, deadlines, ActionOrder};
use crate::error::AppError;
use crate::plans::query;
use crate::rag;

pub(super) fn state<'a>(ctx: &Context<'a>) -> Result<&'a State> {
    ctx.data::<State>()
        .map_err(|_| AppError::Internal("BUG: schema built without State".into()).into())
}

pub(super) fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a DataLoader<Loaders>> {
    ctx.data::<DataLoader<Loaders>>()
        .map_err(|_| AppError::Internal("BUG: request without loaders".into()).into())
}

/// Loads one value through the request's DataLoader, keeping the error's code.
pub(super) async fn load<K>(
    ctx: &Context<'_>,
    key: K,
) -> Result<Option<<Loaders as async_graphql::dataloader::Loader<K>>::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Loaders: async_graphql::dataloader::Loader<K, Error = super::loaders::LoadError>,
{
    loaders(ctx)?
        .load_one(key)
        .await
        .map_err(|e| super::to_gql(&e))
}

fn json_list(raw: &str) -> Result<Vec<String>> {
    serde_json::from_str(raw).map_err(|e| AppError::internal(e).into())
}

#[derive(Default)]
pub struct QueryRoot;

/// Today's date in England (see `rag::latest_effective_date`).
pub(super) fn today() -> chrono::NaiveDate {
    rag::latest_effective_date()
}

fn by_due_date() -> ActionOrder {
    ActionOrder {
        field: actions::OrderField::DueDate,
        direction: actions::OrderDirection::Asc,
    }
}

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
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<PlanConnection> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let limit = st.limits.page_size(first)?;
        let offset = offset_after(after.as_deref())?;
        let visible = who.plan_condition();
        let (rows, more) = query::page(&st.db, visible.clone(), offset, limit).await?;
        Ok(PlanConnection {
            offset,
            rows,
            more,
            visible,
        })
    }

    /// One plan by its slug, e.g. `herefordshire-2012`; null when there is none.
    async fn plan(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Plan>> {
        if !principal(ctx)?.sees_plan(&slug) {
            return Ok(None);
        }
        Ok(query::by_slug(&state(ctx)?.db, &slug).await?.map(Plan))
    }

    /// Any object by its global id; null when it does not exist.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let who = principal(ctx)?;
        let db = &state(ctx)?.db;
        let (kind, n) = decode_global_id(&id)?;
        // Each kind is looked up within the principal's scope: out of scope reads as absent.
        let node = match kind {
            Kind::Plan => query::by_id(db, n).await?.map(|p| Node::Plan(Plan(p))),
            Kind::Action => actions::by_id(db, who.visible_actions(), n)
                .await?
                .map(|a| Node::Action(Action::single(db, who, a))),
            Kind::Theme => query::themes_by_ids(db, &[n])
                .await?
                .pop()
                .map(|t| Node::Theme(Theme(t))),
            Kind::Workstream => query::workstreams_by_ids(db, &[n])
                .await?
                .pop()
                .map(|w| Node::Workstream(Workstream(w))),
            Kind::Person => query::people_by_ids(db, &[n])
                .await?
                .pop()
                .map(|p| Node::Person(Person(p))),
            Kind::Reference => query::references_by_ids(db, &[n])
                .await?
                .pop()
                .map(|r| Node::Reference(Reference(r))),
            Kind::RagUpdate => match rag::update_by_id(db, n).await? {
                Some(r) => actions::by_id(db, who.visible_actions(), r.action_id)
                    .await?
                    .map(|_| Node::RagUpdate(RagUpdate(r))),
                None => None,
            },
        };
        let plan_id = match &node {
            None | Some(Node::Action(_)) | Some(Node::RagUpdate(_)) => return Ok(node),
            Some(Node::Plan(p)) => p.0.id,
            Some(Node::Theme(t)) => t.0.plan_id,
            Some(Node::Workstream(w)) => w.0.plan_id,
            Some(Node::Person(p)) => p.0.plan_id,
            Some(Node::Reference(r)) => r.0.plan_id,
        };
        let plan = query::by_id(db, plan_id).await?;
        Ok(node.filter(|_| plan.is_some_and(|p| who.sees_plan(&p.slug))))
    }
}

/// A page of plans.
pub struct PlanConnection {
    offset: u64,
    rows: Vec<plan::Model>,
    more: bool,
    visible: sea_orm::Condition,
}

/// An edge to a plan.
#[derive(SimpleObject)]
pub struct PlanEdge {
    cursor: String,
    node: Plan,
}

#[Object]
impl PlanConnection {
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

    async fn page_info(&self) -> PageInfo {
        PageInfo::new(self.offset, self.rows.len(), self.more)
    }

    /// Number of plans on the server.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(query::count(&state(ctx)?.db, self.visible.clone()).await?)
    }
}

/// An improvement plan: one version of one authority's plan.
pub struct Plan(pub plan::Model);

/// A numbered category of evidence for performance indicators.
#[derive(SimpleObject, serde::Deserialize)]
pub struct EvidenceCategory {
    number: i32,
    title: String,
}

#[Object]
impl Plan {
    pub async fn id(&self) -> ID {
        global_id(Kind::Plan, self.0.id)
    }
    /// Stable identifier, e.g. `herefordshire-2012`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The plan's own version label, e.g. `V2.2`.
    async fn version(&self) -> &str {
        &self.0.version
    }
    async fn authority(&self) -> &str {
        &self.0.authority
    }
    /// The date the plan speaks as of; undated statuses in the plan take effect on it.
    async fn as_of(&self) -> Date {
        Date(self.0.as_of)
    }
    /// The "Outline and context" paragraphs.
    async fn context(&self) -> Result<Vec<String>> {
        json_list(&self.0.context)
    }
    /// Items of the Levels of Need pathway the plan is linked to.
    async fn levels_of_need(&self) -> Result<Vec<String>> {
        json_list(&self.0.levels_of_need)
    }
    async fn priority_aims(&self) -> Result<Vec<String>> {
        json_list(&self.0.priority_aims)
    }
    /// The child-centred outcome measures (the themes' titles).
    async fn outcome_measures(&self) -> Result<Vec<String>> {
        json_list(&self.0.outcome_measures)
    }
    /// Categories of evidence for performance indicators.
    async fn evidence_categories(&self) -> Result<Vec<EvidenceCategory>> {
        serde_json::from_str(&self.0.evidence_categories).map_err(|e| AppError::internal(e).into())
    }
    /// The RAG scale with the plan's descriptors.
    async fn rag_scale(&self, ctx: &Context<'_>) -> Result<Vec<RagLevel>> {
        Ok(rag::scale(&state(ctx)?.db, self.0.id)
            .await?
            .into_iter()
            .map(RagLevel)
            .collect())
    }
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        Ok(query::themes(&state(ctx)?.db, self.0.id)
            .await?
            .into_iter()
            .map(Theme)
            .collect())
    }
    /// Work streams (lead task groups), in the plan's order.
    async fn workstreams(&self, ctx: &Context<'_>) -> Result<Vec<Workstream>> {
        Ok(query::workstreams(&state(ctx)?.db, self.0.id)
            .await?
            .into_iter()
            .map(Workstream)
            .collect())
    }
    /// People named as leads or sources.
    async fn people(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        Ok(query::people(&state(ctx)?.db, self.0.id)
            .await?
            .into_iter()
            .map(Person)
            .collect())
    }
    /// Source references (`AA1`..`AA7`, `JD`, `Staff via KOM`).
    async fn references(&self, ctx: &Context<'_>) -> Result<Vec<Reference>> {
        Ok(query::references(&state(ctx)?.db, self.0.id)
            .await?
            .into_iter()
            .map(Reference)
            .collect())
    }
    /// Distinct evidence items cited by the plan's actions.
    async fn evidence_sources(&self, ctx: &Context<'_>) -> Result<Vec<EvidenceSource>> {
        let who = principal(ctx)?;
        let only = who.sees_some_actions_only().then(|| who.visible_actions());
        Ok(query::evidence_sources(&state(ctx)?.db, self.0.id, only)
            .await?
            .into_iter()
            .map(EvidenceSource)
            .collect())
    }
    /// One action by its code as numbered in the plan, e.g. `2.1 (a)`; null when there is none.
    async fn action(&self, ctx: &Context<'_>, code: String) -> Result<Option<Action>> {
        let who = principal(ctx)?;
        let db = &state(ctx)?.db;
        Ok(
            actions::by_code(db, who.visible_actions(), self.0.id, &code)
                .await?
                .map(|a| Action::single(db, who, a)),
        )
    }
    /// RAG counts of the plan's actions (those `filter` selects, active unless it asks for
    /// REMOVED), in total and by `groupBy`; `asOf` counts from the history as at the end of
    /// that day (actions created later, or removed by then, are left out).
    async fn rag_summary(
        &self,
        ctx: &Context<'_>,
        group_by: Option<RagGroupBy>,
        as_of: Option<Date>,
        filter: Option<ActionFilterInput>,
    ) -> Result<RagSummary> {
        dashboard::summary(ctx, self.0.id, group_by, as_of, filter).await
    }
    /// Every RAG status change taking effect from `from` to `to` (inclusive), oldest first.
    #[allow(clippy::too_many_arguments)]
    async fn rag_changes(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        filter: Option<ActionFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<dashboard::RagChangeConnection> {
        dashboard::changes(ctx, self.0.id, from, to, filter, first, after).await
    }
    /// `ragSummary` as of `from` and every interval after it up to `to` (at most 200 points).
    async fn rag_trend(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        interval: TrendInterval,
        group_by: Option<RagGroupBy>,
        filter: Option<ActionFilterInput>,
    ) -> Result<Vec<RagSummary>> {
        dashboard::trend(ctx, self.0.id, from, to, interval, group_by, filter).await
    }
    /// The plan's actions, filtered and ordered (plan order by default).
    async fn actions(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActionFilterInput>,
        order_by: Option<ActionOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let q = ActionQuery::new(filter, order_by, first, after);
        ActionConnection::load(ctx, self.0.id, q).await
    }
    /// Actions due before `asOf` (default today) and not BLUE or GREEN, most overdue first.
    /// With `asOf`, status and removal are read from the history as of that day.
    #[allow(clippy::too_many_arguments)]
    async fn overdue(
        &self,
        ctx: &Context<'_>,
        as_of: Option<Date>,
        filter: Option<ActionFilterInput>,
        order_by: Option<ActionOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let day = as_of.map(|d| d.0).unwrap_or_else(today);
        let q = ActionQuery::new(filter, order_by, first, after)
            .only(deadlines::overdue(day, as_of.map(|d| d.0)), by_due_date());
        ActionConnection::load(ctx, self.0.id, q).await
    }
    /// Actions due within `within` days of `asOf` (default today) and not BLUE or GREEN.
    #[allow(clippy::too_many_arguments)]
    async fn due_soon(
        &self,
        ctx: &Context<'_>,
        within: i32,
        as_of: Option<Date>,
        filter: Option<ActionFilterInput>,
        order_by: Option<ActionOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let day = as_of.map(|d| d.0).unwrap_or_else(today);
        let q = ActionQuery::new(filter, order_by, first, after).only(
            deadlines::due_soon(day, within, as_of.map(|d| d.0))?,
            by_due_date(),
        );
        ActionConnection::load(ctx, self.0.id, q).await
    }
    /// Active actions, not BLUE, whose status has not been updated in the `days` days up to
    /// `asOf` (default today): no RAG update took effect in that time.
    #[allow(clippy::too_many_arguments)]
    async fn stale(
        &self,
        ctx: &Context<'_>,
        days: i32,
        as_of: Option<Date>,
        filter: Option<ActionFilterInput>,
        order_by: Option<ActionOrderInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let day = as_of.map(|d| d.0).unwrap_or_else(today);
        let q = ActionQuery::new(filter, order_by, first, after).only(
            deadlines::stale(day, days, as_of.map(|d| d.0))?,
            ActionOrder::default(),
        );
        ActionConnection::load(ctx, self.0.id, q).await
    }
}

/// A RAG status and what it means in this plan.
pub struct RagLevel(rag_level::Model);

#[Object]
impl RagLevel {
    async fn status(&self) -> Result<super::action::RagStatusGql> {
        super::action::RagStatusGql::from_db(&self.0.status)
    }
    async fn descriptor(&self) -> &str {
        &self.0.descriptor
    }
}

/// A theme: one of the plan's child-centred outcome measures.
pub struct Theme(pub theme::Model);

#[Object]
impl Theme {
    pub async fn id(&self) -> ID {
        global_id(Kind::Theme, self.0.id)
    }
    async fn number(&self) -> i32 {
        self.0.number
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
}

/// A work stream (lead task group).
pub struct Workstream(pub workstream::Model);

#[Object]
impl Workstream {
    pub async fn id(&self) -> ID {
        global_id(Kind::Workstream, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// A person named in the plan, under one canonical code.
pub struct Person(pub person::Model);

#[Object]
impl Person {
    pub async fn id(&self) -> ID {
        global_id(Kind::Person, self.0.id)
    }
    /// Canonical code: the plan's initials in one spelling (`KOM`, `JRez`).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Full name where the plan gives one, else the code.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Other spellings found in the source (`J.Rez`, `J. Rez`).
    async fn aliases(&self) -> Result<Vec<String>> {
        json_list(&self.0.aliases)
    }
}

/// Whether a reference is a document or a person who raised the action.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ReferenceKind {
    Document,
    Person,
}

/// A source an action came from.
pub struct Reference(pub source_reference::Model);

#[Object]
impl Reference {
    pub async fn id(&self) -> ID {
        global_id(Kind::Reference, self.0.id)
    }
    /// `AA1`..`AA7`, `JD`, `Staff via KOM`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn kind(&self) -> ReferenceKind {
        if self.0.kind == "person" {
            ReferenceKind::Person
        } else {
            ReferenceKind::Document
        }
    }
    /// The person who raised it, for person references.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        match self.0.person_id {
            None => Ok(None),
            Some(id) => Ok(load(ctx, PersonId(id)).await?.map(Person)),
        }
    }
}

/// An evidence item cited by actions.
pub struct EvidenceSource(pub evidence_source::Model);

#[Object]
impl EvidenceSource {
    /// The evidence item as written.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The performance-indicator evidence category (1-5) it belongs to, if any.
    async fn category(&self) -> Option<i32> {
        self.0.category
    }
}
