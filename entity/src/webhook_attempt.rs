//! One attempt to deliver an event to a webhook, whatever its outcome.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempt")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub webhook_id: i32,
    pub event_id: i32,
    pub attempted_at: DateTimeUtc,
    pub duration_ms: i32,
    /// The receiver's HTTP status; null when none came (refused, timed out).
    pub status_code: Option<i32>,
    pub delivered: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
