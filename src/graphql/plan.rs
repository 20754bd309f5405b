//! Query root, plans and their catalogues.
use std::sync::Arc;

use async_graphql::{Context, Enum, Interface, Object, Result, SimpleObject, ID};
use entity::{evidence_source, rag_level, source_reference, theme, workstream};

use super::action::{
    Action, ActionConnection, ActionFilterInput, ActionOrderInput, ActionQuery, RagUpdate,
};
use super::context::{batch_env, catalogues, day_or_today, state};
use super::dashboard::{self, RagGroupBy, RagSummary, TrendInterval};
use super::principal;
use super::relay::{decode_global_id, global_id, offset_after, Kind, PageInfo};
use super::scalars::Date;
use crate::actions::{self, deadlines, ActionOrder};
use crate::objects::{self, Found};
use crate::plans::catalogue::{self, Catalogue};
use crate::plans::query;

#[derive(Default)]
pub struct QueryRoot;

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

/// An improvement plan: one version of one authority's plan. Holds the plan's catalogue as
/// last seen, confirmed for the request when a field reads it (see `Plan::current`).
pub struct Plan(pub Arc<Catalogue>);

/// A numbered category of evidence for performance indicators.
pub struct EvidenceCategory(Arc<Catalogue>, usize);

/// A numbered category of evidence for performance indicators.
#[Object(serial)]
impl EvidenceCategory {
    /// The category's number in the plan (1-5); `EvidenceSource.category` refers to it.
    async fn number(&self) -> i32 {
        self.0.evidence_categories[self.1].number
    }
    /// The category as the plan names it.
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

/// An improvement plan: one version of one authority's plan, with its themes, work streams,
/// people, references, RAG scale and actions.
#[Object]
impl Plan {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::Plan, self.0.id())
    }
    /// Stable identifier, e.g. `herefordshire-2012`.
    async fn slug(&self) -> &str {
        &self.0.plan.slug
    }
    /// The plan's title as published.
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.current(ctx).await?.plan.title.clone())
    }
    /// The plan's own version label, e.g. `V2.2`.
    async fn version(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.current(ctx).await?.plan.version.clone())
    }
    /// The local authority whose plan it is, e.g. `Herefordshire Council`.
    async fn authority(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.current(ctx).await?.plan.authority.clone())
    }
    /// The date the plan speaks as of; undated statuses in the plan take effect on it.
    async fn as_of(&self, ctx: &Context<'_>) -> Result<Date> {
        Ok(Date(self.current(ctx).await?.plan.as_of))
    }
    /// The "Outline and context" paragraphs.
    async fn context(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.plan.context.0.clone())
    }
    /// Items of the Levels of Need pathway the plan is linked to.
    async fn levels_of_need(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.plan.levels_of_need.0.clone())
    }
    /// The plan's priority aims, in its order.
    async fn priority_aims(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.plan.priority_aims.0.clone())
    }
    /// The child-centred outcome measures (the themes' titles).
    async fn outcome_measures(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.plan.outcome_measures.0.clone())
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
    /// The themes (the child-centred outcome measures), by number.
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
    async fn action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code exactly as numbered, e.g. `1.1` or `2.1 (a)`.")] code: String,
    ) -> Result<Option<Action>> {
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
        #[graphql(desc = "How to group the counts; null: totals only, no groups.")]
        group_by: Option<RagGroupBy>,
        #[graphql(desc = "Count as at the end of this day, from the history; null: now.")]
        as_of: Option<Date>,
        #[graphql(desc = "Which actions to count (default: every active one the token can see).")]
        filter: Option<ActionFilterInput>,
    ) -> Result<RagSummary> {
        dashboard::summary(ctx, &self.0, group_by, as_of, filter).await
    }
    /// Every RAG status change taking effect from `from` to `to` (inclusive), oldest first.
    #[allow(clippy::too_many_arguments)]
    async fn rag_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first effective date included.")] from: Date,
        #[graphql(desc = "The last effective date included (not before `from`).")] to: Date,
        #[graphql(desc = "Only changes of the actions this filter selects.")] filter: Option<
            ActionFilterInput,
        >,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<dashboard::RagChangeConnection> {
        dashboard::changes(ctx, &self.0, from, to, filter, first, after).await
    }
    /// `ragSummary` as of `from` and every interval after it up to `to` (at most 200 points).
    async fn rag_trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first point's day.")] from: Date,
        #[graphql(desc = "The last day a point may fall on (not before `from`).")] to: Date,
        #[graphql(desc = "The spacing of the points after `from`.")] interval: TrendInterval,
        #[graphql(desc = "How to group each point's counts; null: totals only, no groups.")]
        group_by: Option<RagGroupBy>,
        #[graphql(desc = "Which actions to count (default: every active one the token can see).")]
        filter: Option<ActionFilterInput>,
    ) -> Result<Vec<RagSummary>> {
        dashboard::trend(ctx, &self.0, from, to, interval, group_by, filter).await
    }
    /// The plan's actions, filtered and ordered (plan order by default).
    async fn actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which actions (default: all the token can see, active and removed).")]
        filter: Option<ActionFilterInput>,
        #[graphql(desc = "The order (default: the plan's order).")] order_by: Option<
            ActionOrderInput,
        >,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
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
        #[graphql(desc = "The day to judge on (default today, in England).")] as_of: Option<Date>,
        #[graphql(desc = "Narrows the list further.")] filter: Option<ActionFilterInput>,
        #[graphql(desc = "The order (default: most overdue first, then the plan's order).")]
        order_by: Option<ActionOrderInput>,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let day = day_or_today(ctx, as_of)?;
        let q = ActionQuery::new(filter, order_by, first, after)
            .only(deadlines::overdue(day, as_of.map(|d| d.0)), by_due_date());
        ActionConnection::load(ctx, &self.0, q).await
    }
    /// Actions due within `within` days of `asOf` (default today) and not BLUE or GREEN.
    #[allow(clippy::too_many_arguments)]
    async fn due_soon(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Days ahead of `asOf` to look (0-3660; both ends included).")] within: i32,
        #[graphql(desc = "The day to look ahead from (default today, in England).")] as_of: Option<
            Date,
        >,
        #[graphql(desc = "Narrows the list further.")] filter: Option<ActionFilterInput>,
        #[graphql(desc = "The order (default: soonest due first, then the plan's order).")]
        order_by: Option<ActionOrderInput>,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let day = day_or_today(ctx, as_of)?;
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
        #[graphql(desc = "Days with no status taking effect that make an action stale (1-3660).")]
        days: i32,
        #[graphql(desc = "The day to judge on (default today, in England).")] as_of: Option<Date>,
        #[graphql(desc = "Narrows the list further.")] filter: Option<ActionFilterInput>,
        #[graphql(desc = "The order (default: the plan's order).")] order_by: Option<
            ActionOrderInput,
        >,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let day = day_or_today(ctx, as_of)?;
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

/// A RAG status and what it means in this plan.
#[Object(serial)]
impl RagLevel {
    /// The status.
    async fn status(&self) -> super::action::RagStatusGql {
        self.row().status.into()
    }
    /// What the status means, in the plan's words.
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

/// A theme of the plan: one of its child-centred outcome measures, under which actions are
/// numbered (theme 3 holds actions 3.1, 3.2, ...).
#[Object(serial)]
impl Theme {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::Theme, self.row().id)
    }
    /// The theme's number, the first part of its actions' codes.
    async fn number(&self) -> i32 {
        self.row().number
    }
    /// The outcome measure as the plan words it.
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

/// A work stream: the lead task group an action belongs to (`Practice`, `HSCB`, ...).
#[Object(serial)]
impl Workstream {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::Workstream, self.row().id)
    }
    /// The name as the plan gives it (`C&C` is Commissioning).
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

