//! A registered webhook: where to post which events of one plan, within which scope.
use sea_orm::entity::prelude::*;

use crate::values::{TextList, WebhookRole};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    pub on_rag_updated: bool,
    pub on_action_changed: bool,
    /// The action filter as JSON; null for none.
    #[sea_orm(column_type = "Text", nullable)]
    pub filter: Option<String>,
    pub role: WebhookRole,
    /// JSON list of person codes.
    #[sea_orm(column_type = "Text")]
    pub leads: TextList,
    /// JSON list of work-stream names.
    #[sea_orm(column_type = "Text")]
    pub workstreams: TextList,
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    pub active: bool,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub created_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub created_by: String,
    pub updated_at: DateTimeUtc,
    pub failures: i32,
    pub next_attempt_at: DateTimeUtc,
    /// Events dropped from its queue because they waited past the retention window.
    pub dropped: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
