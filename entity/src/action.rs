//! An action of a plan, with its current RAG denormalised from `rag_update`.
use sea_orm::entity::prelude::*;

use crate::values::{LifecycleState, RagStatus, TextList};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub code: String,
    pub theme_id: i32,
    pub workstream_id: i32,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub objective: String,
    #[sea_orm(column_type = "Text")]
    pub objective_items: TextList,
    #[sea_orm(column_type = "Text")]
    pub outcomes: TextList,
    #[sea_orm(column_type = "Text")]
    pub by_when: String,
    #[sea_orm(column_type = "Text")]
    pub lead_text: String,
    pub due_date: Option<Date>,
    pub rag_status: RagStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub rag_note: Option<String>,
    pub rag_effective_date: Date,
    pub rag_recorded_at: DateTimeUtc,
    pub state: LifecycleState,
    #[sea_orm(column_type = "Text", nullable)]
    pub removed_reason: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub imported_json: Option<String>,
    pub version: i32,
    /// Number of history rows (`rag_update`), kept by every write that appends one.
    pub history_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::theme::Entity",
        from = "Column::ThemeId",
        to = "super::theme::Column::Id"
    )]
    Theme,
    #[sea_orm(
        belongs_to = "super::workstream::Entity",
        from = "Column::WorkstreamId",
        to = "super::workstream::Column::Id"
    )]
    Workstream,
}

impl Related<super::theme::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Theme.def()
    }
}

impl Related<super::workstream::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Workstream.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
