//! An action leaving the plan or coming back (append-only).
use sea_orm::entity::prelude::*;

use crate::values::LifecycleState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_state_change")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub action_id: i32,
    pub state: LifecycleState,
    pub effective_date: Date,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub recorded_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub recorded_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
