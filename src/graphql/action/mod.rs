//! The `Action` object: an action of a plan and its fields, resolved batch by batch.
//! The inputs that narrow action lists, the lists themselves and the records an action holds
//! have their own files below.
pub(super) mod connection;
pub(super) mod filter;
pub(super) mod records;

use async_graphql::{Context, Object, Result, SimpleObject, ID};

use std::sync::Arc;

use self::filter::{LifecycleStateGql, RagStatusGql};
use self::records::{
    EvidenceRecord, Milestone, OfstedDescriptor, RemovalProposal, TimescaleExtension,
    WorkstreamMove,
};
use super::batch::{ActionBatch, BatchEnv};
use super::catalogue::{EvidenceSource, Person, Reference, Theme, Workstream};
use super::context::{day_or_today, state};
use super::plan::Plan;
use super::rag_update::{RagUpdate, RagUpdateConnection};
use super::relay::{global_id, offset_after, Kind};
use super::scalars::Date;
use crate::actions::{self, ActionRow, LatestHistory, LinkDirection};
use crate::error::AppError;
use crate::plans::catalogue::Catalogue;

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
