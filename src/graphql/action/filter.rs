//! How clients narrow and order action lists: `ActionFilter`, `ActionOrder`, and the domain's
//! RAG and lifecycle states they name, mirrored for the schema.
use async_graphql::{Enum, InputObject};

use crate::actions::{ActionFilter, ActionOrder, OrderDirection, OrderField};
use crate::graphql::scalars::Date;

/// RAG status. GREY = not yet started, BLUE = completed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "RagStatus", remote = "crate::rag::RagStatus")]
pub enum RagStatusGql {
    /// Tasks and/or outcomes have not been met or the timescale slipped.
    Red,
    /// On track, milestones met but not completed.
    Amber,
    /// Completed, or performance on target.
    Green,
    /// Not yet started.
    Grey,
    /// Completed.
    Blue,
}

/// Whether an action is part of the plan or has been removed from it.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "LifecycleState", remote = "crate::actions::LifecycleState")]
pub enum LifecycleStateGql {
    /// Part of the plan: listed, counted and updated.
    Active,
    /// Retired from the plan (`retireAction`): still readable, with its history, but left out
    /// of RAG counts and taking no status updates.
    Removed,
}

/// Narrows `Plan.actions`; lists mean "any of", fields combine with AND. Unknown names are
/// an error (`BAD_USER_INPUT`), not an empty result.
#[derive(InputObject, Default)]
#[graphql(name = "ActionFilter")]
pub struct ActionFilterInput {
    /// Theme numbers.
    pub themes: Option<Vec<i32>>,
    /// Work-stream names (`Practice`, `HSCB`, ...).
    pub workstreams: Option<Vec<String>>,
    /// Lead person codes (`KOM`, `DM`, `JRez`, ...).
    pub leads: Option<Vec<String>>,
    /// Current RAG statuses.
    pub rag: Option<Vec<RagStatusGql>>,
    /// Reference codes (`AA1`, `JD`, `Staff via KOM`).
    pub references: Option<Vec<String>>,
    /// Ofsted descriptor codes (`QP3.7`, or bare `3.7`) or areas (`OE`, `EHP`, `QP`, `LG`).
    pub descriptors: Option<Vec<String>>,
    /// Only active or only removed actions; null: both (RAG counts: active only).
    pub state: Option<LifecycleStateGql>,
    /// Words that must all appear in the objective or outcome (case-insensitive).
    pub search: Option<String>,
    /// Due (latest milestone) strictly before this date.
    pub due_before: Option<Date>,
    /// Due strictly after this date.
    pub due_after: Option<Date>,
}

impl From<ActionFilterInput> for ActionFilter {
    fn from(f: ActionFilterInput) -> Self {
        ActionFilter {
            themes: f.themes,
            workstreams: f.workstreams,
            leads: f.leads,
            rag: f.rag.map(|v| v.into_iter().map(Into::into).collect()),
            references: f.references,
            descriptors: f.descriptors,
            state: f.state.map(Into::into),
            search: f.search,
            due_before: f.due_before.map(|d| d.0),
            due_after: f.due_after.map(|d| d.0),
        }
    }
}

/// Fields actions can be ordered by.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum ActionOrderField {
    /// The order of the plan document (1.1, 1.2, ... 5.12).
    #[default]
    Position,
    /// Latest milestone due date; actions without one come last.
    DueDate,
    /// Severity: RED, AMBER, GREY, GREEN, BLUE.
    RagStatus,
    /// Last change.
    UpdatedAt,
}

/// Which way an ordering runs.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum SortDirection {
    /// Earliest, or most severe, first.
    #[default]
    Asc,
    /// The reverse.
    Desc,
}

/// Ordering of `Plan.actions`.
#[derive(InputObject, Default)]
#[graphql(name = "ActionOrder")]
pub struct ActionOrderInput {
    /// What to order by.
    #[graphql(default)]
    pub field: ActionOrderField,
    /// Ascending (the default) or descending.
    #[graphql(default)]
    pub direction: SortDirection,
}

impl From<ActionOrderInput> for ActionOrder {
    fn from(o: ActionOrderInput) -> Self {
        ActionOrder {
            field: match o.field {
                ActionOrderField::Position => OrderField::Position,
                ActionOrderField::DueDate => OrderField::DueDate,
                ActionOrderField::RagStatus => OrderField::RagStatus,
                ActionOrderField::UpdatedAt => OrderField::UpdatedAt,
            },
            direction: match o.direction {
                SortDirection::Asc => OrderDirection::Asc,
                SortDirection::Desc => OrderDirection::Desc,
            },
        }
    }
}
