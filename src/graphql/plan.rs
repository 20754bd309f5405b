//! Query root, plans and their catalogues.
use std::sync::Arc;

use async_graphql::{Context, Enum, Interface, Object, Result, SimpleObject, ID};
use entity::{evidence_source, person, rag_level, source_reference, theme, workstream};
use sea_orm::{EntityTrait, QuerySelect};

use super::action::{
    Action, ActionConnection, ActionFilterInput, ActionOrderInput, ActionQuery, RagUpdate,
};
use super::batch::BatchEnv;
use super::dashboard::{self, RagGroupBy, RagSummary, TrendInterval};
use super::relay::{decode_global_id, global_id, offset_after, Kind, PageInfo};
use super::scalars::Date;
use super::{principal, State};
use crate::actions::{self, deadlines, ActionOrder};
use crate::error::{AppError, AppResult};
use crate::plans::catalogue::{self, Catalogue, Catalogues};
use crate::plans::query;
use crate::rag;

pub(super) fn state<'a>(ctx: &Context<'a>) -> Result<&'a State> {
    ctx.data::<State>()
        .map_err(|_| AppError::Internal("BUG: schema built without State".into()).into())
}

/// The request's catalogues (see `plans::catalogue`).
pub(super) fn catalogues<'a>(ctx: &Context<'a>) -> AppResult<&'a Catalogues> {
    ctx.data::<Catalogues>()
        .map_err(|_| AppError::Internal("BUG: request without catalogues".into()))
}

