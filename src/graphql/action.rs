//! Actions, their relations, the filter and ordering inputs, and RAG history.
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use entity::{
    action_descriptor, evidence_record, milestone, rag_update, removal_proposal,
    timescale_extension, workstream_move,
};

use std::sync::Arc;

use super::batch::{ActionBatch, BatchEnv};
use super::catalogue::{EvidenceSource, Person, Reference, Theme, Workstream};
use super::context::{batch_env, catalogues, day_or_today, state};
use super::plan::Plan;
use super::principal;
use super::relay::{cursor, global_id, offset_after, Kind, PageInfo};
use super::scalars::Date;
use crate::actions::{
    self, ActionFilter, ActionOrder, ActionRow, LatestHistory, LinkDirection, OrderDirection,
    OrderField, ResolvedFilter,
};
use crate::error::AppError;
use crate::plans::catalogue::Catalogue;

/// RAG status. GREY = not yet started, BLUE = completed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "RagStatus", remote = "crate::rag::RagStatus")]
pub enum RagStatusGql {
    /// Tasks and/or outcomes have not been met or the timescale slipped.
    Red,
    /// On track, milestones met but not completed.
    Amber,
    /// Completed, or performance on target.
    Green,
    /// Not yet started.
    Grey,
    /// Completed.
    Blue,
}

/// Whether an action is part of the plan or has been removed from it.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "LifecycleState", remote = "crate::actions::LifecycleState")]
pub enum LifecycleStateGql {
    /// Part of the plan: listed, counted and updated.
    Active,
    /// Retired from the plan (`retireAction`): still readable, with its history, but left out
    /// of RAG counts and taking no status updates.
    Removed,
}

/// Ofsted judgement areas.
// The framework's own abbreviations, kept as clients know them.
#[allow(clippy::upper_case_acronyms)]
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "OfstedArea", remote = "crate::actions::OfstedArea")]
pub enum OfstedAreaGql {
    /// Overall effectiveness.
    OE,
    /// Effectiveness of help and protection.
    EHP,
    /// Quality of practice.
    QP,
    /// Leadership and governance.
    LG,
}

/// Narrows `Plan.actions`; lists mean "any of", fields combine with AND. Unknown names are
/// an error (`BAD_USER_INPUT`), not an empty result.
#[derive(InputObject, Default)]
#[graphql(name = "ActionFilter")]
pub struct ActionFilterInput {
    /// Theme numbers.
    pub themes: Option<Vec<i32>>,
    /// Work-stream names (`Practice`, `HSCB`, ...).
    pub workstreams: Option<Vec<String>>,
    /// Lead person codes (`KOM`, `DM`, `JRez`, ...).
    pub leads: Option<Vec<String>>,
    /// Current RAG statuses.
    pub rag: Option<Vec<RagStatusGql>>,
    /// Reference codes (`AA1`, `JD`, `Staff via KOM`).
    pub references: Option<Vec<String>>,
    /// Ofsted descriptor codes (`QP3.7`, or bare `3.7`) or areas (`OE`, `EHP`, `QP`, `LG`).
    pub descriptors: Option<Vec<String>>,
    /// Only active or only removed actions; null: both (RAG counts: active only).
    pub state: Option<LifecycleStateGql>,
    /// Words that must all appear in the objective or outcome (case-insensitive).
    pub search: Option<String>,
    /// Due (latest milestone) strictly before this date.
    pub due_before: Option<Date>,
    /// Due strictly after this date.
    pub due_after: Option<Date>,
}

impl From<ActionFilterInput> for ActionFilter {
    fn from(f: ActionFilterInput) -> Self {
        ActionFilter {
            themes: f.themes,
            workstreams: f.workstreams,
            leads: f.leads,
            rag: f.rag.map(|v| v.into_iter().map(Into::into).collect()),
            references: f.references,
            descriptors: f.descriptors,
            state: f.state.map(Into::into),
            search: f.search,
            due_before: f.due_before.map(|d| d.0),
            due_after: f.due_after.map(|d| d.0),
        }
    }
}

/// Fields actions can be ordered by.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum ActionOrderField {
    /// The order of the plan document (1.1, 1.2, ... 5.12).
    #[default]
    Position,
    /// Latest milestone due date; actions without one come last.
    DueDate,
    /// Severity: RED, AMBER, GREY, GREEN, BLUE.
    RagStatus,
    /// Last change.
    UpdatedAt,
}

/// Which way an ordering runs.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum SortDirection {
    /// Earliest, or most severe, first.
    #[default]
    Asc,
    /// The reverse.
    Desc,
}

