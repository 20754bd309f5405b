//! An action as the read path loads it: every column but the two the API never shows
//! (`search_text`, the filter's lower-cased copy of the text, and `imported_json`, the
//! importer's snapshot), which together are most of a row's bytes.
use chrono::{DateTime, NaiveDate, Utc};
use entity::{action, LifecycleState, RagStatus, TextList};
use sea_orm::DerivePartialModel;

#[derive(Debug, Clone, PartialEq, Eq, DerivePartialModel)]
#[sea_orm(entity = "action::Entity", from_query_result)]
pub struct ActionRow {
    pub id: i32,
    pub plan_id: i32,
    pub code: String,
    pub theme_id: i32,
    pub workstream_id: i32,
    pub position: i32,
    pub objective: String,
    pub objective_items: TextList,
    pub outcomes: TextList,
    pub by_when: String,
    pub lead_text: String,
    pub due_date: Option<NaiveDate>,
    pub rag_status: RagStatus,
    pub rag_note: Option<String>,
    pub rag_effective_date: NaiveDate,
    pub rag_recorded_at: DateTime<Utc>,
    pub state: LifecycleState,
    pub removed_reason: Option<String>,
    pub version: i32,
    pub history_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<action::Model> for ActionRow {
    fn from(m: action::Model) -> Self {
        Self {
            id: m.id,
            plan_id: m.plan_id,
            code: m.code,
            theme_id: m.theme_id,
            workstream_id: m.workstream_id,
            position: m.position,
            objective: m.objective,
            objective_items: m.objective_items,
            outcomes: m.outcomes,
            by_when: m.by_when,
            lead_text: m.lead_text,
            due_date: m.due_date,
            rag_status: m.rag_status,
            rag_note: m.rag_note,
            rag_effective_date: m.rag_effective_date,
            rag_recorded_at: m.rag_recorded_at,
            state: m.state,
            removed_reason: m.removed_reason,
            version: m.version,
            history_count: m.history_count,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
