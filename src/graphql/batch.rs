//! Batched relations for actions resolved together.
//!
//! Actions resolved together (one page, one action, or all actions linked from a page) share
//! an `ActionBatch`. The first field that needs a relation loads it for the whole batch with one
//! statement; every other action waits for that same result. Unlike timer-based batching this
//! is deterministic: a page of 100 costs the same statements as a page of 5, under any load.
use std::collections::HashMap;

use chrono::NaiveDate;
use std::sync::{Arc, Mutex};

use entity::{
    action, action_descriptor, evidence_record, evidence_source, milestone, person, plan,
    rag_update, removal_proposal, source_reference, theme, timescale_extension, workstream,
    workstream_move,
};
use sea_orm::{Condition, DatabaseConnection};
use tokio::sync::OnceCell;

use crate::actions::{self, LinkDirection};
use crate::error::{AppError, AppResult};
use crate::{plans, rag};

type PerAction<T> = OnceCell<HashMap<i32, Vec<T>>>;
type HistoryPages = HashMap<i32, (Vec<rag_update::Model>, bool)>;
/// Linked action ids per action, and the batch holding every linked action.
type Links = OnceCell<(HashMap<i32, Vec<i32>>, Arc<ActionBatch>)>;
/// The entry in effect per action, by day asked for.
type EntriesOn = Mutex<HashMap<NaiveDate, Arc<OnceCell<HashMap<i32, rag_update::Model>>>>>;
/// History pages keyed by (offset, limit).
type HistoryCache = Mutex<HashMap<(u64, u64), Arc<OnceCell<HistoryPages>>>>;

pub struct ActionBatch {
    db: DatabaseConnection,
    /// The principal's scope: linked actions outside it are left out.
    visible: Condition,
    rows: Vec<action::Model>,
    ids: Vec<i32>,
    leads: PerAction<person::Model>,
    references: PerAction<source_reference::Model>,
    evidence: PerAction<evidence_source::Model>,
    descriptors: PerAction<action_descriptor::Model>,
    milestones: PerAction<milestone::Model>,
    extensions: PerAction<timescale_extension::Model>,
    moves: PerAction<workstream_move::Model>,
    removal_proposals: PerAction<removal_proposal::Model>,
    evidence_records: PerAction<evidence_record::Model>,
    themes: OnceCell<HashMap<i32, theme::Model>>,
    workstreams: OnceCell<HashMap<i32, workstream::Model>>,
    plans: OnceCell<HashMap<i32, plan::Model>>,
    links: [Links; 2],
    history: HistoryCache,
    history_counts: OnceCell<HashMap<i32, u64>>,
    entries_on: EntriesOn,
    status_since: OnceCell<HashMap<i32, NaiveDate>>,
}

fn index<T>(rows: Vec<T>, id: impl Fn(&T) -> i32) -> HashMap<i32, T> {
    rows.into_iter().map(|r| (id(&r), r)).collect()
}

