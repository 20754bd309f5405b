//! The closed vocabularies stored as text columns, typed. A column holding one of them decodes
//! to the enum, so a value the code does not know fails once, where the row is read, instead of
//! being a string that every reader compares and re-parses. The domain modules of `plan-api`
//! re-export each one (`rag::RagStatus`, `actions::LifecycleState`, ...); the GraphQL schema
//! mirrors them with `#[graphql(remote)]`, so no conversion is written by hand.
//!
//! The serde spellings are the stored ones, so plan files, JSON columns and the database agree.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A RAG status. GREY = not started, BLUE = completed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "UPPERCASE")]
pub enum RagStatus {
    #[sea_orm(string_value = "RED")]
    Red,
    #[sea_orm(string_value = "AMBER")]
    Amber,
    #[sea_orm(string_value = "GREEN")]
    Green,
    #[sea_orm(string_value = "GREY")]
    Grey,
    #[sea_orm(string_value = "BLUE")]
    Blue,
}

impl RagStatus {
    /// Every status, in the plan's order (the order counts and CSV columns use).
    pub const ALL: [RagStatus; 5] = [Self::Red, Self::Amber, Self::Green, Self::Grey, Self::Blue];

    /// The stored (and serialised) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Red => "RED",
            Self::Amber => "AMBER",
            Self::Green => "GREEN",
            Self::Grey => "GREY",
            Self::Blue => "BLUE",
        }
    }

    /// Parses a spelling case-insensitively, so that source text like `blue` or `Red` maps.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// Whether an action is part of the plan or has been removed from it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum LifecycleState {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "removed")]
    Removed,
}

impl LifecycleState {
    /// The stored (and serialised) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Removed => "removed",
        }
    }
}

/// An Ofsted judgement area, as the inspection framework abbreviates it.
// The framework's own abbreviations, kept as the plan writes them.
#[allow(clippy::upper_case_acronyms)]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum OfstedArea {
    /// Overall effectiveness (section 1).
    #[sea_orm(string_value = "OE")]
    OE,
    /// Effectiveness of help and protection (section 2).
    #[sea_orm(string_value = "EHP")]
    EHP,
    /// Quality of practice (section 3).
    #[sea_orm(string_value = "QP")]
    QP,
    /// Leadership and governance (section 4).
    #[sea_orm(string_value = "LG")]
    LG,
}

impl OfstedArea {
    /// Every area, in the framework's section order.
    pub const ALL: [OfstedArea; 4] = [Self::OE, Self::EHP, Self::QP, Self::LG];

    /// The stored (and serialised) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OE => "OE",
            Self::EHP => "EHP",
            Self::QP => "QP",
            Self::LG => "LG",
        }
    }

    /// Parses the exact abbreviation.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// What a source reference names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// A source document listed in the plan's reference key.
    #[sea_orm(string_value = "document")]
    Document,
    /// A person who raised the action.
    #[sea_orm(string_value = "person")]
    Person,
}

/// Whose view of its plan a webhook has: a token role's, limited to these two.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum WebhookRole {
    /// Every action of the plan.
    #[sea_orm(string_value = "viewer")]
    Viewer,
    /// The actions its leads lead or in its work streams.
    #[sea_orm(string_value = "partner")]
    Partner,
}

impl WebhookRole {
    /// The stored (and serialised) spelling, which is also the token role's.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Partner => "partner",
        }
    }
}

/// A list of strings kept in one text column as a JSON array (objective items, outcomes,
/// aliases, the plan's paragraphs, a webhook's filters). Decoded here, once, for every reader.
#[derive(Debug, Clone, Default, PartialEq, Eq, DeriveValueType, Serialize, Deserialize)]
#[sea_orm(
    value_type = "String",
    from_str = "TextList::from_json",
    to_str = "TextList::to_json",
    column_type = "Text"
)]
#[serde(transparent)]
pub struct TextList(pub Vec<String>);

impl TextList {
    /// Parses the stored JSON array.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The stored JSON array.
    pub fn to_json(&self) -> String {
        // A list of strings always serialises.
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".to_string())
    }
}

impl From<Vec<String>> for TextList {
    fn from(v: Vec<String>) -> Self {
        Self(v)
    }
}

impl std::ops::Deref for TextList {
    type Target = Vec<String>;
    fn deref(&self) -> &Vec<String> {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ActiveEnum, Iterable};

    /// Each enum spells its values three ways (stored, serialised, `as_str`): one spelling.
    fn one_spelling<E>(as_str: impl Fn(E) -> &'static str)
    where
        E: ActiveEnum<Value = String> + Iterable + Serialize + Copy,
    {
        for v in E::iter() {
            assert_eq!(v.to_value(), as_str(v));
            assert_eq!(
                serde_json::to_string(&v).ok(),
                Some(format!("\"{}\"", as_str(v)))
            );
        }
    }

    #[test]
    fn stored_serialised_and_named_values_agree() {
        one_spelling(RagStatus::as_str);
        one_spelling(LifecycleState::as_str);
        one_spelling(OfstedArea::as_str);
        one_spelling(WebhookRole::as_str);
        assert_eq!(RagStatus::iter().collect::<Vec<_>>(), RagStatus::ALL);
        assert_eq!(OfstedArea::iter().collect::<Vec<_>>(), OfstedArea::ALL);
    }

    #[test]
    fn text_lists_round_trip() {
        let list = TextList(vec!["a \"quoted\" item".into(), String::new()]);
        assert_eq!(TextList::from_json(&list.to_json()).ok(), Some(list));
        assert!(TextList::from_json("not json").is_err());
    }
}
