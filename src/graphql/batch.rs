//! Batched relations for actions resolved together.
//!
//! Actions resolved together (one page, one action, or all actions linked from a page) share
//! an `ActionBatch`. The first field that needs a relation loads it for the whole batch with one
//! statement; every other action waits for that same result. Unlike timer-based batching this
//! is deterministic: a page of 100 costs the same statements as a page of 5, under any load.
//! Catalogue rows (plan, theme, work stream, people, references) come from the request's
//! `Catalogues`, with no statement at all.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use entity::{
    action_descriptor, evidence_record, evidence_source, milestone, rag_update, removal_proposal,
    timescale_extension, workstream_move,
};
use sea_orm::{Condition, DatabaseConnection};
use tokio::sync::OnceCell;

use crate::actions::{
    self, ActionRow, HistoryPages as HistoryPagesRead, LatestHistory, LinkDirection,
};
use crate::error::{AppError, AppResult};
use crate::plans::catalogue::{Catalogue, Catalogues};
use crate::rag;

type PerAction<T> = OnceCell<HashMap<i32, Vec<T>>>;
/// A page of history per action (shared rows), and whether more follow.
pub type HistoryPage = (Vec<Arc<rag_update::Model>>, bool);
type HistoryPages = HashMap<i32, HistoryPage>;
/// Linked actions (positions in the linked batch) per action, and the batch holding every
/// linked action.
type Links = OnceCell<(HashMap<i32, Vec<usize>>, Arc<ActionBatch>)>;
/// The entry in effect per action, by day asked for.
type EntriesOn = Mutex<HashMap<NaiveDate, Arc<OnceCell<HashMap<i32, rag_update::Model>>>>>;
/// History pages keyed by (offset, limit).
type HistoryCache = Mutex<HashMap<(u64, u64), Arc<OnceCell<HistoryPages>>>>;

/// What every batch of one request shares: the connection, the request's catalogues and the
/// principal's scope (linked actions outside it are left out).
#[derive(Clone)]
pub struct BatchEnv {
    pub db: DatabaseConnection,
    pub catalogues: Catalogues,
    pub visible: Condition,
}

pub struct ActionBatch {
    env: BatchEnv,
    rows: Vec<ActionRow>,
    ids: Vec<i32>,
    leads: PerAction<i32>,
    references: PerAction<i32>,
    evidence: PerAction<evidence_source::Model>,
    descriptors: PerAction<action_descriptor::Model>,
    milestones: PerAction<milestone::Model>,
    extensions: PerAction<timescale_extension::Model>,
    moves: PerAction<workstream_move::Model>,
    removal_proposals: PerAction<removal_proposal::Model>,
    evidence_records: PerAction<evidence_record::Model>,
    links: [Links; 2],
    history: HistoryCache,
    entries_on: EntriesOn,
    status_since: OnceCell<HashMap<i32, NaiveDate>>,
}

fn poisoned() -> AppError {
    AppError::Internal("BUG: batch cache poisoned".into())
}

impl ActionBatch {
    pub fn new(env: BatchEnv, rows: Vec<ActionRow>) -> Arc<Self> {
        let ids = rows.iter().map(|a| a.id).collect();
        Arc::new(Self {
            env,
            rows,
            ids,
            leads: OnceCell::new(),
            references: OnceCell::new(),
            evidence: OnceCell::new(),
            descriptors: OnceCell::new(),
            milestones: OnceCell::new(),
            extensions: OnceCell::new(),
            moves: OnceCell::new(),
            removal_proposals: OnceCell::new(),
            evidence_records: OnceCell::new(),
            links: [OnceCell::new(), OnceCell::new()],
            history: Mutex::new(HashMap::new()),
            entries_on: Mutex::new(HashMap::new()),
            status_since: OnceCell::new(),
        })
    }

    pub fn rows(&self) -> &[ActionRow] {
        &self.rows
    }

    /// The catalogue of the plan an action of this batch belongs to.
    pub async fn catalogue(&self, plan_id: i32) -> AppResult<Arc<Catalogue>> {
        self.env.catalogues.of(plan_id).await
    }

