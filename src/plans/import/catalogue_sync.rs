//! The plan's catalogues (RAG scale, themes, work streams, people, references, evidence
//! sources), kept in step with the file by natural key.
use std::collections::HashMap;
use std::hash::Hash;

use entity::{evidence_source, person, rag_level, source_reference, theme, workstream};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, Iterable, QueryFilter, Select, Set,
};

use super::format::PlanFile;
use super::{text_list, ImportReport};
use crate::error::AppResult;

/// Ids of the catalogue entries by the keys the file names them by.
pub(super) struct Catalogue {
    pub(super) themes: HashMap<i32, i32>,
    pub(super) workstreams: HashMap<String, i32>,
    pub(super) people: HashMap<String, i32>,
    pub(super) references: HashMap<String, i32>,
    pub(super) evidence: HashMap<String, i32>,
}

/// Upserts the plan's catalogues by natural key. Entries the file no longer lists are kept:
/// actions and history may still point at them.
pub(super) async fn sync_catalogue<C: ConnectionTrait>(
    db: &C,
    plan_id: i32,
    file: &PlanFile,
    report: &mut ImportReport,
) -> AppResult<Catalogue> {
    let mut changed = false;

    sync_rows(
        db,
        &mut changed,
        rag_level::Entity::find().filter(rag_level::Column::PlanId.eq(plan_id)),
        |m| (m.status, m.id),
        file.rag_scale
            .iter()
            .zip(0..)
            .map(|(l, pos)| {
                let row = rag_level::ActiveModel {
                    plan_id: Set(plan_id),
                    status: Set(l.status),
                    descriptor: Set(l.descriptor.clone()),
                    position: Set(pos),
                    ..Default::default()
                };
                (l.status, row)
            })
            .collect(),
    )
    .await?;

    let themes = sync_rows(
        db,
        &mut changed,
        theme::Entity::find().filter(theme::Column::PlanId.eq(plan_id)),
        |m| (m.number, m.id),
        file.themes
            .iter()
            .map(|t| {
                let row = theme::ActiveModel {
                    plan_id: Set(plan_id),
                    number: Set(t.number),
                    title: Set(t.title.clone()),
                    ..Default::default()
                };
                (t.number, row)
            })
            .collect(),
    )
    .await?;

    let workstreams = sync_rows(
        db,
        &mut changed,
        workstream::Entity::find().filter(workstream::Column::PlanId.eq(plan_id)),
        |m| (m.name.clone(), m.id),
        file.workstreams
            .iter()
            .zip(0..)
            .map(|(w, pos)| {
                let row = workstream::ActiveModel {
                    plan_id: Set(plan_id),
                    name: Set(w.name.clone()),
                    position: Set(pos),
                    ..Default::default()
                };
                (w.name.clone(), row)
            })
            .collect(),
    )
    .await?;

    let people = sync_rows(
        db,
        &mut changed,
        person::Entity::find().filter(person::Column::PlanId.eq(plan_id)),
        |m| (m.code.clone(), m.id),
        file.people
            .iter()
            .zip(0..)
            .map(|(p, pos)| {
                let row = person::ActiveModel {
                    plan_id: Set(plan_id),
                    code: Set(p.code.clone()),
                    name: Set(p.name.clone()),
                    aliases: Set(text_list(&p.aliases)),
                    position: Set(pos),
                    ..Default::default()
                };
                (p.code.clone(), row)
            })
            .collect(),
    )
    .await?;

    let references = sync_rows(
        db,
        &mut changed,
        source_reference::Entity::find().filter(source_reference::Column::PlanId.eq(plan_id)),
        |m| (m.code.clone(), m.id),
        file.references
            .iter()
            .zip(0..)
            .map(|(r, pos)| {
                let row = source_reference::ActiveModel {
                    plan_id: Set(plan_id),
                    code: Set(r.code.clone()),
                    title: Set(r.title.clone()),
                    kind: Set(r.kind),
                    person_id: Set(r.person.as_ref().and_then(|p| people.get(p).copied())),
                    position: Set(pos),
                    ..Default::default()
                };
                (r.code.clone(), row)
            })
            .collect(),
    )
    .await?;

    let evidence = sync_rows(
        db,
        &mut changed,
        evidence_source::Entity::find().filter(evidence_source::Column::PlanId.eq(plan_id)),
        |m| (m.name.clone(), m.id),
        file.evidence_sources
            .iter()
            .zip(0..)
            .map(|(e, pos)| {
                let row = evidence_source::ActiveModel {
                    plan_id: Set(plan_id),
                    name: Set(e.name.clone()),
                    category: Set(e.category),
                    position: Set(pos),
                    ..Default::default()
                };
                (e.name.clone(), row)
            })
            .collect(),
    )
    .await?;

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

type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

/// Keeps one catalogue table in step with the file. `stored` selects the plan's rows and
/// `key_and_id` names each by its natural key; `wanted` gives each entry's key and its row with
/// every field the file decides. A stored row with the key is left alone when those fields are
/// equal, updated (only where they differ) when not, and a missing one is inserted. Returns the
/// ids by key, and sets `changed` when anything was written.
async fn sync_rows<C, A, K>(
    db: &C,
    changed: &mut bool,
    stored: Select<A::Entity>,
    key_and_id: impl Fn(&ModelOf<A>) -> (K, i32),
    wanted: Vec<(K, A)>,
) -> AppResult<HashMap<K, i32>>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    ModelOf<A>: IntoActiveModel<A>,
    K: Eq + Hash,
{
    let stored: HashMap<K, ModelOf<A>> = stored
        .all(db)
        .await?
        .into_iter()
        .map(|m| (key_and_id(&m).0, m))
        .collect();
    let mut ids = HashMap::new();
    for (key, row) in wanted {
        let id = match stored.get(&key) {
            Some(old) => {
                let mut am: A = old.clone().into_active_model();
                for column in <A::Entity as EntityTrait>::Column::iter() {
                    if let ActiveValue::Set(v) = row.get(column) {
                        am.set_if_not_equals(column, v);
                    }
                }
                if am.is_changed() {
                    *changed = true;
                    am.update(db).await?;
                }
                key_and_id(old).1
            }
            None => {
                *changed = true;
                key_and_id(&row.insert(db).await?).1
            }
        };
        ids.insert(key, id);
    }
    Ok(ids)
}
