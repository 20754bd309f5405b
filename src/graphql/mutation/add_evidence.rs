//! `addEvidence`: evidence of progress recorded against an action.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::action;
use crate::actions;
use crate::graphql::action::records::EvidenceRecord;
use crate::graphql::action::Action;
use crate::graphql::context::{batch_env, state};
use crate::graphql::principal;
use crate::graphql::relay::{decode_id_of, Kind};
use crate::graphql::scalars::Date;

/// Evidence of progress against an action.
#[derive(InputObject)]
pub struct AddEvidenceInput {
    /// The action's global id (`Action.id`).
    pub action_id: ID,
    /// What the evidence is.
    pub what: String,
    /// Where it comes from.
    pub source: Option<String>,
    /// A document reference or URL.
    pub reference: Option<String>,
    /// The date of the evidence (not in the future).
    pub date: Option<Date>,
    /// The action's `version` you read; a stale one is VERSION_CONFLICT. Null: no check.
    pub expected_version: Option<i32>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// The action and the evidence recorded.
#[derive(SimpleObject)]
pub struct AddEvidencePayload {
    /// The action after the change (its new `submittedEvidence` and `version`).
    action: Action,
    /// The evidence, as `Action.submittedEvidence` now lists it.
    evidence: EvidenceRecord,
}

/// `addEvidence`, one member of `MutationRoot`.
#[derive(Default)]
pub struct AddEvidenceMutation;

#[Object]
impl AddEvidenceMutation {
    /// Records evidence of progress against an action.
    async fn add_evidence(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action and the evidence.")] input: AddEvidenceInput,
    ) -> Result<AddEvidencePayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let e = actions::NewEvidence {
            action_id: decode_id_of(Kind::Action, &input.action_id)?,
            what: input.what,
            source: input.source,
            reference: input.reference,
            dated: input.date.map(|d| d.0),
            expected_version: input.expected_version,
        };
        let changed =
            actions::add_evidence(&st.writer, who, e, input.idempotency_key.as_deref()).await?;
        Ok(AddEvidencePayload {
            evidence: EvidenceRecord(changed.appended.clone()),
            action: action(batch_env(ctx)?, changed),
        })
    }
}
