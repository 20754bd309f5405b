//! The plan's actions: written when their file entry changed, RAG history appended when the
//! file says something new, and actions the file no longer lists marked removed.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{action, action_link, rag_update};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::catalogue_sync::Catalogue;
use super::children::{append_records, replace_children};
use super::format::{self, PlanFile};
use super::{id_of, text_list, ImportReport, IMPORT_AUTHOR, POSITION_GAP};
use crate::actions::{due_date, search_text, LifecycleState};
use crate::error::AppResult;
use crate::rag::RagStatus;

#[allow(clippy::too_many_arguments)]
pub(super) async fn sync_actions<C: ConnectionTrait>(
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
