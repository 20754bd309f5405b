//! `plan-api import FILE`: loads a plan file into the database, idempotently.
//!
//! The whole import is one transaction: a file that fails to parse or validate is rejected
//! before the database is touched, and a failure half-way rolls everything back.
//!
//! Matching is by natural key (plan slug, theme number, work-stream name, person and reference
//! code, action code), so a changed file updates rows in place and their ids, history and links
//! survive. Each action keeps the canonical JSON it was last imported from: an action whose JSON
//! is unchanged is skipped entirely, so re-importing a file changes nothing even after the API
//! has edited actions since. RAG history is only ever appended to. An action that disappears
//! from a re-imported file is marked removed (with the reason), not deleted.
//!
//! Here: the entry points, the transaction, the plan row and the report. The rows below the plan
//! are written by `catalogue_sync`, `actions_sync` and `children`.
mod actions_sync;
mod catalogue_sync;
mod children;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{action, plan, TextList};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::format::{self, PlanFile};
use super::validate;
use crate::error::{AppError, AppResult};

/// Spacing of imported actions' positions: actions created through the API slot in between
/// without renumbering (and so without "changing") the imported ones.
pub const POSITION_GAP: i32 = 1024;

/// Who the import's history rows are attributed to.
pub const IMPORT_AUTHOR: &str = "plan import";

/// What an import did, for the CLI and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub plan: String,
    pub plan_created: bool,
    pub plan_updated: bool,
    pub actions_created: usize,
    pub actions_updated: usize,
    pub actions_unchanged: usize,
    pub actions_removed: usize,
    pub rag_updates: usize,
}

impl ImportReport {
    /// True when the import wrote nothing.
    pub fn is_noop(&self) -> bool {
        !self.plan_created
            && !self.plan_updated
            && self.actions_created == 0
            && self.actions_updated == 0
            && self.actions_removed == 0
            && self.rag_updates == 0
    }
}

/// Parses plan-file bytes; errors name the line, column and JSON path of the problem.
pub fn parse_plan_file(bytes: &[u8], file_name: &str) -> AppResult<PlanFile> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: PlanFile = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        AppError::bad_input(format!(
            "{file_name}: line {}, column {}: at `{path}`: {inner}",
            inner.line(),
            inner.column()
        ))
    })?;
    de.end()
        .map_err(|e| AppError::bad_input(format!("{file_name}: {e}")))?;
    let problems = validate::problems(&parsed);
    if !problems.is_empty() {
        // The first few: a file with thousands of problems gets a message of a readable size.
        const SHOWN: usize = 20;
        let more = problems.len().saturating_sub(SHOWN);
        let mut listed = problems[..problems.len().min(SHOWN)].join("; ");
        if more > 0 {
            listed.push_str(&format!("; and {more} more"));
        }
        return Err(AppError::bad_input(format!(
            "{file_name}: {} problem(s): {listed}",
            problems.len(),
        )));
    }
    Ok(parsed)
}

/// Parses, validates and imports a plan file in one transaction.
pub async fn import_plan_file(
    db: &DatabaseConnection,
    bytes: &[u8],
    file_name: &str,
) -> AppResult<ImportReport> {
    // Outside a server (the CLI, first-start seeding), the system clock.
    let now = crate::clock::Clock::system().now();
    import_plan_file_by(db, bytes, file_name, None, now).await
}

/// `importPlan` through the API: admins only, queued with the API's other writers, and
/// audited under the caller's name.
pub async fn import_through_api(
    w: &crate::audit::Writer,
    who: &crate::auth::Principal,
    bytes: &[u8],
    file_name: &str,
) -> AppResult<ImportReport> {
    who.require(crate::auth::Operation::ImportPlan)?;
    let file = parse_plan_file(bytes, file_name)?;
    if !who.sees_plan(&file.plan.slug) {
        return Err(AppError::Forbidden(format!(
            "this token does not reach plan {:?}",
            file.plan.slug
        )));
    }
    let _queued = w.queue().await;
    import_plan_file_by(w.db(), bytes, file_name, Some(who), w.clock().now()).await
}

