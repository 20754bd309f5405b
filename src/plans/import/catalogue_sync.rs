//! The plan's catalogues (RAG scale, themes, work streams, people, references, evidence
//! sources), kept in step with the file by natural key.
use std::collections::HashMap;

use entity::{evidence_source, person, rag_level, source_reference, theme, workstream};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::format::PlanFile;
use super::{text_list, ImportReport};
use crate::error::AppResult;
use crate::rag::RagStatus;

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