/// Ordering of `Plan.actions`.
#[derive(InputObject, Default)]
#[graphql(name = "ActionOrder")]
pub struct ActionOrderInput {
    /// What to order by.
    #[graphql(default)]
    pub field: ActionOrderField,
    /// Ascending (the default) or descending.
    #[graphql(default)]
    pub direction: SortDirection,
}

impl From<ActionOrderInput> for ActionOrder {
    fn from(o: ActionOrderInput) -> Self {
        ActionOrder {
            field: match o.field {
                ActionOrderField::Position => OrderField::Position,
                ActionOrderField::DueDate => OrderField::DueDate,
                ActionOrderField::RagStatus => OrderField::RagStatus,
                ActionOrderField::UpdatedAt => OrderField::UpdatedAt,
            },
            direction: match o.direction {
                SortDirection::Asc => OrderDirection::Asc,
                SortDirection::Desc => OrderDirection::Desc,
            },
        }
    }
}

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
                    let mut filter =
                        actions::resolve_filter(&cat, client)?.within(who.visible_actions());
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
pub(super) fn history_wanted(ctx: &Context<'_>, path: &[&str]) -> Result<Option<LatestHistory>> {
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

/// An action of a plan, resolved together with the others of its batch.
#[derive(Clone)]
pub struct Action {
    batch: Arc<ActionBatch>,
    /// Where its row is in the batch.
    i: usize,
}

impl Action {
    /// An action on its own (`action(code:)`, `node(id:)`, a mutation's payload).
    pub fn single(env: BatchEnv, row: ActionRow) -> Self {
        Self {
            batch: ActionBatch::new(env, vec![row]),
            i: 0,
        }
    }

    /// An action on its own, with a history page already read.
    pub fn single_with(
        env: BatchEnv,
        row: ActionRow,
        history: Option<(LatestHistory, actions::HistoryPages)>,
    ) -> Self {
        let batch = ActionBatch::new(env, vec![row]);
        if let Some((h, pages)) = history {
            // Priming a fresh batch cannot fail but for a poisoned lock; then the history is
            // simply read again when asked.
            let _ = batch.prime_history(h, pages);
        }
        Self { batch, i: 0 }
    }

    /// Every action of a batch, in its order.
    pub fn all_of(batch: &Arc<ActionBatch>) -> Vec<Self> {
        (0..batch.rows().len())
            .map(|i| Self {
                batch: batch.clone(),
                i,
            })
            .collect()
    }

    fn row(&self) -> &ActionRow {
        &self.batch.rows()[self.i]
    }

    /// The database id (for grouping results by action).
    pub fn id_value(&self) -> i32 {
        self.row().id
    }

    async fn linked(&self, dir: LinkDirection) -> Result<Vec<Action>> {
        let (at, batch) = self.batch.links(self.row().id, dir).await?;
        Ok(at
            .into_iter()
            .map(|i| Action {
                batch: batch.clone(),
                i,
            })
            .collect())
    }

    async fn catalogue(&self) -> Result<Arc<Catalogue>> {
        Ok(self.batch.catalogue(self.row().plan_id).await?)
    }
}

/// An action's current RAG status.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct RagState {
    /// The status.
    status: RagStatusGql,
    /// The note recorded with the status.
    note: Option<String>,
    /// The date the status took effect.
    effective_date: Date,
    /// When the status was recorded.
    recorded_at: chrono::DateTime<chrono::Utc>,
}

