//! An evidence source cited by an action.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_evidence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub action_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub evidence_source_id: i32,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::action::Entity",
        from = "Column::ActionId",
        to = "super::action::Column::Id"
    )]
    Action,
    #[sea_orm(
        belongs_to = "super::evidence_source::Entity",
        from = "Column::EvidenceSourceId",
        to = "super::evidence_source::Column::Id"
    )]
    EvidenceSource,
}

impl Related<super::action::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Action.def()
    }
}

impl Related<super::evidence_source::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EvidenceSource.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
