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
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    action, action_link, evidence_source, person, plan, rag_level, rag_update, removal_proposal,
    source_reference, theme, timescale_extension, workstream, workstream_move,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::format::{self, PlanFile};
use super::validate;
use crate::actions::{
    self, due_date, search_text, Children, DescriptorRow, LifecycleState, NewMilestone,
};
use crate::error::{AppError, AppResult};
use crate::rag::RagStatus;
use entity::TextList;

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
        return Err(AppError::bad_input(format!(
            "{file_name}: {} problem(s): {}",
            problems.len(),
            problems.join("; ")
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
    import_plan_file_by(db, bytes, file_name, None).await
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
    import_plan_file_by(w.db(), bytes, file_name, Some(who)).await
}

/// Imports as `who` (the audit event's actor), or as the command line when `None`.
pub async fn import_plan_file_by(
    db: &DatabaseConnection,
    bytes: &[u8],
    file_name: &str,
    who: Option<&crate::auth::Principal>,
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
    let now = Utc::now();
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

struct Catalogue {
    themes: HashMap<i32, i32>,
    workstreams: HashMap<String, i32>,
    people: HashMap<String, i32>,
    references: HashMap<String, i32>,
    evidence: HashMap<String, i32>,
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

    let cat = sync_catalogue(db, plan_id, file, &mut report).await?;
    sync_actions(db, plan_id, file, file_name, &cat, now, &mut report).await?;
    Ok(report)
}

/// Upserts the plan's catalogues by natural key. Entries the file no longer lists are kept:
/// actions and history may still point at them.
async fn sync_catalogue<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    file: &PlanFile,
    report: &mut ImportReport,
) -> AppResult<Catalogue> {
    let mut changed = false;

    let old: HashMap<RagStatus, rag_level::Model> = rag_level::Entity::find()
        .filter(rag_level::Column::PlanId.eq(plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.status, m))
        .collect();
    for (pos, level) in file.rag_scale.iter().enumerate() {
        let pos = pos as i32;
        match old.get(&level.status) {
            Some(m) if m.descriptor == level.descriptor && m.position == pos => {}
            Some(m) => {
                changed = true;
                let mut am: rag_level::ActiveModel = m.clone().into();
                am.descriptor = Set(level.descriptor.clone());
                am.position = Set(pos);
                am.update(db).await?;
            }
            None => {
                changed = true;
                rag_level::ActiveModel {
                    plan_id: Set(plan_id),
                    status: Set(level.status),
                    descriptor: Set(level.descriptor.clone()),
                    position: Set(pos),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }

    let mut themes = HashMap::new();
    let old: HashMap<i32, theme::Model> = theme::Entity::find()
        .filter(theme::Column::PlanId.eq(plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.number, m))
        .collect();
    for t in &file.themes {
        let id = match old.get(&t.number) {
            Some(m) if m.title == t.title => m.id,
            Some(m) => {
                changed = true;
                let mut am: theme::ActiveModel = m.clone().into();
                am.title = Set(t.title.clone());
                am.update(db).await?.id
            }
            None => {
                changed = true;
                theme::ActiveModel {
                    plan_id: Set(plan_id),
                    number: Set(t.number),
                    title: Set(t.title.clone()),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        themes.insert(t.number, id);
    }

    let mut workstreams = HashMap::new();
    let old: HashMap<String, workstream::Model> = workstream::Entity::find()
        .filter(workstream::Column::PlanId.eq(plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.name.clone(), m))
        .collect();
    for (pos, w) in file.workstreams.iter().enumerate() {
        let pos = pos as i32;
        let id = match old.get(&w.name) {
            Some(m) if m.position == pos => m.id,
            Some(m) => {
                changed = true;
                let mut am: workstream::ActiveModel = m.clone().into();
                am.position = Set(pos);
                am.update(db).await?.id
            }
            None => {
                changed = true;
                workstream::ActiveModel {
                    plan_id: Set(plan_id),
                    name: Set(w.name.clone()),
                    position: Set(pos),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        workstreams.insert(w.name.clone(), id);
    }

    let mut people = HashMap::new();
    let old: HashMap<String, person::Model> = person::Entity::find()
        .filter(person::Column::PlanId.eq(plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    for (pos, p) in file.people.iter().enumerate() {
        let pos = pos as i32;
        let aliases = text_list(&p.aliases);
        let id = match old.get(&p.code) {
            Some(m) if m.name == p.name && m.aliases == aliases && m.position == pos => m.id,
            Some(m) => {
                changed = true;
                let mut am: person::ActiveModel = m.clone().into();
                am.name = Set(p.name.clone());
                am.aliases = Set(aliases);
                am.position = Set(pos);
                am.update(db).await?.id
            }
            None => {
                changed = true;
                person::ActiveModel {
                    plan_id: Set(plan_id),
                    code: Set(p.code.clone()),
                    name: Set(p.name.clone()),
                    aliases: Set(aliases),
                    position: Set(pos),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        people.insert(p.code.clone(), id);
    }

    let mut references = HashMap::new();
    let old: HashMap<String, source_reference::Model> = source_reference::Entity::find()
        .filter(source_reference::Column::PlanId.eq(plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    for (pos, r) in file.references.iter().enumerate() {
        let pos = pos as i32;
        let kind = r.kind;
        let person_id = r.person.as_ref().and_then(|p| people.get(p).copied());
        let id = match old.get(&r.code) {
            Some(m)
                if m.title == r.title
                    && m.kind == kind
                    && m.person_id == person_id
                    && m.position == pos =>
            {
                m.id
            }
            Some(m) => {
                changed = true;
                let mut am: source_reference::ActiveModel = m.clone().into();
                am.title = Set(r.title.clone());
                am.kind = Set(kind);
                am.person_id = Set(person_id);
                am.position = Set(pos);
                am.update(db).await?.id
            }
            None => {
                changed = true;
                source_reference::ActiveModel {
                    plan_id: Set(plan_id),
                    code: Set(r.code.clone()),
                    title: Set(r.title.clone()),
                    kind: Set(kind),
                    person_id: Set(person_id),
                    position: Set(pos),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        references.insert(r.code.clone(), id);
    }

    let mut evidence = HashMap::new();
    let old: HashMap<String, evidence_source::Model> = evidence_source::Entity::find()
        .filter(evidence_source::Column::PlanId.eq(plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.name.clone(), m))
        .collect();
    for (pos, e) in file.evidence_sources.iter().enumerate() {
        let pos = pos as i32;
        let id = match old.get(&e.name) {
            Some(m) if m.category == e.category && m.position == pos => m.id,
            Some(m) => {
                changed = true;
                let mut am: evidence_source::ActiveModel = m.clone().into();
                am.category = Set(e.category);
                am.position = Set(pos);
                am.update(db).await?.id
            }
            None => {
                changed = true;
                evidence_source::ActiveModel {
                    plan_id: Set(plan_id),
                    name: Set(e.name.clone()),
                    category: Set(e.category),
                    position: Set(pos),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        evidence.insert(e.name.clone(), id);
    }

    if changed && !report.plan_created {
        report.plan_updated = true;
    }
    Ok(Catalogue {
        themes,
        workstreams,
        people,
        references,
        evidence,
    })
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

#[allow(clippy::too_many_arguments)]
async fn sync_actions<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    file: &PlanFile,
    file_name: &str,
    cat: &Catalogue,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> AppResult<()> {
    let source = format!("import {file_name} ({})", file.plan.version);
    let existing: HashMap<String, action::Model> = action::Entity::find()
        .filter(action::Column::PlanId.eq(plan_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();

    // First pass: rows; links need every action's id, so they come second.
    let mut ids: HashMap<String, i32> = existing.iter().map(|(c, m)| (c.clone(), m.id)).collect();
    let mut touched: Vec<(i32, &format::Action)> = Vec::new();
    for (pos, a) in file.actions.iter().enumerate() {
        let snapshot = serde_json::to_string(a)?;
        let old = existing.get(&a.code);
        if let Some(old) = old {
            if old.imported_json.as_deref() == Some(snapshot.as_str())
                && old.position == pos as i32 * POSITION_GAP
            {
                report.actions_unchanged += 1;
                continue;
            }
        }
        let theme_id = id_of(&cat.themes, &a.theme)?;
        let workstream_id = id_of(&cat.workstreams, a.workstream.as_str())?;
        let effective = a.rag.effective_date.unwrap_or(file.plan.as_of);
        let mut am = action::ActiveModel {
            plan_id: Set(plan_id),
            code: Set(a.code.clone()),
            theme_id: Set(theme_id),
            workstream_id: Set(workstream_id),
            position: Set(pos as i32 * POSITION_GAP),
            objective: Set(a.objective.clone()),
            objective_items: Set(text_list(&a.objective_items)),
            outcomes: Set(text_list(&a.outcomes)),
            by_when: Set(a.by_when.clone()),
            lead_text: Set(a.lead_text.clone()),
            due_date: Set(due_date(
                a.milestones.iter().map(|m| m.due),
                a.extensions.iter().map(|e| e.new_due),
            )),
            state: Set(a.state),
            removed_reason: Set(a.removed_reason.clone()),
            search_text: Set(search_text(&a.objective, &a.objective_items, &a.outcomes)),
            imported_json: Set(Some(snapshot)),
            updated_at: Set(now),
            ..Default::default()
        };
        let (action_id, previous_rag) = match old {
            None => {
                report.actions_created += 1;
                am.rag_status = Set(a.rag.status);
                am.rag_note = Set(a.rag.note.clone());
                am.rag_effective_date = Set(effective);
                am.rag_recorded_at = Set(now);
                am.version = Set(1);
                // `record_imported_rag` below appends the new action's first history row.
                am.history_count = Set(1);
                am.created_at = Set(now);
                (am.insert(db).await?.id, None)
            }
            Some(old) => {
                report.actions_updated += 1;
                am.id = Set(old.id);
                am.version = Set(old.version + 1);
                am.update(db).await?;
                (old.id, last_imported_rag(db, old.id).await?)
            }
        };
        ids.insert(a.code.clone(), action_id);
        let wanted_state = a.state;
        if old.map_or(LifecycleState::Active, |o| o.state) != wanted_state {
            // A new action's state holds from the plan's date; a change to an existing one
            // happens now, after whatever the API recorded since (history stays in order).
            let effective = match old {
                None => file.plan.as_of,
                Some(_) => Ord::max(crate::clock::england_date(now), file.plan.as_of),
            };
            crate::actions::record_state(
                db,
                action_id,
                wanted_state,
                effective,
                a.removed_reason.clone(),
                now,
                IMPORT_AUTHOR,
            )
            .await?;
        }

        // RAG: append only when the file says something new, so that re-importing an edited
        // file never reverts updates recorded through the API since.
        let file_rag = (a.rag.status, a.rag.note.clone(), effective);
        if previous_rag.as_ref() != Some(&file_rag) {
            record_imported_rag(db, action_id, a, effective, &source, now, old.is_none()).await?;
            report.rag_updates += 1;
        }
        replace_children(db, action_id, a, cat).await?;
        append_records(db, action_id, a, cat, now).await?;
        touched.push((action_id, a));
    }

    // Links: replace the outgoing links of every action written above.
    for (action_id, a) in &touched {
        action_link::Entity::delete_many()
            .filter(action_link::Column::FromActionId.eq(*action_id))
            .exec(db)
            .await?;
        let rows = a
            .links
            .iter()
            .map(|code| {
                Ok(action_link::ActiveModel {
                    from_action_id: Set(*action_id),
                    to_action_id: Set(id_of(&ids, code.as_str())?),
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        action_link::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }

    // Actions the file no longer lists leave the plan as removed, keeping their history.
    // Actions created through the API (never imported) are not the file's to remove.
    let listed: HashSet<&str> = file.actions.iter().map(|a| a.code.as_str()).collect();
    for (code, old) in &existing {
        if listed.contains(code.as_str())
            || old.state == LifecycleState::Removed
            || old.imported_json.is_none()
        {
            continue;
        }
        report.actions_removed += 1;
        let mut am: action::ActiveModel = old.clone().into();
        let reason = format!("not in the imported plan file {file_name}");
        crate::actions::record_state(
            db,
            old.id,
            LifecycleState::Removed,
            crate::clock::england_date(now),
            Some(reason.clone()),
            now,
            IMPORT_AUTHOR,
        )
        .await?;
        am.state = Set(LifecycleState::Removed);
        am.removed_reason = Set(Some(reason));
        am.version = Set(old.version + 1);
        am.updated_at = Set(now);
        am.update(db).await?;
    }
    Ok(())
}

/// The RAG the last import set for an action, to tell whether the file changed it.
async fn last_imported_rag<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
) -> AppResult<Option<(RagStatus, Option<String>, chrono::NaiveDate)>> {
    Ok(rag_update::Entity::find()
        .filter(rag_update::Column::ActionId.eq(action_id))
        .filter(rag_update::Column::Author.eq(IMPORT_AUTHOR))
        .order_by_desc(rag_update::Column::Id)
        .one(db)
        .await?
        .map(|r| (r.status, r.note, r.effective_date)))
}

async fn record_imported_rag<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    a: &format::Action,
    effective: chrono::NaiveDate,
    source: &str,
    now: DateTime<Utc>,
    created: bool,
) -> AppResult<()> {
    // A new action has no history yet, and its row was inserted with this RAG already.
    let previous = if created {
        None
    } else {
        rag_update::Entity::find()
            .filter(rag_update::Column::ActionId.eq(action_id))
            .order_by_desc(rag_update::Column::EffectiveDate)
            .order_by_desc(rag_update::Column::Id)
            .one(db)
            .await?
    };
    rag_update::ActiveModel {
        action_id: Set(action_id),
        status: Set(a.rag.status),
        previous_status: Set(previous.as_ref().map(|p| p.status)),
        note: Set(a.rag.note.clone()),
        effective_date: Set(effective),
        recorded_at: Set(now),
        author: Set(IMPORT_AUTHOR.to_string()),
        source: Set(source.to_string()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // The current status is the latest by effective date; a back-dated import row must not
    // overwrite a newer status recorded through the API.
    let is_latest = previous
        .as_ref()
        .is_none_or(|p| p.effective_date <= effective);
    if !created {
        let mut update = action::Entity::update_many()
            .col_expr(
                action::Column::HistoryCount,
                Expr::col(action::Column::HistoryCount).add(1),
            )
            .filter(action::Column::Id.eq(action_id));
        if is_latest {
            update = update
                .col_expr(action::Column::RagStatus, Expr::value(a.rag.status))
                .col_expr(action::Column::RagNote, Expr::value(a.rag.note.clone()))
                .col_expr(action::Column::RagEffectiveDate, Expr::value(effective))
                .col_expr(action::Column::RagRecordedAt, Expr::value(now));
        }
        update.exec(db).await?;
    }
    Ok(())
}

/// Leads, references, evidence, descriptors and milestones are part of the action's content:
/// replaced wholesale from the file.
async fn replace_children<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    a: &format::Action,
    cat: &Catalogue,
) -> AppResult<()> {
    let ids = |keys: &[String], of: &HashMap<String, i32>| -> AppResult<Vec<i32>> {
        keys.iter().map(|k| id_of(of, k.as_str())).collect()
    };
    let leads = ids(&a.leads, &cat.people)?;
    let references = ids(&a.references, &cat.references)?;
    let evidence = ids(&a.evidence, &cat.evidence)?;
    let descriptors: Vec<DescriptorRow> = a
        .ofsted
        .iter()
        .map(|d| DescriptorRow {
            code: d.code.clone(),
            area: d.area,
            raw: d.raw.clone(),
        })
        .collect();
    let milestones: Vec<NewMilestone> = a
        .milestones
        .iter()
        .map(|m| NewMilestone {
            label: m.label.clone(),
            due: m.due,
        })
        .collect();
    let children = Children {
        leads: Some(&leads),
        references: Some(&references),
        evidence: Some(&evidence),
        descriptors: Some(&descriptors),
        milestones: Some(&milestones),
    };
    actions::replace_children(db, action_id, children).await
}

/// Extensions, moves and removal proposals are events: appended when the file names one not yet
/// recorded (matched by its raw text), never edited or deleted.
async fn append_records<C: ConnectionTrait>(
    db: &C,
    action_id: i32,
    a: &format::Action,
    cat: &Catalogue,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let known: HashSet<Option<String>> = timescale_extension::Entity::find()
        .filter(timescale_extension::Column::ActionId.eq(action_id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.raw)
        .collect();
    let new = a
        .extensions
        .iter()
        .filter(|e| !known.contains(&Some(e.raw.clone())))
        .map(|e| timescale_extension::ActiveModel {
            action_id: Set(action_id),
            raw: Set(Some(e.raw.clone())),
            reason: Set(e.reason.clone()),
            agreed_on: Set(e.agreed_on),
            previous_due: Set(None),
            new_due: Set(e.new_due),
            recorded_at: Set(now),
            recorded_by: Set(IMPORT_AUTHOR.to_string()),
            ..Default::default()
        });
    timescale_extension::Entity::insert_many(new)
        .exec_without_returning(db)
        .await?;

    let known: HashSet<Option<String>> = workstream_move::Entity::find()
        .filter(workstream_move::Column::ActionId.eq(action_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.raw)
        .collect();
    let mut moves = Vec::new();
    for m in a
        .moves
        .iter()
        .filter(|m| !known.contains(&Some(m.raw.clone())))
    {
        moves.push(workstream_move::ActiveModel {
            action_id: Set(action_id),
            from_workstream_id: Set(Some(id_of(&cat.workstreams, m.from.as_str())?)),
            to_workstream_id: Set(id_of(&cat.workstreams, m.to.as_str())?),
            raw: Set(Some(m.raw.clone())),
            reason: Set(None),
            recorded_at: Set(now),
            recorded_by: Set(IMPORT_AUTHOR.to_string()),
            ..Default::default()
        });
    }
    workstream_move::Entity::insert_many(moves)
        .exec_without_returning(db)
        .await?;

    if let Some(p) = &a.removal_proposal {
        let exists = removal_proposal::Entity::find()
            .filter(removal_proposal::Column::ActionId.eq(action_id))
            .filter(removal_proposal::Column::Raw.eq(&p.raw))
            .one(db)
            .await?
            .is_some();
        if !exists {
            removal_proposal::ActiveModel {
                action_id: Set(action_id),
                raw: Set(p.raw.clone()),
                recorded_at: Set(now),
                recorded_by: Set(IMPORT_AUTHOR.to_string()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
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
