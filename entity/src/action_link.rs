//! A link from one action to another.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_link")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub from_action_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub to_action_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
