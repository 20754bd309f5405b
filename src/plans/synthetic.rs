//! A synthetic benchmark dataset: many authorities' plans, each a copy of the Herefordshire
//! plan under its own slug, with years of fortnightly RAG updates (a seeded random walk, so
//! every run builds the same data). At the default size it is the scale the server is designed
//! for: 150 plans, 18,750 actions, 900,000 history rows.
//!
//! Plans go in through the ordinary importer; the history is bulk-inserted (as a years-old
//! server would have accumulated it) and each action's current status set from its last entry.
use std::time::Instant;

use chrono::{Days, NaiveDate, Utc};
use entity::{action, rag_update};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::format::PlanFile;
use super::{import_plan_file, parse_plan_file, HEREFORDSHIRE_PLAN_JSON};
use crate::error::AppResult;
use crate::rag::RagStatus;

/// Who synthetic history is attributed to.
pub const AUTHOR: &str = "synthetic";
/// Rows per INSERT (within both engines' parameter limits).
const INSERT_CHUNK: usize = 1000;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Generated {
    pub plans_created: usize,
    pub plans_present: usize,
    pub actions: u64,
    pub history_rows: u64,
    pub seconds: f64,
}

/// A small, seeded PRNG (xorshift64*): the dataset must be the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The next fortnight's status: mostly unchanged, drifting toward completion.
fn step(rng: &mut Rng, from: RagStatus) -> RagStatus {
    use RagStatus::*;
    let roll = rng.below(100);
    match from {
        Blue => {
            if roll < 3 {
                Amber
            } else {
                Blue
            }
        }
        Grey => match roll {
            0..=69 => Grey,
            70..=94 => Amber,
            _ => Red,
        },
        Red => match roll {
            0..=59 => Red,
            60..=94 => Amber,
            _ => Green,
        },
        Amber => match roll {
            0..=69 => Amber,
            70..=79 => Red,
            80..=94 => Green,
            _ => Blue,
        },
        Green => match roll {
            0..=74 => Green,
            75..=84 => Amber,
            _ => Blue,
        },
    }
}

/// Adds `plans` synthetic plans (slugs `synthetic-001`..) with `updates` fortnightly RAG
/// updates per action. Plans already present are left as they are, so it can be rerun.
pub async fn generate(
    db: &DatabaseConnection,
    plans: usize,
    updates: usize,
    seed: u64,
) -> AppResult<Generated> {
    let started = Instant::now();
    let template: PlanFile = parse_plan_file(HEREFORDSHIRE_PLAN_JSON.as_bytes(), "template")?;
    let mut out = Generated {
        plans_created: 0,
        plans_present: 0,
        actions: 0,
        history_rows: 0,
        seconds: 0.0,
    };
    for n in 1..=plans {
        let slug = format!("synthetic-{n:03}");
        if super::query::by_slug(db, &slug).await?.is_some() {
            out.plans_present += 1;
            continue;
        }
        let mut file = template.clone();
        file.plan.slug = slug.clone();
        file.plan.authority = format!("Synthetic Authority {n:03}");
        file.plan.title = format!("{} (synthetic {n:03})", template.plan.title);
        let bytes = serde_json::to_vec(&file)?;
        import_plan_file(db, &bytes, &format!("{slug}.json")).await?;
        let plan = super::query::by_slug(db, &slug).await?.ok_or_else(|| {
            crate::error::AppError::Internal("BUG: generated plan missing".into())
        })?;
        add_history(db, plan.id, file.plan.as_of, updates, seed ^ n as u64).await?;
        out.plans_created += 1;
    }
    if out.plans_created > 0 {
        // Fresh planner statistics, so that the first queries after a bulk load use the indexes.
        db.execute_unprepared("ANALYZE").await?;
    }
    out.actions = action::Entity::find().count(db).await?;
    out.history_rows = rag_update::Entity::find().count(db).await?;
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}

async fn add_history(
    db: &DatabaseConnection,
    plan_id: i32,
    as_of: NaiveDate,
    updates: usize,
    seed: u64,
) -> AppResult<()> {
    let mut rng = Rng::new(seed);
    let txn = db.begin().await?;
    // In id order, so that one seed walks the same history on every engine.
    let actions = action::Entity::find()
        .filter(action::Column::PlanId.eq(plan_id))
        .order_by_asc(action::Column::Id)
        .all(&txn)
        .await?;
    let now = Utc::now();
    // The history may not run past today: the rules refuse future effective dates.
    let today = crate::clock::england_date(now);
    let mut rows = Vec::with_capacity(INSERT_CHUNK);
    let mut last: Vec<(action::Model, RagStatus, NaiveDate, Option<String>, i32)> = Vec::new();
    let spacing = spacing_days(as_of, today, updates);
    for a in actions {
        let mut status = a.rag_status;
        let mut day = a.rag_effective_date;
        let mut last_note = a.rag_note.clone();
        let mut appended = 0;
        for k in 1..=updates {
            let Some(next_day) = as_of.checked_add_days(Days::new(spacing * k as u64)) else {
                break;
            };
            if next_day > today {
                break;
            }
            let next = step(&mut rng, status);
            let note = match (status, next) {
                (_, RagStatus::Red) => Some("Milestone missed; recovery plan agreed".to_string()),
                (RagStatus::Blue, n) if n != RagStatus::Blue => {
                    Some("Reopened after audit".to_string())
                }
                _ if rng.below(4) == 0 => Some(format!("Fortnightly review {next_day}")),
                _ => None,
            };
            last_note = note.clone();
            rows.push(rag_update::ActiveModel {
                action_id: Set(a.id),
                status: Set(next),
                previous_status: Set(Some(status)),
                note: Set(note),
                effective_date: Set(next_day),
                recorded_at: Set(now),
                author: Set(AUTHOR.to_string()),
                source: Set(AUTHOR.to_string()),
                ..Default::default()
            });
            if rows.len() == INSERT_CHUNK {
                rag_update::Entity::insert_many(std::mem::take(&mut rows))
                    .exec_without_returning(&txn)
                    .await?;
            }
            status = next;
            day = next_day;
            appended += 1;
        }
        last.push((a, status, day, last_note, appended));
    }
    if !rows.is_empty() {
        rag_update::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    for (a, status, day, note, appended) in last {
        let version = a.version;
        let count = a.history_count + appended;
        let mut am: action::ActiveModel = a.into();
        am.history_count = Set(count);
        am.rag_status = Set(status);
        am.rag_note = Set(note);
        am.rag_effective_date = Set(day);
        am.version = Set(version + 1);
        am.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Days between synthetic updates: a fortnight, as boards meet, unless that many fortnights
/// would run past today (which the RAG rules forbid); then as often as fits, at least daily.
fn spacing_days(as_of: NaiveDate, today: NaiveDate, updates: usize) -> u64 {
    let available = (today - as_of).num_days().max(0) as u64;
    let wanted = updates.max(1) as u64;
    if 14 * wanted <= available {
        14
    } else {
        (available / wanted).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_is_seeded_and_reaches_every_status() {
        let walk = |seed| {
            let mut rng = Rng::new(seed);
            let mut s = RagStatus::Amber;
            (0..500)
                .map(|_| {
                    s = step(&mut rng, s);
                    s
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(walk(7), walk(7));
        assert_ne!(walk(7), walk(8));
        let seen = walk(7);
        for s in [
            RagStatus::Red,
            RagStatus::Amber,
            RagStatus::Green,
            RagStatus::Blue,
        ] {
            assert!(seen.contains(&s), "{s:?}");
        }
    }
}
