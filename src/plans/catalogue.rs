//! Each plan's catalogue in memory: the plan's own fields, its RAG scale, themes, work streams,
//! people and references. They change only on import, yet almost every request needs them (a
//! plan by slug, filter names to ids, an action's theme), so reading them from the database on
//! every request was most of a request's fixed cost.
//!
//! Freshness: every import bumps `plan.catalogue_version` in its own transaction. A request
//! reads that one integer (with the plan's id, by slug or id: the lookup it needed anyway) and
//! uses the cached catalogue only when the versions agree, so an import through any replica,
//! or the CLI, is seen on the next read everywhere. RAG data is never cached.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use entity::{person, plan, rag_level, source_reference, theme, workstream};
use sea_orm::{
    AccessMode, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, IsolationLevel,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Deserialize;

use crate::error::{AppError, AppResult};

/// Most catalogues kept; beyond it the cache starts over (a server of ~150 plans never gets
/// there; a bound keeps a server with thousands of plans from growing without limit).
const MAX_CACHED: usize = 2048;

/// A numbered category of evidence for performance indicators.
#[derive(Debug, Clone, Deserialize)]
pub struct EvidenceCategory {
    pub number: i32,
    pub title: String,
}

/// A person and the other spellings of their code found in the source.
#[derive(Debug, Clone)]
pub struct Person {
    pub row: person::Model,
}

impl Person {
    pub fn from_row(row: person::Model) -> Self {
        Self { row }
    }

    /// The other spellings of the person's code (`J.Rez`, `J. Rez`).
    pub fn aliases(&self) -> &[String] {
        &self.row.aliases
    }

    /// Whether `code` names this person: the canonical code or one of its spellings.
    pub fn answers_to(&self, code: &str) -> bool {
        let code = code.trim();
        self.row.code == code || self.row.aliases.iter().any(|a| a == code)
    }
}

/// One plan's catalogue as of one `catalogue_version`, with its evidence categories parsed
/// once.
#[derive(Debug)]
pub struct Catalogue {
    pub plan: plan::Model,
    pub evidence_categories: Vec<EvidenceCategory>,
    /// In the plan's order.
    pub rag_scale: Vec<rag_level::Model>,
    /// By number.
    pub themes: Vec<theme::Model>,
    /// In the plan's order.
    pub workstreams: Vec<workstream::Model>,
    /// In the plan's order.
    pub people: Vec<Person>,
    /// In the plan's order.
    pub references: Vec<source_reference::Model>,
    themes_by_id: HashMap<i32, usize>,
    workstreams_by_id: HashMap<i32, usize>,
    people_by_id: HashMap<i32, usize>,
    references_by_id: HashMap<i32, usize>,
}

fn positions<T>(rows: &[T], id: impl Fn(&T) -> i32) -> HashMap<i32, usize> {
    rows.iter().enumerate().map(|(i, r)| (id(r), i)).collect()
}

fn list<T: serde::de::DeserializeOwned>(what: &str, raw: &str) -> AppResult<T> {
    serde_json::from_str(raw)
        .map_err(|e| AppError::Internal(format!("stored {what} is not a JSON list: {e}").into()))
}

impl Catalogue {
    pub fn id(&self) -> i32 {
        self.plan.id
    }

    pub fn version(&self) -> i32 {
        self.plan.catalogue_version
    }

    /// Where theme `id` is in `themes`.
    pub fn theme_pos(&self, id: i32) -> Option<usize> {
        self.themes_by_id.get(&id).copied()
    }

    /// Where work stream `id` is in `workstreams`.
    pub fn workstream_pos(&self, id: i32) -> Option<usize> {
        self.workstreams_by_id.get(&id).copied()
    }

    /// Where person `id` is in `people`.
    pub fn person_pos(&self, id: i32) -> Option<usize> {
        self.people_by_id.get(&id).copied()
    }

    /// Where reference `id` is in `references`.
    pub fn reference_pos(&self, id: i32) -> Option<usize> {
        self.references_by_id.get(&id).copied()
    }

    fn build(
        plan: plan::Model,
        rag_scale: Vec<rag_level::Model>,
        themes: Vec<theme::Model>,
        workstreams: Vec<workstream::Model>,
        people: Vec<person::Model>,
        references: Vec<source_reference::Model>,
    ) -> AppResult<Self> {
        let people: Vec<Person> = people.into_iter().map(Person::from_row).collect();
        Ok(Self {
            evidence_categories: list("evidence categories", &plan.evidence_categories)?,
            themes_by_id: positions(&themes, |t| t.id),
            workstreams_by_id: positions(&workstreams, |w| w.id),
            people_by_id: positions(&people, |p| p.row.id),
            references_by_id: positions(&references, |r| r.id),
            plan,
            rag_scale,
            themes,
            workstreams,
            people,
            references,
        })
    }
}

/// Rows of one catalogue table for several plans, grouped by plan, in the order given.
fn by_plan<T>(rows: Vec<T>, plan_id: impl Fn(&T) -> i32) -> HashMap<i32, Vec<T>> {
    let mut out: HashMap<i32, Vec<T>> = HashMap::new();
    for r in rows {
        out.entry(plan_id(&r)).or_default().push(r);
    }
    out
}

/// Reads the catalogues of several plans (six statements however many) from one snapshot, so
/// that an import committing meanwhile cannot leave one half old and half new.
async fn load(db: &DatabaseConnection, plan_ids: &[i32]) -> AppResult<Vec<Catalogue>> {
    let txn = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        // A SQLite read transaction reads one snapshot of the WAL already.
        _ => db.begin().await?,
    };
    let ids = || plan_ids.iter().copied();
    let plans = plan::Entity::find()
        .filter(plan::Column::Id.is_in(ids()))
        .all(&txn)
        .await?;
    let mut scales = by_plan(
        rag_level::Entity::find()
            .filter(rag_level::Column::PlanId.is_in(ids()))
            .order_by_asc(rag_level::Column::Position)
            .all(&txn)
            .await?,
        |r| r.plan_id,
    );
    let mut themes = by_plan(
        theme::Entity::find()
            .filter(theme::Column::PlanId.is_in(ids()))
            .order_by_asc(theme::Column::Number)
            .all(&txn)
            .await?,
        |r| r.plan_id,
    );
    let mut workstreams = by_plan(
        workstream::Entity::find()
            .filter(workstream::Column::PlanId.is_in(ids()))
            .order_by_asc(workstream::Column::Position)
            .all(&txn)
            .await?,
        |r| r.plan_id,
    );
    let mut people = by_plan(
        person::Entity::find()
            .filter(person::Column::PlanId.is_in(ids()))
            .order_by_asc(person::Column::Position)
            .all(&txn)
            .await?,
        |r| r.plan_id,
    );
    let mut references = by_plan(
        source_reference::Entity::find()
            .filter(source_reference::Column::PlanId.is_in(ids()))
            .order_by_asc(source_reference::Column::Position)
            .all(&txn)
            .await?,
        |r| r.plan_id,
    );
    txn.commit().await?;
    plans
        .into_iter()
        .map(|p| {
            let id = p.id;
            Catalogue::build(
                p,
                scales.remove(&id).unwrap_or_default(),
                themes.remove(&id).unwrap_or_default(),
                workstreams.remove(&id).unwrap_or_default(),
                people.remove(&id).unwrap_or_default(),
                references.remove(&id).unwrap_or_default(),
            )
        })
        .collect()
}