/// An action of a plan: what must be done (objective), what will show it worked (outcome,
/// evidence), who leads it, by when, and its RAG status and history.
#[Object]
impl Action {
    /// Global id (see `node(id:)`); mutations take it as `actionId`.
    pub async fn id(&self) -> ID {
        global_id(Kind::Action, self.row().id)
    }
    /// The code exactly as numbered in the plan: `1.1`, `2.1 (a)`.
    async fn code(&self) -> &str {
        &self.row().code
    }
    /// The plan the action belongs to.
    async fn plan(&self) -> Result<Plan> {
        Ok(Plan(self.catalogue().await?))
    }
    /// The theme it is numbered under.
    async fn theme(&self) -> Result<Theme> {
        Theme::of(&self.catalogue().await?, self.row().theme_id)
            .ok_or_else(|| AppError::Internal("BUG: action's theme missing".into()).into())
    }
    /// The objective's lead text.
    async fn objective(&self) -> &str {
        &self.row().objective
    }
    /// The objective's bullet items.
    async fn objective_items(&self) -> &[String] {
        &self.row().objective_items
    }
    /// Measurable targets.
    async fn outcome(&self) -> &[String] {
        &self.row().outcomes
    }
    /// Evidence items.
    async fn evidence(&self) -> Result<Vec<EvidenceSource>> {
        Ok(self
            .batch
            .evidence(self.row().id)
            .await?
            .into_iter()
            .map(EvidenceSource)
            .collect())
    }
    /// Evidence submitted against the action through the API (`addEvidence`), oldest first.
    async fn submitted_evidence(&self) -> Result<Vec<EvidenceRecord>> {
        Ok(self
            .batch
            .evidence_records(self.row().id)
            .await?
            .into_iter()
            .map(EvidenceRecord)
            .collect())
    }
    /// Lead people, in the order the plan names them.
    async fn leads(&self) -> Result<Vec<Person>> {
        let cat = self.catalogue().await?;
        Ok(self
            .batch
            .lead_ids(self.row().id)
            .await?
            .into_iter()
            .filter_map(|id| Person::of(&cat, id))
            .collect())
    }
    /// The lead cell as written in the source.
    async fn lead_text(&self) -> &str {
        &self.row().lead_text
    }
    /// The current work stream.
    async fn workstream(&self) -> Result<Workstream> {
        Workstream::of(&self.catalogue().await?, self.row().workstream_id)
            .ok_or_else(|| AppError::Internal("BUG: action's work stream missing".into()).into())
    }
    /// Source references.
    async fn references(&self) -> Result<Vec<Reference>> {
        let cat = self.catalogue().await?;
        Ok(self
            .batch
            .reference_ids(self.row().id)
            .await?
            .into_iter()
            .filter_map(|id| Reference::of(&cat, id))
            .collect())
    }
    /// The "by when" text as written.
    async fn by_when(&self) -> &str {
        &self.row().by_when
    }
    /// Milestones parsed from "by when".
    async fn milestones(&self) -> Result<Vec<Milestone>> {
        Ok(self
            .batch
            .milestones(self.row().id)
            .await?
            .into_iter()
            .map(Milestone)
            .collect())
    }
    /// The latest due date (last milestone or agreed extension).
    async fn due_date(&self) -> Option<Date> {
        self.row().due_date.map(Date)
    }
    /// Agreed timescale extensions.
    async fn extensions(&self) -> Result<Vec<TimescaleExtension>> {
        Ok(self
            .batch
            .extensions(self.row().id)
            .await?
            .into_iter()
            .map(TimescaleExtension)
            .collect())
    }
    /// Moves between work streams.
    async fn moves(&self) -> Result<Vec<WorkstreamMove>> {
        Ok(self
            .batch
            .moves(self.row().id)
            .await?
            .into_iter()
            .map(|row| WorkstreamMove {
                plan_id: self.row().plan_id,
                row,
            })
            .collect())
    }
    /// Recorded proposals to remove the action (it stays active until removed).
    async fn removal_proposals(&self) -> Result<Vec<RemovalProposal>> {
        Ok(self
            .batch
            .removal_proposals(self.row().id)
            .await?
            .into_iter()
            .map(RemovalProposal)
            .collect())
    }
    /// The current RAG status.
    async fn rag(&self) -> Result<RagState> {
        Ok(RagState {
            status: self.row().rag_status.into(),
            note: self.row().rag_note.clone(),
            effective_date: Date(self.row().rag_effective_date),
            recorded_at: self.row().rag_recorded_at,
        })
    }
    /// The RAG history entry in effect at the end of `date` (null before the first).
    async fn rag_as_of(
        &self,
        #[graphql(desc = "The day; entries taking effect on it count.")] date: Date,
    ) -> Result<Option<RagUpdate>> {
        Ok(self
            .batch
            .entry_on(self.row().id, date.0)
            .await?
            .map(RagUpdate::new))
    }
    /// Days the action has had its current status on `asOf` (default today): since the first
    /// of the latest run of entries with this status.
    async fn days_in_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day to count to (default today, in England).")] as_of: Option<Date>,
    ) -> Result<Option<i64>> {
        let day = day_or_today(ctx, as_of)?;
        let since = self
            .batch
            .status_since(self.row().id)
            .await?
            .unwrap_or(self.row().rag_effective_date);
        Ok((since <= day).then(|| (day - since).num_days()))
    }
    /// Days past its due date on `asOf` (default today); null when not due yet, without a due
    /// date, removed, or BLUE/GREEN now.
    async fn days_overdue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day to count to (default today, in England).")] as_of: Option<Date>,
    ) -> Result<Option<i64>> {
        let day = day_or_today(ctx, as_of)?;
        Ok(actions::deadlines::days_overdue(self.row(), day))
    }
    /// Ofsted grade descriptors.
    async fn ofsted_descriptors(&self) -> Result<Vec<OfstedDescriptor>> {
        Ok(self
            .batch
            .descriptors(self.row().id)
            .await?
            .into_iter()
            .map(OfstedDescriptor)
            .collect())
    }
    /// Actions this one links to.
    async fn links(&self) -> Result<Vec<Action>> {
        self.linked(LinkDirection::Outgoing).await
    }
    /// Actions that link to this one.
    async fn linked_from(&self) -> Result<Vec<Action>> {
        self.linked(LinkDirection::Incoming).await
    }
    /// Increases with every change; pass it as `expectedVersion` to guard against lost updates.
    async fn version(&self) -> i32 {
        self.row().version
    }
    /// Whether the action is part of the plan or has been removed from it.
    async fn state(&self) -> LifecycleStateGql {
        self.row().state.into()
    }
    /// Why the action was removed, when it was.
    async fn removed_reason(&self) -> Option<&str> {
        self.row().removed_reason.as_deref()
    }
    /// When the action was first stored (imported or created).
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.row().created_at
    }
    /// When the action last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.row().updated_at
    }
    /// Every RAG status change, newest first (by effective date).
    async fn rag_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<RagUpdateConnection> {
        let st = state(ctx)?;
        let limit = st.limits.page_size(first)?;
        let offset = offset_after(after.as_deref())?;
        let (rows, more) = self.batch.history(self.row().id, offset, limit).await?;
        Ok(RagUpdateConnection {
            total: self.row().history_count,
            offset,
            rows,
            more,
        })
    }
}