/// What the action batches of this request share.
pub(super) fn batch_env(ctx: &Context<'_>) -> Result<BatchEnv> {
    Ok(BatchEnv {
        db: state(ctx)?.db.clone(),
        catalogues: catalogues(ctx)?.clone(),
        visible: principal(ctx)?.visible_actions(),
    })
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

/// The plan a catalogue row (theme, work stream, person, reference) belongs to.
async fn plan_of<E>(ctx: &Context<'_>, id: i32) -> Result<Option<Arc<Catalogue>>>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<i32>,
{
    let db = &state(ctx)?.db;
    let plan_id: Option<i32> = E::find_by_id(id)
        .select_only()
        .column_as(sea_orm::sea_query::Expr::col("plan_id"), "plan_id")
        .into_tuple()
        .one(db)
        .await?;
    match plan_id {
        Some(p) => Ok(catalogues(ctx)?.by_id(p).await?),
        None => Ok(None),
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
    async fn plan(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Plan>> {
        if !principal(ctx)?.sees_plan(&slug) {
            return Ok(None);
        }
        Ok(catalogues(ctx)?.by_slug_unconfirmed(&slug).await?.map(Plan))
    }

    /// Any object by its global id; null when it does not exist.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let who = principal(ctx)?;
        let db = &state(ctx)?.db;
        let (kind, n) = decode_global_id(&id)?;
        // Each kind is looked up within the principal's scope: out of scope reads as absent.
        let node = match kind {
            Kind::Plan => catalogues(ctx)?
                .by_id(n)
                .await?
                .map(|c| Node::Plan(Plan(c))),
            Kind::Action => match actions::by_id(db, who.visible_actions(), n).await? {
                Some(a) => Some(Node::Action(Action::single(batch_env(ctx)?, a))),
                None => None,
            },
            Kind::Theme => plan_of::<theme::Entity>(ctx, n)
                .await?
                .and_then(|c| Theme::of(&c, n))
                .map(Node::Theme),
            Kind::Workstream => plan_of::<workstream::Entity>(ctx, n)
                .await?
                .and_then(|c| Workstream::of(&c, n))
                .map(Node::Workstream),
            Kind::Person => plan_of::<person::Entity>(ctx, n)
                .await?
                .and_then(|c| Person::of(&c, n))
                .map(Node::Person),
            Kind::Reference => plan_of::<source_reference::Entity>(ctx, n)
                .await?
                .and_then(|c| Reference::of(&c, n))
                .map(Node::Reference),
            Kind::RagUpdate => match rag::update_by_id(db, n).await? {
                Some(r) => actions::by_id(db, who.visible_actions(), r.action_id)
                    .await?
                    .map(|_| Node::RagUpdate(RagUpdate::new(r))),
                None => None,
            },
        };
        let slug = match &node {
            None | Some(Node::Action(_)) | Some(Node::RagUpdate(_)) => return Ok(node),
            Some(Node::Plan(p)) => &p.0.plan.slug,
            Some(Node::Theme(t)) => &t.cat.plan.slug,
            Some(Node::Workstream(w)) => &w.cat.plan.slug,
            Some(Node::Person(p)) => &p.cat.plan.slug,
            Some(Node::Reference(r)) => &r.cat.plan.slug,
        };
        let visible = who.sees_plan(slug);
        Ok(node.filter(|_| visible))
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

/// An improvement plan: one version of one authority's plan. Holds the plan's catalogue as
/// last seen, confirmed for the request when a field reads it (see `Plan::current`).
pub struct Plan(pub Arc<Catalogue>);

/// A numbered category of evidence for performance indicators.
pub struct EvidenceCategory(Arc<Catalogue>, usize);

/// A numbered category of evidence for performance indicators.
#[Object(serial)]
impl EvidenceCategory {
    async fn number(&self) -> i32 {
        self.0.evidence_categories[self.1].number
    }
    async fn title(&self) -> &str {
        &self.0.evidence_categories[self.1].title
    }
}

impl Plan {
    /// The plan's catalogue, confirmed for this request: the plan's id and slug never change,
    /// everything else may, with an import (see `plans::catalogue`).
    async fn current(&self, ctx: &Context<'_>) -> Result<Arc<Catalogue>> {
        Ok(catalogues(ctx)?.current(&self.0).await?)
    }
}

#[Object]
impl Plan {
    pub async fn id(&self) -> ID {
        global_id(Kind::Plan, self.0.id())
    }
    /// Stable identifier, e.g. `herefordshire-2012`.
    async fn slug(&self) -> &str {
        &self.0.plan.slug
    }
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.current(ctx).await?.plan.title.clone())
    }
    /// The plan's own version label, e.g. `V2.2`.
    async fn version(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.current(ctx).await?.plan.version.clone())
    }
    async fn authority(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.current(ctx).await?.plan.authority.clone())
    }
    /// The date the plan speaks as of; undated statuses in the plan take effect on it.
    async fn as_of(&self, ctx: &Context<'_>) -> Result<Date> {
        Ok(Date(self.current(ctx).await?.plan.as_of))
    }
    /// The "Outline and context" paragraphs.
    async fn context(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.context.clone())
    }
    /// Items of the Levels of Need pathway the plan is linked to.
    async fn levels_of_need(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.levels_of_need.clone())
    }
    async fn priority_aims(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.priority_aims.clone())
    }
    /// The child-centred outcome measures (the themes' titles).
    async fn outcome_measures(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.outcome_measures.clone())
    }
    /// Categories of evidence for performance indicators.
    async fn evidence_categories(&self, ctx: &Context<'_>) -> Result<Vec<EvidenceCategory>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.evidence_categories.len())
            .map(|i| EvidenceCategory(cat.clone(), i))
            .collect())
    }
    /// The RAG scale with the plan's descriptors.
    async fn rag_scale(&self, ctx: &Context<'_>) -> Result<Vec<RagLevel>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.rag_scale.len())
            .map(|i| RagLevel {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.themes.len())
            .map(|i| Theme {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    /// Work streams (lead task groups), in the plan's order.
    async fn workstreams(&self, ctx: &Context<'_>) -> Result<Vec<Workstream>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.workstreams.len())
            .map(|i| Workstream {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    /// People named as leads or sources.
    async fn people(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.people.len())
            .map(|i| Person {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    /// Source references (`AA1`..`AA7`, `JD`, `Staff via KOM`).
    async fn references(&self, ctx: &Context<'_>) -> Result<Vec<Reference>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.references.len())
            .map(|i| Reference {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    /// Distinct evidence items cited by the plan's actions.
    async fn evidence_sources(&self, ctx: &Context<'_>) -> Result<Vec<EvidenceSource>> {
        let who = principal(ctx)?;
        let only = who.sees_some_actions_only().then(|| who.visible_actions());
        Ok(query::evidence_sources(&state(ctx)?.db, self.0.id(), only)
            .await?
            .into_iter()
            .map(EvidenceSource)
            .collect())
    }
    /// One action by its code as numbered in the plan, e.g. `2.1 (a)`; null when there is none.
    async fn action(&self, ctx: &Context<'_>, code: String) -> Result<Option<Action>> {
        let who = principal(ctx)?;
        let db = &state(ctx)?.db;
        let history = super::action::history_wanted(ctx, &[])?;
        let (_, found) = catalogues(ctx)?
            .read_checked(&self.0, |cat| {
                let (visible, code) = (who.visible_actions(), code.as_str());
                async move {
                    let found =
                        actions::by_code_checked(db, visible, cat.id(), code, history).await?;
                    let version = found.catalogue_version;
                    Ok((found, version))
                }
            })
            .await?;
        Ok(match found.rows {
            Some(a) => Some(Action::single_with(
                batch_env(ctx)?,
                a,
                history.zip(found.history),
            )),
            None => None,
        })
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
        dashboard::summary(ctx, &self.0, group_by, as_of, filter).await
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
        dashboard::changes(ctx, &self.0, from, to, filter, first, after).await
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
        dashboard::trend(ctx, &self.0, from, to, interval, group_by, filter).await
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
        ActionConnection::load(ctx, &self.0, q).await
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
        ActionConnection::load(ctx, &self.0, q).await
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
        ActionConnection::load(ctx, &self.0, q).await
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
        ActionConnection::load(ctx, &self.0, q).await
    }
}

/// A RAG status and what it means in this plan.
pub struct RagLevel {
    cat: Arc<Catalogue>,
    i: usize,
}

impl RagLevel {
    fn row(&self) -> &rag_level::Model {
        &self.cat.rag_scale[self.i]
    }
}

#[Object(serial)]
impl RagLevel {
    async fn status(&self) -> Result<super::action::RagStatusGql> {
        super::action::RagStatusGql::from_db(&self.row().status)
    }
    async fn descriptor(&self) -> &str {
        &self.row().descriptor
    }
}

/// A theme: one of the plan's child-centred outcome measures.
pub struct Theme {
    cat: Arc<Catalogue>,
    i: usize,
}

impl Theme {
    /// Theme `id` of a plan's catalogue.
    pub fn of(cat: &Arc<Catalogue>, id: i32) -> Option<Self> {
        Some(Self {
            i: cat.theme_pos(id)?,
            cat: cat.clone(),
        })
    }
    fn row(&self) -> &theme::Model {
        &self.cat.themes[self.i]
    }
}

#[Object(serial)]
impl Theme {
    pub async fn id(&self) -> ID {
        global_id(Kind::Theme, self.row().id)
    }
    async fn number(&self) -> i32 {
        self.row().number
    }
    async fn title(&self) -> &str {
        &self.row().title
    }
}

/// A work stream (lead task group).
pub struct Workstream {
    cat: Arc<Catalogue>,
    i: usize,
}

impl Workstream {
    /// Work stream `id` of a plan's catalogue.
    pub fn of(cat: &Arc<Catalogue>, id: i32) -> Option<Self> {
        Some(Self {
            i: cat.workstream_pos(id)?,
            cat: cat.clone(),
        })
    }
    fn row(&self) -> &workstream::Model {
        &self.cat.workstreams[self.i]
    }
}

#[Object(serial)]
impl Workstream {
    pub async fn id(&self) -> ID {
        global_id(Kind::Workstream, self.row().id)
    }
    async fn name(&self) -> &str {
        &self.row().name
    }
}

/// A person named in the plan, under one canonical code.
pub struct Person {
    cat: Arc<Catalogue>,
    i: usize,
}

impl Person {
    /// Person `id` of a plan's catalogue.
    pub fn of(cat: &Arc<Catalogue>, id: i32) -> Option<Self> {
        Some(Self {
            i: cat.person_pos(id)?,
            cat: cat.clone(),
        })
    }
    fn person(&self) -> &catalogue::Person {
        &self.cat.people[self.i]
    }
}

#[Object(serial)]
impl Person {
    pub async fn id(&self) -> ID {
        global_id(Kind::Person, self.person().row.id)
    }
    /// Canonical code: the plan's initials in one spelling (`KOM`, `JRez`).
    async fn code(&self) -> &str {
        &self.person().row.code
    }
    /// Full name where the plan gives one, else the code.
    async fn name(&self) -> &str {
        &self.person().row.name
    }
    /// Other spellings found in the source (`J.Rez`, `J. Rez`).
    async fn aliases(&self) -> &[String] {
        &self.person().aliases
    }
}

/// Whether a reference is a document or a person who raised the action.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ReferenceKind {
    Document,
    Person,
}

/// A source an action came from.
pub struct Reference {
    cat: Arc<Catalogue>,
    i: usize,
}

impl Reference {
    /// Reference `id` of a plan's catalogue.
    pub fn of(cat: &Arc<Catalogue>, id: i32) -> Option<Self> {
        Some(Self {
            i: cat.reference_pos(id)?,
            cat: cat.clone(),
        })
    }
    fn row(&self) -> &source_reference::Model {
        &self.cat.references[self.i]
    }
}

#[Object(serial)]
impl Reference {
    pub async fn id(&self) -> ID {
        global_id(Kind::Reference, self.row().id)
    }
    /// `AA1`..`AA7`, `JD`, `Staff via KOM`.
    async fn code(&self) -> &str {
        &self.row().code
    }
    async fn title(&self) -> &str {
        &self.row().title
    }
    async fn kind(&self) -> ReferenceKind {
        if self.row().kind == "person" {
            ReferenceKind::Person
        } else {
            ReferenceKind::Document
        }
    }
    /// The person who raised it, for person references.
    async fn person(&self) -> Option<Person> {
        Person::of(&self.cat, self.row().person_id?)
    }
}

/// An evidence item cited by actions.
pub struct EvidenceSource(pub evidence_source::Model);

#[Object(serial)]
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