/// The server's catalogues, by plan id, and plans' ids by slug (a slug names one plan for
/// good: plans are created by import and never deleted or renamed). Cheap to clone; one per
/// server.
#[derive(Clone, Default)]
pub struct CatalogueCache {
    plans: Arc<RwLock<Cached>>,
}

#[derive(Default)]
struct Cached {
    by_id: HashMap<i32, Arc<Catalogue>>,
    by_slug: HashMap<String, i32>,
}

fn poisoned() -> AppError {
    AppError::Internal("BUG: catalogue cache poisoned".into())
}

impl CatalogueCache {
    fn cached(&self, plan_id: i32, version: i32) -> AppResult<Option<Arc<Catalogue>>> {
        Ok(self
            .plans
            .read()
            .map_err(|_| poisoned())?
            .by_id
            .get(&plan_id)
            .filter(|c| c.version() == version)
            .cloned())
    }

    /// The last catalogue the server saw of the plan with this slug, not checked against the
    /// database.
    fn last_seen(&self, slug: &str) -> AppResult<Option<Arc<Catalogue>>> {
        let cached = self.plans.read().map_err(|_| poisoned())?;
        Ok(cached
            .by_slug
            .get(slug)
            .and_then(|id| cached.by_id.get(id))
            .cloned())
    }

