//! `linkActions` and `unlinkActions`: links between two actions of a plan.
use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::action;
use crate::actions;
use crate::graphql::action::Action;
use crate::graphql::context::{batch_env, state};
use crate::graphql::principal;
use crate::graphql::relay::{decode_id_of, Kind};

/// A link from one action to another of the same plan.
#[derive(InputObject)]
pub struct LinkActionsInput {
    /// The action that links (its `version` is the one checked and bumped).
    pub from_id: ID,
    /// The action linked to.
    pub to_id: ID,
    /// The `version` of `fromId` you read; a stale one is VERSION_CONFLICT. Null: no check.
    pub expected_version: Option<i32>,
    /// Makes retries safe: the same key and input returns the first result (integration
    /// tokens must send one).
    pub idempotency_key: Option<String>,
}

/// Both actions after the change.
#[derive(SimpleObject)]
pub struct LinkActionsPayload {
    /// The action that links, with its new `links` and `version`.
    from: Action,
    /// The action linked to (or unlinked from).
    to: Action,
}

/// `linkActions` and `unlinkActions`, one member of `MutationRoot`.
#[derive(Default)]
pub struct LinksMutation;

#[Object]
impl LinksMutation {
    /// Links one action to another of the same plan.
    async fn link_actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The two actions.")] input: LinkActionsInput,
    ) -> Result<LinkActionsPayload> {
        self.relink(ctx, input, true).await
    }

    /// Removes a link between two actions.
    async fn unlink_actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The two actions.")] input: LinkActionsInput,
    ) -> Result<LinkActionsPayload> {
        self.relink(ctx, input, false).await
    }
}

impl LinksMutation {
    async fn relink(
        &self,
        ctx: &Context<'_>,
        input: LinkActionsInput,
        link: bool,
    ) -> Result<LinkActionsPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let l = actions::Link {
            from_id: decode_id_of(Kind::Action, &input.from_id)?,
            to_id: decode_id_of(Kind::Action, &input.to_id)?,
            expected_version: input.expected_version,
        };
        let key = input.idempotency_key.as_deref();
        let changed = if link {
            actions::link(&st.writer, who, l, key).await?
        } else {
            actions::unlink(&st.writer, who, l, key).await?
        };
        Ok(LinkActionsPayload {
            to: Action::single(batch_env(ctx)?, changed.appended.clone().into()),
            from: action(batch_env(ctx)?, changed),
        })
    }
}
