//! A RAG status as the plan describes it.
use sea_orm::entity::prelude::*;

use crate::values::RagStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rag_level")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub status: RagStatus,
    #[sea_orm(column_type = "Text")]
    pub descriptor: String,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
