//! What resolvers read from the GraphQL context: the server's `State`, the request's
//! catalogues, what its action batches share, and the day a query speaks of.
use async_graphql::{Context, Result};

use super::batch::BatchEnv;
use super::scalars::Date;
use super::{principal, State};
use crate::error::{AppError, AppResult};
use crate::plans::catalogue::Catalogues;

pub(super) fn state<'a>(ctx: &Context<'a>) -> Result<&'a State> {
    ctx.data::<State>()
        .map_err(|_| AppError::Internal("BUG: schema built without State".into()).into())
}

/// The request's catalogues (see `plans::catalogue`).
pub(super) fn catalogues<'a>(ctx: &Context<'a>) -> AppResult<&'a Catalogues> {
    ctx.data::<Catalogues>()
        .map_err(|_| AppError::Internal("BUG: request without catalogues".into()))
}

/// What the action batches of this request share.
pub(super) fn batch_env(ctx: &Context<'_>) -> Result<BatchEnv> {
    Ok(BatchEnv {
        db: state(ctx)?.db.clone(),
        catalogues: catalogues(ctx)?.clone(),
        visible: principal(ctx)?.visible_actions(),
    })
}

/// `asOf`, or today's date in England by the server's clock (see `clock`).
pub(super) fn day_or_today(ctx: &Context<'_>, as_of: Option<Date>) -> Result<chrono::NaiveDate> {
    Ok(match as_of {
        Some(d) => d.0,
        None => state(ctx)?.writer.clock().today(),
    })
}