/// A milestone parsed from an action's "by when".
pub struct Milestone(milestone::Model);

/// A milestone of an action: a stage of its "by when" and the date it is due.
#[Object(serial)]
impl Milestone {
    /// As written, e.g. `Stage 1 – Nov 12`.
    async fn label(&self) -> &str {
        &self.0.label
    }
    /// The last day of the period named, when it names one.
    async fn due(&self) -> Option<Date> {
        self.0.due.map(Date)
    }
}

/// An Ofsted grade descriptor as cited by an action.
pub struct OfstedDescriptor(action_descriptor::Model);

/// An Ofsted grade descriptor an action cites: the inspection framework's criterion it
/// answers to.
#[Object(serial)]
impl OfstedDescriptor {
    /// Normalised code, e.g. `QP3.21` (the bare area when only an area is cited).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The judgement area the descriptor belongs to.
    async fn area(&self) -> OfstedAreaGql {
        self.0.area.into()
    }
    /// As written in the source, e.g. `LG .4.15`.
    async fn raw(&self) -> &str {
        &self.0.raw
    }
}

/// An agreed extension of an action's timescale.
pub struct TimescaleExtension(pub(super) timescale_extension::Model);

/// An agreed extension of an action's timescale (`extendDeadline`, or an `Extension to
/// timescale agreed` note in the plan).
#[Object(serial)]
impl TimescaleExtension {
    /// As written in the source, when imported.
    async fn raw(&self) -> Option<&str> {
        self.0.raw.as_deref()
    }
    /// Why it was extended; null when the plan does not say.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// When it was agreed.
    async fn agreed_on(&self) -> Option<Date> {
        self.0.agreed_on.map(Date)
    }
    /// The due date before the extension.
    async fn previous_due(&self) -> Option<Date> {
        self.0.previous_due.map(Date)
    }
    /// The new due date, when one was set.
    async fn new_due(&self) -> Option<Date> {
        self.0.new_due.map(Date)
    }
    /// When the extension was recorded.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.recorded_at
    }
    /// Who recorded it: a token's subject, or `plan import`.
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }
}

/// Evidence of progress submitted against an action.
pub struct EvidenceRecord(pub(super) evidence_record::Model);

/// Evidence of progress submitted against an action (`addEvidence`).
#[Object(serial)]
impl EvidenceRecord {
    /// What the evidence is.
    async fn what(&self) -> &str {
        &self.0.what
    }
    /// Where it comes from (a team, a system, a report).
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    /// A document reference or URL.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// The date the evidence is from.
    async fn date(&self) -> Option<Date> {
        self.0.dated.map(Date)
    }
    /// When it was submitted.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.recorded_at
    }
    /// The subject of the token that submitted it.
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }
}

/// A move of an action from one work stream to another.
pub struct WorkstreamMove {
    /// The plan of the action (and of both work streams).
    pub(super) plan_id: i32,
    pub(super) row: workstream_move::Model,
}

