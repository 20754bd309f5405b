//! `addEvidence`: recording what shows an action's progress, and reading it back.
use chrono::NaiveDate;
use entity::evidence_record;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde::Serialize;
use serde_json::json;

use super::change::{change_action, unchanged, Changed, Effect};
use super::input::{not_future, optional_text, room_for, text};
use crate::audit::Writer;
use crate::auth::{Operation, Principal};
use crate::error::AppResult;

/// `addEvidence`: what shows progress, where it is, and its date.
#[derive(Debug, Clone, Serialize)]
pub struct NewEvidence {
    pub action_id: i32,
    pub what: String,
    pub source: Option<String>,
    pub reference: Option<String>,
    pub dated: Option<NaiveDate>,
    pub expected_version: Option<i32>,
}

pub async fn add_evidence(
    w: &Writer,
    who: &Principal,
    e: NewEvidence,
    key: Option<&str>,
) -> AppResult<Changed<evidence_record::Model>> {
    change_action(
        w,
        who,
        Operation::AddEvidence,
        key,
        &e,
        e.action_id,
        e.expected_version,
        async |ch, current| {
            let what = text("what", &e.what)?;
            let source = optional_text("source", e.source.as_deref())?;
            let reference = optional_text("reference", e.reference.as_deref())?;
            if let Some(d) = e.dated {
                not_future("date", d, ch.today())?;
            }
            let have = evidence_record::Entity::find()
                .filter(evidence_record::Column::ActionId.eq(current.id))
                .count(ch.txn())
                .await?;
            room_for(
                "evidence records",
                &current.code,
                have,
                crate::plans::MAX_EVIDENCE,
            )?;
            let rec = evidence_record::ActiveModel {
                action_id: Set(current.id),
                what: Set(what),
                source: Set(source),
                reference: Set(reference),
                dated: Set(e.dated),
                recorded_at: Set(ch.now()),
                recorded_by: Set(ch.actor().display().to_string()),
                ..Default::default()
            }
            .insert(ch.txn())
            .await?;
            Ok(Effect {
                action: unchanged(current),
                before: json!({ "code": current.code, "version": current.version }),
                after: json!({
                    "code": current.code,
                    "version": current.version + 1,
                    "evidence": {
                        "id": rec.id, "what": rec.what, "source": rec.source,
                        "reference": rec.reference, "date": rec.dated,
                    },
                }),
                appended: rec,
            })
        },
    )
    .await
}

/// Evidence submitted for actions, oldest first.
pub async fn evidence_records_for<C: ConnectionTrait>(
    db: &C,
    action_ids: &[i32],
) -> AppResult<std::collections::HashMap<i32, Vec<evidence_record::Model>>> {
    let rows = evidence_record::Entity::find()
        .filter(evidence_record::Column::ActionId.is_in(action_ids.iter().copied()))
        .order_by_asc(evidence_record::Column::ActionId)
        .order_by_asc(evidence_record::Column::Id)
        .all(db)
        .await?;
    let mut map: std::collections::HashMap<i32, Vec<evidence_record::Model>> =
        std::collections::HashMap::new();
    for r in rows {
        map.entry(r.action_id).or_default().push(r);
    }
    Ok(map)
}