/// Imports as `who` (the audit event's actor), or as the command line when `None`, with
/// every row stamped `now` (the server's clock for `importPlan`).
pub async fn import_plan_file_by(
    db: &DatabaseConnection,
    bytes: &[u8],
    file_name: &str,
    who: Option<&crate::auth::Principal>,
    now: DateTime<Utc>,
) -> AppResult<ImportReport> {
    let file = parse_plan_file(bytes, file_name)?;
    let txn = db.begin().await?;
    // On PostgreSQL, lock the plan and its actions (in id order, as every writer does) so that
    // API changes to them wait for the import instead of interleaving with it.
    if let Some(p) = plan::Entity::find()
        .filter(plan::Column::Slug.eq(&file.plan.slug))
        .lock_exclusive()
        .one(&txn)
        .await?
    {
        action::Entity::find()
            .select_only()
            .column(action::Column::Id)
            .filter(action::Column::PlanId.eq(p.id))
            .order_by_asc(action::Column::Id)
            .lock_exclusive()
            .into_tuple::<i32>()
            .all(&txn)
            .await?;
    }
    let report = apply(&txn, &file, file_name, now).await?;
    if !report.is_noop() {
        // Imports change plans too; the audit trail says when and from which file.
        let plan_id = plan::Entity::find()
            .filter(plan::Column::Slug.eq(&report.plan))
            .one(&txn)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| AppError::Internal("BUG: imported plan missing".into()))?;
        // Servers cache each plan's catalogue by this version (see `plans::catalogue`); the
        // bump commits with the import, so every replica reloads on its next read.
        plan::Entity::update_many()
            .col_expr(
                plan::Column::CatalogueVersion,
                Expr::col(plan::Column::CatalogueVersion).add(1),
            )
            .filter(plan::Column::Id.eq(plan_id))
            .exec(&txn)
            .await?;
        crate::audit::append(
            &txn,
            crate::audit::Event {
                at: now,
                actor_sub: who.map_or(IMPORT_AUTHOR, |w| w.sub.as_str()),
                actor_role: who.map_or("admin", |w| w.role.as_str()),
                actor_name: who.and_then(|w| w.name.as_deref()),
                operation: crate::auth::Operation::ImportPlan.name(),
                subject: crate::audit::Subject {
                    kind: "Plan",
                    id: plan_id,
                    plan_id: Some(plan_id),
                },
                before: None,
                after: Some(serde_json::json!({ "file": file_name, "report": &report })),
                idempotency_key: None,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(report)
}

fn json_list<T: serde::Serialize>(items: &T) -> AppResult<String> {
    Ok(serde_json::to_string(items)?)
}

fn text_list(items: &[String]) -> TextList {
    TextList(items.to_vec())
}

async fn apply<C: ConnectionTrait>(
    db: &C,
    file: &PlanFile,
    file_name: &str,
    now: DateTime<Utc>,
) -> AppResult<ImportReport> {
    let mut report = ImportReport {
        plan: file.plan.slug.clone(),
        ..Default::default()
    };
    let meta = &file.plan;
    let categories: Vec<_> = meta
        .evidence_categories
        .iter()
        .map(|c| serde_json::json!({"number": c.number, "title": c.title}))
        .collect();
    let wanted = plan::Model {
        id: 0,
        slug: meta.slug.clone(),
        title: meta.title.clone(),
        version: meta.version.clone(),
        authority: meta.authority.clone(),
        as_of: meta.as_of,
        context: text_list(&meta.context),
        levels_of_need: text_list(&meta.levels_of_need),
        priority_aims: text_list(&meta.priority_aims),
        outcome_measures: text_list(&meta.outcome_measures),
        evidence_categories: json_list(&categories)?,
        created_at: now,
        updated_at: now,
        catalogue_version: 1,
    };
    let existing = plan::Entity::find()
        .filter(plan::Column::Slug.eq(&meta.slug))
        .one(db)
        .await?;
    let plan_id = match existing {
        None => {
            report.plan_created = true;
            let mut am: plan::ActiveModel = wanted.into();
            am.id = sea_orm::NotSet;
            am.insert(db).await?.id
        }
        Some(old) => {
            let same = plan::Model {
                id: old.id,
                created_at: old.created_at,
                updated_at: old.updated_at,
                catalogue_version: old.catalogue_version,
                ..wanted.clone()
            } == old;
            if !same {
                report.plan_updated = true;
                let mut am: plan::ActiveModel = old.clone().into();
                am.title = Set(wanted.title);
                am.version = Set(wanted.version);
                am.authority = Set(wanted.authority);
                am.as_of = Set(wanted.as_of);
                am.context = Set(wanted.context);
                am.levels_of_need = Set(wanted.levels_of_need);
                am.priority_aims = Set(wanted.priority_aims);
                am.outcome_measures = Set(wanted.outcome_measures);
                am.evidence_categories = Set(wanted.evidence_categories);
                am.updated_at = Set(now);
                am.update(db).await?;
            }
            old.id
        }
    };

    let cat = catalogue_sync::sync_catalogue(db, plan_id, file, &mut report).await?;
    actions_sync::sync_actions(db, plan_id, file, file_name, &cat, now, &mut report).await?;
    Ok(report)
}

/// Looks up a validated key; validation guarantees presence, so a miss is a bug.
fn id_of<K, Q>(map: &HashMap<K, i32>, key: &Q) -> AppResult<i32>
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + std::fmt::Debug + ?Sized,
{
    map.get(key).copied().ok_or_else(|| {
        AppError::Internal(format!("BUG: validated key {key:?} missing from catalogue").into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Arbitrary bytes never panic the parser; they are refused with a clear error.
        #[test]
        fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_plan_file(&bytes, "fuzz.json");
        }

        // Nor does any truncation or single-byte corruption of the real plan file.
        #[test]
        fn corrupting_the_shipped_plan_never_panics(cut in 0usize..super::super::HEREFORDSHIRE_PLAN_JSON.len(), byte in any::<u8>()) {
            let mut bytes = super::super::HEREFORDSHIRE_PLAN_JSON.as_bytes().to_vec();
            bytes[cut] = byte;
            let _ = parse_plan_file(&bytes, "fuzz.json");
            let _ = parse_plan_file(&bytes[..cut], "fuzz.json");
        }
    }

    #[test]
    fn the_shipped_plan_parses_and_validates() {
        let plan = parse_plan_file(super::super::HEREFORDSHIRE_PLAN_JSON.as_bytes(), "shipped")
            .map_err(|e| e.detail());
        assert!(plan.is_ok(), "{plan:?}");
    }
}