    /// One action's share of a per-action relation, loading it for the whole batch first.
    async fn share<'a, T, F, Fut>(
        &'a self,
        cell: &'a PerAction<T>,
        id: i32,
        load: F,
    ) -> AppResult<Vec<T>>
    where
        T: Clone,
        F: FnOnce(&'a DatabaseConnection, &'a [i32]) -> Fut,
        Fut: std::future::Future<Output = AppResult<HashMap<i32, Vec<T>>>>,
    {
        let map = cell
            .get_or_try_init(|| load(&self.env.db, &self.ids))
            .await?;
        Ok(map.get(&id).cloned().unwrap_or_default())
    }

    /// Ids of the action's lead people, in order.
    pub async fn lead_ids(&self, id: i32) -> AppResult<Vec<i32>> {
        self.share(&self.leads, id, actions::lead_ids_for).await
    }

    /// Ids of the action's source references, in order.
    pub async fn reference_ids(&self, id: i32) -> AppResult<Vec<i32>> {
        self.share(&self.references, id, actions::reference_ids_for)
            .await
    }

    pub async fn evidence(&self, id: i32) -> AppResult<Vec<evidence_source::Model>> {
        self.share(&self.evidence, id, actions::evidence_for).await
    }

    pub async fn descriptors(&self, id: i32) -> AppResult<Vec<action_descriptor::Model>> {
        self.share(&self.descriptors, id, actions::descriptors_for)
            .await
    }

    pub async fn milestones(&self, id: i32) -> AppResult<Vec<milestone::Model>> {
        self.share(&self.milestones, id, actions::milestones_for)
            .await
    }

    pub async fn extensions(&self, id: i32) -> AppResult<Vec<timescale_extension::Model>> {
        self.share(&self.extensions, id, actions::extensions_for)
            .await
    }

    pub async fn moves(&self, id: i32) -> AppResult<Vec<workstream_move::Model>> {
        self.share(&self.moves, id, actions::moves_for).await
    }

    pub async fn removal_proposals(&self, id: i32) -> AppResult<Vec<removal_proposal::Model>> {
        self.share(&self.removal_proposals, id, actions::removal_proposals_for)
            .await
    }

    pub async fn evidence_records(&self, id: i32) -> AppResult<Vec<evidence_record::Model>> {
        self.share(&self.evidence_records, id, actions::evidence_records_for)
            .await
    }

    /// Linked actions of `id` (their positions in the returned batch), as members of one batch
    /// holding every action linked from this batch, so their own relations batch too.
    pub async fn links(
        &self,
        id: i32,
        dir: LinkDirection,
    ) -> AppResult<(Vec<usize>, Arc<ActionBatch>)> {
        let cell = &self.links[match dir {
            LinkDirection::Outgoing => 0,
            LinkDirection::Incoming => 1,
        }];
        let (map, batch) = cell
            .get_or_try_init(|| async {
                let found =
                    actions::links_for(&self.env.db, &self.ids, dir, self.env.visible.clone())
                        .await?;
                let mut all: HashMap<i32, ActionRow> = HashMap::new();
                let mut targets: HashMap<i32, Vec<i32>> = HashMap::new();
                for (from, rows) in found {
                    targets.insert(from, rows.iter().map(|a| a.id).collect());
                    for t in rows {
                        all.insert(t.id, t);
                    }
                }
                let mut rows: Vec<ActionRow> = all.into_values().collect();
                rows.sort_by_key(|a| (a.plan_id, a.position, a.id));
                let at: HashMap<i32, usize> =
                    rows.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
                let by_action = targets
                    .into_iter()
                    .map(|(from, ids)| {
                        (
                            from,
                            ids.iter().filter_map(|t| at.get(t).copied()).collect(),
                        )
                    })
                    .collect();
                Ok::<_, AppError>((by_action, ActionBatch::new(self.env.clone(), rows)))
            })
            .await?;
        Ok((map.get(&id).cloned().unwrap_or_default(), batch.clone()))
    }

    /// Gives the batch a history page read with its actions (see `actions::page_checked`).
    pub fn prime_history(&self, h: LatestHistory, pages: HistoryPagesRead) -> AppResult<()> {
        let pages = pages
            .into_iter()
            .map(|(id, (rows, more))| (id, (rows.into_iter().map(Arc::new).collect(), more)))
            .collect();
        self.history.lock().map_err(|_| poisoned())?.insert(
            (h.offset, h.limit),
            Arc::new(OnceCell::new_with(Some(pages))),
        );
        Ok(())
    }

    /// One page of `id`'s history; every action of the batch asking for the same bounds shares
    /// one statement.
    pub async fn history(&self, id: i32, offset: u64, limit: u64) -> AppResult<HistoryPage> {
        let cell = {
            let mut pages = self.history.lock().map_err(|_| poisoned())?;
            pages.entry((offset, limit)).or_default().clone()
        };
        let map = cell
            .get_or_try_init(|| async {
                Ok::<_, AppError>(
                    rag::history::pages(&self.env.db, &self.ids, offset, limit)
                        .await?
                        .into_iter()
                        .map(|(id, (rows, more))| {
                            (id, (rows.into_iter().map(Arc::new).collect(), more))
                        })
                        .collect(),
                )
            })
            .await?;
        Ok(map.get(&id).cloned().unwrap_or_default())
    }

    /// The history entry in effect for `id` at the end of `day`; one statement per day asked
    /// for, whatever the batch size.
    pub async fn entry_on(&self, id: i32, day: NaiveDate) -> AppResult<Option<rag_update::Model>> {
        let cell = {
            let mut days = self.entries_on.lock().map_err(|_| poisoned())?;
            days.entry(day).or_default().clone()
        };
        let map = cell
            .get_or_try_init(|| rag::as_of::entries_on(&self.env.db, &self.ids, day))
            .await?;
        Ok(map.get(&id).cloned())
    }

    /// Since when `id` has had its current status.
    pub async fn status_since(&self, id: i32) -> AppResult<Option<NaiveDate>> {
        let map = self
            .status_since
            .get_or_try_init(|| rag::as_of::current_status_since(&self.env.db, &self.ids))
            .await?;
        Ok(map.get(&id).copied())
    }
}
