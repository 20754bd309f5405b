//! Evidence submitted against an action through the API (append-only).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evidence_record")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub action_id: i32,
    #[sea_orm(column_type = "Text")]
    pub what: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub source: Option<String>,
    /// A document reference or URL.
    #[sea_orm(column_type = "Text", nullable)]
    pub reference: Option<String>,
    pub dated: Option<Date>,
    pub recorded_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub recorded_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