fn distinct(ids: impl Iterator<Item = i32>) -> Vec<i32> {
    let mut v: Vec<i32> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

impl ActionBatch {
    pub fn new(db: DatabaseConnection, rows: Vec<action::Model>, visible: Condition) -> Arc<Self> {
        let ids = rows.iter().map(|a| a.id).collect();
        Arc::new(Self {
            db,
            visible,
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
            themes: OnceCell::new(),
            workstreams: OnceCell::new(),
            plans: OnceCell::new(),
            links: [OnceCell::new(), OnceCell::new()],
            history: Mutex::new(HashMap::new()),
            history_counts: OnceCell::new(),
            entries_on: Mutex::new(HashMap::new()),
            status_since: OnceCell::new(),
        })
    }

    pub fn rows(&self) -> &[action::Model] {
        &self.rows
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
        let map = cell.get_or_try_init(|| load(&self.db, &self.ids)).await?;
        Ok(map.get(&id).cloned().unwrap_or_default())
    }

    pub async fn leads(&self, id: i32) -> AppResult<Vec<person::Model>> {
        self.share(&self.leads, id, actions::leads_for).await
    }

    pub async fn references(&self, id: i32) -> AppResult<Vec<source_reference::Model>> {
        self.share(&self.references, id, actions::references_for)
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

    pub async fn theme(&self, theme_id: i32) -> AppResult<theme::Model> {
        let map = self
            .themes
            .get_or_try_init(|| async {
                let ids = distinct(self.rows.iter().map(|a| a.theme_id));
                Ok::<_, AppError>(index(
                    plans::query::themes_by_ids(&self.db, &ids).await?,
                    |t| t.id,
                ))
            })
            .await?;
        map.get(&theme_id)
            .cloned()
            .ok_or_else(|| AppError::Internal("BUG: action's theme missing".into()))
    }

    pub async fn workstream(&self, workstream_id: i32) -> AppResult<workstream::Model> {
        let map = self
            .workstreams
            .get_or_try_init(|| async {
                let ids = distinct(self.rows.iter().map(|a| a.workstream_id));
                Ok::<_, AppError>(index(
                    plans::query::workstreams_by_ids(&self.db, &ids).await?,
                    |w| w.id,
                ))
            })
            .await?;
        map.get(&workstream_id)
            .cloned()
            .ok_or_else(|| AppError::Internal("BUG: action's work stream missing".into()))
    }

    pub async fn plan(&self, plan_id: i32) -> AppResult<plan::Model> {
        let map = self
            .plans
            .get_or_try_init(|| async {
                let ids = distinct(self.rows.iter().map(|a| a.plan_id));
                Ok::<_, AppError>(index(plans::query::by_ids(&self.db, &ids).await?, |p| p.id))
            })
            .await?;
        map.get(&plan_id)
            .cloned()
            .ok_or_else(|| AppError::Internal("BUG: action's plan missing".into()))
    }

    /// Linked actions of `id`, as members of one batch holding every action linked from this
    /// batch, so their own relations batch too.
    pub async fn links(
        &self,
        id: i32,
        dir: LinkDirection,
    ) -> AppResult<(Vec<action::Model>, Arc<ActionBatch>)> {
        let cell = &self.links[match dir {
            LinkDirection::Outgoing => 0,
            LinkDirection::Incoming => 1,
        }];
        let (map, batch) = cell
            .get_or_try_init(|| async {
                let found =
                    actions::links_for(&self.db, &self.ids, dir, self.visible.clone()).await?;
                let mut all: HashMap<i32, action::Model> = HashMap::new();
                let mut by_action = HashMap::new();
                for (from, targets) in found {
                    by_action.insert(from, targets.iter().map(|a| a.id).collect::<Vec<_>>());
                    for t in targets {
                        all.insert(t.id, t);
                    }
                }
                let mut rows: Vec<action::Model> = all.into_values().collect();
                rows.sort_by_key(|a| (a.plan_id, a.position, a.id));
                Ok::<_, AppError>((
                    by_action,
                    ActionBatch::new(self.db.clone(), rows, self.visible.clone()),
                ))
            })
            .await?;
        let wanted = map.get(&id).cloned().unwrap_or_default();
        let rows = wanted
            .iter()
            .filter_map(|t| batch.rows.iter().find(|a| a.id == *t).cloned())
            .collect();
        Ok((rows, batch.clone()))
    }

    /// One page of `id`'s history; every action of the batch asking for the same bounds shares
    /// one statement.
    pub async fn history(
        &self,
        id: i32,
        offset: u64,
        limit: u64,
    ) -> AppResult<(Vec<rag_update::Model>, bool)> {
        let cell = {
            let mut pages = self
                .history
                .lock()
                .map_err(|_| AppError::Internal("BUG: history cache poisoned".into()))?;
            pages.entry((offset, limit)).or_default().clone()
        };
        let map = cell
            .get_or_try_init(|| rag::history_pages(&self.db, &self.ids, offset, limit))
            .await?;
        Ok(map.get(&id).cloned().unwrap_or_default())
    }

    /// The history entry in effect for `id` at the end of `day`; one statement per day asked
    /// for, whatever the batch size.
    pub async fn entry_on(&self, id: i32, day: NaiveDate) -> AppResult<Option<rag_update::Model>> {
        let cell = {
            let mut days = self
                .entries_on
                .lock()
                .map_err(|_| AppError::Internal("BUG: as-of cache poisoned".into()))?;
            days.entry(day).or_default().clone()
        };
        let map = cell
            .get_or_try_init(|| rag::as_of::entries_on(&self.db, &self.ids, day))
            .await?;
        Ok(map.get(&id).cloned())
    }

    /// Since when `id` has had its current status.
    pub async fn status_since(&self, id: i32) -> AppResult<Option<NaiveDate>> {
        let map = self
            .status_since
            .get_or_try_init(|| rag::as_of::current_status_since(&self.db, &self.ids))
            .await?;
        Ok(map.get(&id).copied())
    }

    pub async fn history_count(&self, id: i32) -> AppResult<u64> {
        let map = self
            .history_counts
            .get_or_try_init(|| rag::history_counts(&self.db, &self.ids))
            .await?;
        Ok(map.get(&id).copied().unwrap_or(0))
    }
}
