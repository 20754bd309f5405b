//! A move of an action between work streams (append-only).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workstream_move")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub action_id: i32,
    pub from_workstream_id: Option<i32>,
    pub to_workstream_id: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub raw: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub recorded_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub recorded_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
