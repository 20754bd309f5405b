//! One RAG status change (append-only history).
use sea_orm::entity::prelude::*;

use crate::values::RagStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rag_update")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub action_id: i32,
    pub status: RagStatus,
    pub previous_status: Option<RagStatus>,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub effective_date: Date,
    pub recorded_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub author: String,
    #[sea_orm(column_type = "Text")]
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
