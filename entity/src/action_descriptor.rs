//! An Ofsted grade descriptor cited by an action (normalised code, area, raw text).
use sea_orm::entity::prelude::*;

use crate::values::OfstedArea;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_descriptor")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub action_id: i32,
    pub position: i32,
    pub code: String,
    pub area: OfstedArea,
    #[sea_orm(column_type = "Text")]
    pub raw: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
