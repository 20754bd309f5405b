//! A source an action came from: a document (`AA1`) or a person (`JD`).
use sea_orm::entity::prelude::*;

use crate::values::ReferenceKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "source_reference")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub kind: ReferenceKind,
    pub person_id: Option<i32>,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
