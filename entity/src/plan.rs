//! A plan: one version of one authority's improvement plan. List columns hold JSON arrays.
use sea_orm::entity::prelude::*;

use crate::values::TextList;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub slug: String,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub version: String,
    #[sea_orm(column_type = "Text")]
    pub authority: String,
    pub as_of: Date,
    #[sea_orm(column_type = "Text")]
    pub context: TextList,
    #[sea_orm(column_type = "Text")]
    pub levels_of_need: TextList,
    #[sea_orm(column_type = "Text")]
    pub priority_aims: TextList,
    #[sea_orm(column_type = "Text")]
    pub outcome_measures: TextList,
    #[sea_orm(column_type = "Text")]
    pub evidence_categories: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Bumped by every import; servers cache the catalogue per version.
    pub catalogue_version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
