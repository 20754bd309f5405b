//! A recorded proposal to remove an action from the plan (append-only).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "removal_proposal")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub action_id: i32,
    #[sea_orm(column_type = "Text")]
    pub raw: String,
    pub recorded_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub recorded_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