/// A person the plan names as a lead or a source, under one canonical code.
#[Object(serial)]
impl Person {
    /// Global id (see `node(id:)`).
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
        self.person().aliases()
    }
}

/// Whether a reference is a document or a person who raised the action.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ReferenceKind", remote = "entity::ReferenceKind")]
pub enum ReferenceKindGql {
    /// A source document (`AA1`..`AA7`).
    Document,
    /// A person who raised the action (`JD`, `Staff via KOM`).
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

/// A source an action came from: a document, or a person who raised it.
#[Object(serial)]
impl Reference {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::Reference, self.row().id)
    }
    /// `AA1`..`AA7`, `JD`, `Staff via KOM`.
    async fn code(&self) -> &str {
        &self.row().code
    }
    /// What the reference is, as the plan lists it.
    async fn title(&self) -> &str {
        &self.row().title
    }
    /// A document, or a person.
    async fn kind(&self) -> ReferenceKindGql {
        self.row().kind.into()
    }
    /// The person who raised it, for person references.
    async fn person(&self) -> Option<Person> {
        Person::of(&self.cat, self.row().person_id?)
    }
}

/// An evidence item cited by actions.
pub struct EvidenceSource(pub evidence_source::Model);

/// An evidence item cited by actions: what will show the action worked.
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
