//! One audited change: who, when, which operation, on what, before and after (append-only).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: Option<i32>,
    pub occurred_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub actor_sub: String,
    pub actor_role: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub actor_name: Option<String>,
    pub operation: String,
    pub object_type: String,
    pub object_id: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub before: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub after: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub idempotency_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
