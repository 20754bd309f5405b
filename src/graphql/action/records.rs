//! What an action holds besides its own row: milestones, Ofsted descriptors, timescale
//! extensions, submitted evidence, work-stream moves and removal proposals.
use async_graphql::{Context, Enum, Object, Result};
use entity::{
    action_descriptor, evidence_record, milestone, removal_proposal, timescale_extension,
    workstream_move,
};

use crate::error::AppError;
use crate::graphql::catalogue::Workstream;
use crate::graphql::context::catalogues;
use crate::graphql::scalars::Date;

/// Ofsted judgement areas.
// The framework's own abbreviations, kept as clients know them.
#[allow(clippy::upper_case_acronyms)]
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "OfstedArea", remote = "crate::actions::OfstedArea")]
pub enum OfstedAreaGql {
    /// Overall effectiveness.
    OE,
    /// Effectiveness of help and protection.
    EHP,
    /// Quality of practice.
    QP,
    /// Leadership and governance.
    LG,
}
/// A milestone parsed from an action's "by when".
pub struct Milestone(pub(super) milestone::Model);

/// A milestone of an action: a stage of its "by when" and the date it is due.
#[Object(serial)]
impl Milestone {
    /// As written, e.g. `Stage 1 – Nov 12`.
    async fn label(&self) -> &str {
        &self.0.label
    }
    /// The last day of the period named, when it names one.
    async fn due(&self) -> Option<Date> {
        self.0.due.map(Date)
    }
}

/// An Ofsted grade descriptor as cited by an action.
pub struct OfstedDescriptor(pub(super) action_descriptor::Model);

/// An Ofsted grade descriptor an action cites: the inspection framework's criterion it
/// answers to.
#[Object(serial)]
impl OfstedDescriptor {
    /// Normalised code, e.g. `QP3.21` (the bare area when only an area is cited).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// The judgement area the descriptor belongs to.
    async fn area(&self) -> OfstedAreaGql {
        self.0.area.into()
    }
    /// As written in the source, e.g. `LG .4.15`.
    async fn raw(&self) -> &str {
        &self.0.raw
    }
}

/// An agreed extension of an action's timescale.
pub struct TimescaleExtension(pub(in crate::graphql) timescale_extension::Model);

/// An agreed extension of an action's timescale (`extendDeadline`, or an `Extension to
/// timescale agreed` note in the plan).
#[Object(serial)]
impl TimescaleExtension {
    /// As written in the source, when imported.
    async fn raw(&self) -> Option<&str> {
        self.0.raw.as_deref()
    }
    /// Why it was extended; null when the plan does not say.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// When it was agreed.
    async fn agreed_on(&self) -> Option<Date> {
        self.0.agreed_on.map(Date)
    }
    /// The due date before the extension.
    async fn previous_due(&self) -> Option<Date> {
        self.0.previous_due.map(Date)
    }
    /// The new due date, when one was set.
    async fn new_due(&self) -> Option<Date> {
        self.0.new_due.map(Date)
    }
    /// When the extension was recorded.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.recorded_at
    }
    /// Who recorded it: a token's subject, or `plan import`.
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }
}

/// Evidence of progress submitted against an action.
pub struct EvidenceRecord(pub(in crate::graphql) evidence_record::Model);

/// Evidence of progress submitted against an action (`addEvidence`).
#[Object(serial)]
impl EvidenceRecord {
    /// What the evidence is.
    async fn what(&self) -> &str {
        &self.0.what
    }
    /// Where it comes from (a team, a system, a report).
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    /// A document reference or URL.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// The date the evidence is from.
    async fn date(&self) -> Option<Date> {
        self.0.dated.map(Date)
    }
    /// When it was submitted.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.recorded_at
    }
    /// The subject of the token that submitted it.
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }
}

/// A move of an action from one work stream to another.
pub struct WorkstreamMove {
    /// The plan of the action (and of both work streams).
    pub(in crate::graphql) plan_id: i32,
    pub(in crate::graphql) row: workstream_move::Model,
}

impl WorkstreamMove {
    async fn workstream(&self, ctx: &Context<'_>, id: i32) -> Result<Workstream> {
        let cat = catalogues(ctx)?.of(self.plan_id).await?;
        Workstream::of(&cat, id)
            .ok_or_else(|| AppError::Internal("BUG: move of unknown work stream".into()).into())
    }
}

/// A move of an action from one work stream to another (`moveAction`, or `MOVED TO ...` in
/// the plan).
#[Object(serial)]
impl WorkstreamMove {
    /// The work stream it left; null when that was not recorded.
    async fn from(&self, ctx: &Context<'_>) -> Result<Option<Workstream>> {
        match self.row.from_workstream_id {
            None => Ok(None),
            Some(id) => Ok(Some(self.workstream(ctx, id).await?)),
        }
    }
    /// The work stream it moved to.
    async fn to(&self, ctx: &Context<'_>) -> Result<Workstream> {
        self.workstream(ctx, self.row.to_workstream_id).await
    }
    /// As written in the source, e.g. `MOVED TO PRACTICE`.
    async fn raw(&self) -> Option<&str> {
        self.row.raw.as_deref()
    }
    /// Why it moved; null when no reason was given.
    async fn reason(&self) -> Option<&str> {
        self.row.reason.as_deref()
    }
    /// When the move was recorded.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.row.recorded_at
    }
    /// Who recorded it: a token's subject, or `plan import`.
    async fn recorded_by(&self) -> &str {
        &self.row.recorded_by
    }
}

/// A recorded proposal to remove an action from the plan.
pub struct RemovalProposal(pub(super) removal_proposal::Model);

/// A recorded proposal to remove an action from the plan (`Remove from plan` in its "by
/// when"); the action stays active until it is retired.
#[Object(serial)]
impl RemovalProposal {
    /// As written, e.g. `Remove from plan`.
    async fn raw(&self) -> &str {
        &self.0.raw
    }
    /// When the proposal was recorded.
    async fn recorded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.recorded_at
    }
    /// Who recorded it (`plan import` for proposals read from the plan).
    async fn recorded_by(&self) -> &str {
        &self.0.recorded_by
    }
}