impl WorkstreamMove {
    async fn workstream(&self, ctx: &Context<'_>, id: i32) -> Result<Workstream> {
        let cat = catalogues(ctx)?.of(self.plan_id).await?;
        Workstream::of(&cat, id)
            .ok_or_else(|| AppError::Internal("BUG: move of unknown work stream".into()).into())
    }
}

/// A move of an action from one work stream to another (`moveAction`, or `MOVED TO ...` in
/// the plan).
#[Object(serial)]
impl WorkstreamMove {
    /// The work stream it left; null when that was not recorded.
    async fn from(&self, ctx: &Context<'_>) -> Result<Option<Workstream>> {
        match self.row.from_workstream_id {
            None => Ok(None),
            Some(id) => Ok(Some(self.workstream(ctx, id).await?)),
        }
    }
    /// The work stream it moved to.
    async fn to(&self, ctx: &Context<'_>) -> Result<Workstream> {
        self.workstream(ctx, self.row.to_workstream_id).await
    }
    /// As written in the source, e.g. `MOVED TO PRACTICE`.
    async fn raw(&self) -> Option<&str> {
        self.row.raw.as_deref()
    }
    /// Why it moved; null when no reason was given.
    async fn reason(&self) -> Option<&str> {
        self.row.reason.as_deref()
    }
    /// When the move was recorded.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.row.recorded_at
    }
    /// Who recorded it: a token's subject, or `plan import`.
    async fn recorded_by(&self) -> &str {
        &self.row.recorded_by
    }
}

/// A recorded proposal to remove an action from the plan.
pub struct RemovalProposal(removal_proposal::Model);

/// A recorded proposal to remove an action from the plan (`Remove from plan` in its "by
/// when"); the action stays active until it is retired.
#[Object(serial)]
impl RemovalProposal {
    /// As written, e.g. `Remove from plan`.
    async fn raw(&self) -> &str {
        &self.0.raw
    }
    /// When the proposal was recorded.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.recorded_at
    }
    /// Who recorded it (`plan import` for proposals read from the plan).
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }
}

/// One RAG status change: append-only history.
pub struct RagUpdate(pub Arc<rag_update::Model>);

impl RagUpdate {
    pub fn new(row: rag_update::Model) -> Self {
        Self(Arc::new(row))
    }
}

/// One entry of an action's RAG history: a status, when it took effect, who recorded it and
/// why. The history is append-only.
#[Object(serial)]
impl RagUpdate {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::RagUpdate, self.0.id)
    }
    /// The status recorded.
    async fn status(&self) -> RagStatusGql {
        self.0.status.into()
    }
    /// The status before this change; null for an action's first entry.
    async fn previous_status(&self) -> Option<RagStatusGql> {
        self.0.previous_status.map(Into::into)
    }
    /// Why, in the recorder's words; null when none was given (one is required to become RED
    /// or to leave BLUE).
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The date the status took effect (may be back-dated to a review date).
    async fn effective_date(&self) -> Date {
        Date(self.0.effective_date)
    }
    /// When the change was recorded.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.recorded_at
    }
    /// Who recorded it.
    async fn author(&self) -> &str {
        &self.0.author
    }
    /// Where it came from (e.g. the imported plan file).
    async fn source(&self) -> &str {
        &self.0.source
    }
}

/// A page of an action's RAG history.
pub struct RagUpdateConnection {
    /// The action's `history_count`.
    total: i32,
    offset: u64,
    rows: Vec<Arc<rag_update::Model>>,
    more: bool,
}

/// An edge to a RAG update.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct RagUpdateEdge {
    /// Pass as `after` to continue after this entry.
    cursor: String,
    /// The history entry.
    node: RagUpdate,
}

/// A page of an action's RAG history, newest first.
#[Object(serial)]
impl RagUpdateConnection {
    /// The entries of this page, each with its cursor.
    async fn edges(&self) -> Vec<RagUpdateEdge> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| RagUpdateEdge {
                cursor: cursor(self.offset + i as u64),
                node: RagUpdate(r.clone()),
            })
            .collect()
    }
    /// The entries of this page, without cursors.
    async fn nodes(&self) -> Vec<RagUpdate> {
        self.rows.iter().map(|r| RagUpdate(r.clone())).collect()
    }
    /// Whether more entries follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo::new(self.offset, self.rows.len(), self.more)
    }
    /// Number of history entries of the action.
    async fn total_count(&self) -> u64 {
        u64::try_from(self.total).unwrap_or(0)
    }
}
