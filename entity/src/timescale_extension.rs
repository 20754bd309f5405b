//! An agreed extension of an action's timescale (append-only).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "timescale_extension")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub action_id: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub raw: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub agreed_on: Option<Date>,
    pub previous_due: Option<Date>,
    pub new_due: Option<Date>,
    pub recorded_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub recorded_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