    /// The catalogues of plans (id, version), from memory or loaded now (missing plans are
    /// left out). A loaded catalogue is at least as new as the version asked for, since it was
    /// read after it; when an import committed in between, the newer one is the right answer.
    async fn at(
        &self,
        db: &DatabaseConnection,
        wanted: &[(i32, i32)],
    ) -> AppResult<HashMap<i32, Arc<Catalogue>>> {
        let mut out = HashMap::with_capacity(wanted.len());
        let mut missing = Vec::new();
        for &(id, version) in wanted {
            match self.cached(id, version)? {
                Some(c) => {
                    out.insert(id, c);
                }
                None => missing.push(id),
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let loaded = load(db, &missing).await?;
        let mut cached = self.plans.write().map_err(|_| poisoned())?;
        if cached.by_id.len() + loaded.len() > MAX_CACHED {
            cached.by_id.clear();
            cached.by_slug.clear();
        }
        for c in loaded {
            let c = Arc::new(c);
            // Of two concurrent loads, the newer stays.
            if cached
                .by_id
                .get(&c.id())
                .is_none_or(|old| old.version() < c.version())
            {
                cached.by_slug.insert(c.plan.slug.clone(), c.id());
                cached.by_id.insert(c.id(), c.clone());
            }
            out.insert(c.id(), c);
        }
        Ok(out)
    }
}

/// The catalogues one request has confirmed: each plan's version is read at most once per
/// request (often as a column of the request's first statement rather than a statement of its
/// own, see `read_checked`), and every resolver of the request sees the same catalogue.
#[derive(Clone)]
pub struct Catalogues {
    db: DatabaseConnection,
    cache: CatalogueCache,
    confirmed: Arc<Mutex<Vec<Arc<Catalogue>>>>,
}

/// Most times a read is repeated because imports keep changing the catalogue under it.
const MAX_RETRIES: usize = 3;

impl Catalogues {
    pub fn new(db: DatabaseConnection, cache: CatalogueCache) -> Self {
        Self {
            db,
            cache,
            confirmed: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn find(&self, pick: impl Fn(&Catalogue) -> bool) -> AppResult<Option<Arc<Catalogue>>> {
        Ok(self
            .confirmed
            .lock()
            .map_err(|_| AppError::Internal("BUG: request catalogues poisoned".into()))?
            .iter()
            .find(|c| pick(c))
            .cloned())
    }

    /// Records `c` as what this request reads of its plan; a newer version replaces an older.
    fn remember(&self, c: Arc<Catalogue>) -> AppResult<Arc<Catalogue>> {
        let mut confirmed = self
            .confirmed
            .lock()
            .map_err(|_| AppError::Internal("BUG: request catalogues poisoned".into()))?;
        match confirmed.iter_mut().find(|s| s.id() == c.id()) {
            Some(old) if old.version() >= c.version() => Ok(old.clone()),
            Some(old) => {
                *old = c.clone();
                Ok(c)
            }
            None => {
                confirmed.push(c.clone());
                Ok(c)
            }
        }
    }

    /// The plan with this slug, as this request has confirmed it or, failing that, as the
    /// server last saw it (unconfirmed: `current` or `read_checked` confirm it). Reads the
    /// database only for a plan the server has not seen.
    pub async fn by_slug_unconfirmed(&self, slug: &str) -> AppResult<Option<Arc<Catalogue>>> {
        if let Some(c) = self.find(|c| c.plan.slug == slug)? {
            return Ok(Some(c));
        }
        match self.cache.last_seen(slug)? {
            Some(c) => Ok(Some(c)),
            None => self.by_slug(slug).await,
        }
    }

    /// The plan's catalogue, confirmed for this request (one statement unless it already is).
    pub async fn current(&self, c: &Arc<Catalogue>) -> AppResult<Arc<Catalogue>> {
        self.of(c.id()).await
    }

    /// Runs `read`, a statement that returns the plan's catalogue version among its results
    /// (`None` when it returned no row), with the catalogue it is given: the last one seen,
    /// then, if an import has changed it since, the current one, until the two agree. Names a
    /// client sent that the last seen catalogue does not know are looked up in the current
    /// one before they are refused. The catalogue the answer was read with is confirmed.
    pub async fn read_checked<T, F, Fut>(
        &self,
        last_seen: &Arc<Catalogue>,
        mut read: F,
    ) -> AppResult<(Arc<Catalogue>, T)>
    where
        F: FnMut(Arc<Catalogue>) -> Fut,
        Fut: std::future::Future<Output = AppResult<(T, Option<i32>)>>,
    {
        let id = last_seen.id();
        let confirmed = self.find(|c| c.id() == id)?;
        let mut sure = confirmed.is_some();
        let mut cat = confirmed.unwrap_or_else(|| last_seen.clone());
        for _ in 0..MAX_RETRIES {
            let (out, version) = match read(cat.clone()).await {
                Ok(found) => found,
                // A refusal (an unknown name, say) stands only against the current catalogue.
                Err(e) if !sure => {
                    let current = self.of(id).await?;
                    sure = true;
                    if current.version() == cat.version() {
                        return Err(e);
                    }
                    cat = current;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let version = match version {
                Some(v) => v,
                None => self.version_of(id).await?,
            };
            if version == cat.version() {
                return Ok((self.remember(cat)?, out));
            }
            cat = self.at(id, version).await?;
            sure = true;
        }
        Err(AppError::Internal(
            format!("plan {id}'s catalogue kept changing during the request").into(),
        ))
    }

    async fn version_of(&self, id: i32) -> AppResult<i32> {
        plan::Entity::find_by_id(id)
            .select_only()
            .column(plan::Column::CatalogueVersion)
            .into_tuple()
            .one(&self.db)
            .await?
            .ok_or_else(|| AppError::Internal(format!("BUG: plan {id} missing").into()))
    }

    /// Plan `id`'s catalogue at `version` (a version the caller has just read).
    async fn at(&self, id: i32, version: i32) -> AppResult<Arc<Catalogue>> {
        let mut found = self.cache.at(&self.db, &[(id, version)]).await?;
        let c = found
            .remove(&id)
            .ok_or_else(|| AppError::Internal(format!("BUG: plan {id} missing").into()))?;
        self.remember(c)
    }

    /// The catalogue of the plan with this slug, confirmed; `None` when there is no such plan.
    pub async fn by_slug(&self, slug: &str) -> AppResult<Option<Arc<Catalogue>>> {
        if let Some(c) = self.find(|c| c.plan.slug == slug)? {
            return Ok(Some(c));
        }
        let found: Option<(i32, i32)> = plan::Entity::find()
            .select_only()
            .column(plan::Column::Id)
            .column(plan::Column::CatalogueVersion)
            .filter(plan::Column::Slug.eq(slug))
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(self.checked(found.as_slice()).await?.pop())
    }

    /// Like `by_slug`, but reads the version again even if this request has already: for a
    /// request that has just changed the catalogue (an import).
    pub async fn by_slug_again(&self, slug: &str) -> AppResult<Option<Arc<Catalogue>>> {
        self.confirmed
            .lock()
            .map_err(|_| AppError::Internal("BUG: request catalogues poisoned".into()))?
            .retain(|c| c.plan.slug != slug);
        self.by_slug(slug).await
    }

    /// The catalogue of plan `id`, confirmed; `None` when there is no such plan.
    pub async fn by_id(&self, id: i32) -> AppResult<Option<Arc<Catalogue>>> {
        if let Some(c) = self.find(|c| c.id() == id)? {
            return Ok(Some(c));
        }
        let found: Option<(i32, i32)> = plan::Entity::find_by_id(id)
            .select_only()
            .column(plan::Column::Id)
            .column(plan::Column::CatalogueVersion)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(self.checked(found.as_slice()).await?.pop())
    }

    /// Like `by_id` for a plan that must exist (an action's or a catalogue row's plan).
    pub async fn of(&self, id: i32) -> AppResult<Arc<Catalogue>> {
        self.by_id(id)
            .await?
            .ok_or_else(|| AppError::Internal(format!("BUG: plan {id} missing").into()))
    }

    /// The catalogues of plans whose (id, version) the caller has just read, in that order:
    /// a page of plans costs no statement per plan.
    pub async fn checked(&self, plans: &[(i32, i32)]) -> AppResult<Vec<Arc<Catalogue>>> {
        let mut found = self.cache.at(&self.db, plans).await?;
        plans
            .iter()
            .filter_map(|(id, _)| found.remove(id))
            .map(|c| self.remember(c))
            .collect()
    }
}
