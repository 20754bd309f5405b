//! The `Plan` object: a plan's own details, its catalogues and its action lists.
use std::sync::Arc;

use async_graphql::{Context, Object, Result, ID};

use super::action::connection::{history_wanted, ActionConnection, ActionQuery};
use super::action::filter::{ActionFilterInput, ActionOrderInput};
use super::action::Action;
use super::catalogue::{
    EvidenceCategory, EvidenceSource, Person, RagLevel, Reference, Theme, Workstream,
};
use super::context::{batch_env, catalogues, day_or_today, state};
use super::dashboard::{self, RagGroupBy, RagSummary, TrendInterval};
use super::principal;
use super::relay::{global_id, Kind};
use super::scalars::Date;
use crate::actions::{self, deadlines, ActionOrder};
use crate::plans::catalogue::Catalogue;
use crate::plans::query;

fn by_due_date() -> ActionOrder {
    ActionOrder {
        field: actions::OrderField::DueDate,
        direction: actions::OrderDirection::Asc,
    }
}

/// An improvement plan: one version of one authority's plan. Holds the plan's catalogue as
/// last seen, confirmed for the request when a field reads it (see `Plan::current`).
pub struct Plan(pub Arc<Catalogue>);

impl Plan {
    /// The plan's catalogue, confirmed for this request: the plan's id and slug never change,
    /// everything else may, with an import (see `plans::catalogue`).
    async fn current(&self, ctx: &Context<'_>) -> Result<Arc<Catalogue>> {
        Ok(catalogues(ctx)?.current(&self.0).await?)
    }
}

/// An improvement plan: one version of one authority's plan, with its themes, work streams,
/// people, references, RAG scale and actions.
#[Object]
impl Plan {
    /// Global id (see `node(id:)`).
    pub async fn id(&self) -> ID {
        global_id(Kind::Plan, self.0.id())
    }
    /// Stable identifier, e.g. `herefordshire-2012`.
    async fn slug(&self) -> &str {
        &self.0.plan.slug
    }
    /// The plan's title as published.
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.current(ctx).await?.plan.title.clone())
    }
    /// The plan's own version label, e.g. `V2.2`.
    async fn version(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.current(ctx).await?.plan.version.clone())
    }
    /// The local authority whose plan it is, e.g. `Herefordshire Council`.
    async fn authority(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.current(ctx).await?.plan.authority.clone())
    }
    /// The date the plan speaks as of; undated statuses in the plan take effect on it.
    async fn as_of(&self, ctx: &Context<'_>) -> Result<Date> {
        Ok(Date(self.current(ctx).await?.plan.as_of))
    }
    /// The "Outline and context" paragraphs.
    async fn context(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.plan.context.0.clone())
    }
    /// Items of the Levels of Need pathway the plan is linked to.
    async fn levels_of_need(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.plan.levels_of_need.0.clone())
    }
    /// The plan's priority aims, in its order.
    async fn priority_aims(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.plan.priority_aims.0.clone())
    }
    /// The child-centred outcome measures (the themes' titles).
    async fn outcome_measures(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.current(ctx).await?.plan.outcome_measures.0.clone())
    }
    /// Categories of evidence for performance indicators.
    async fn evidence_categories(&self, ctx: &Context<'_>) -> Result<Vec<EvidenceCategory>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.evidence_categories.len())
            .map(|i| EvidenceCategory(cat.clone(), i))
            .collect())
    }
    /// The RAG scale with the plan's descriptors.
    async fn rag_scale(&self, ctx: &Context<'_>) -> Result<Vec<RagLevel>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.rag_scale.len())
            .map(|i| RagLevel {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    /// The themes (the child-centred outcome measures), by number.
    async fn themes(&self, ctx: &Context<'_>) -> Result<Vec<Theme>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.themes.len())
            .map(|i| Theme {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    /// Work streams (lead task groups), in the plan's order.
    async fn workstreams(&self, ctx: &Context<'_>) -> Result<Vec<Workstream>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.workstreams.len())
            .map(|i| Workstream {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    /// People named as leads or sources.
    async fn people(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.people.len())
            .map(|i| Person {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    /// Source references (`AA1`..`AA7`, `JD`, `Staff via KOM`).
    async fn references(&self, ctx: &Context<'_>) -> Result<Vec<Reference>> {
        let cat = self.current(ctx).await?;
        Ok((0..cat.references.len())
            .map(|i| Reference {
                cat: cat.clone(),
                i,
            })
            .collect())
    }
    /// Distinct evidence items cited by the plan's actions.
    async fn evidence_sources(&self, ctx: &Context<'_>) -> Result<Vec<EvidenceSource>> {
        let who = principal(ctx)?;
        let only = who.sees_some_actions_only().then(|| who.visible_actions());
        Ok(query::evidence_sources(&state(ctx)?.db, self.0.id(), only)
            .await?
            .into_iter()
            .map(EvidenceSource)
            .collect())
    }
    /// One action by its code as numbered in the plan, e.g. `2.1 (a)`; null when there is none.
    async fn action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code exactly as numbered, e.g. `1.1` or `2.1 (a)`.")] code: String,
    ) -> Result<Option<Action>> {
        let who = principal(ctx)?;
        let db = &state(ctx)?.db;
        let history = history_wanted(ctx, &[])?;
        let (_, found) = catalogues(ctx)?
            .read_checked(&self.0, |cat| {
                let (visible, code) = (who.visible_actions(), code.as_str());
                async move {
                    let found =
                        actions::by_code_checked(db, visible, cat.id(), code, history).await?;
                    let version = found.catalogue_version;
                    Ok((found, version))
                }
            })
            .await?;
        Ok(match found.rows {
            Some(a) => Some(Action::single_with(
                batch_env(ctx)?,
                a,
                history.zip(found.history),
            )),
            None => None,
        })
    }
    /// RAG counts of the plan's actions (those `filter` selects, active unless it asks for
    /// REMOVED), in total and by `groupBy`; `asOf` counts from the history as at the end of
    /// that day (actions created later, or removed by then, are left out).
    async fn rag_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How to group the counts; null: totals only, no groups.")]
        group_by: Option<RagGroupBy>,
        #[graphql(desc = "Count as at the end of this day, from the history; null: now.")]
        as_of: Option<Date>,
        #[graphql(desc = "Which actions to count (default: every active one the token can see).")]
        filter: Option<ActionFilterInput>,
    ) -> Result<RagSummary> {
        dashboard::summary(ctx, &self.0, group_by, as_of, filter).await
    }
    /// Every RAG status change taking effect from `from` to `to` (inclusive), oldest first.
    #[allow(clippy::too_many_arguments)]
    async fn rag_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first effective date included.")] from: Date,
        #[graphql(desc = "The last effective date included (not before `from`).")] to: Date,
        #[graphql(desc = "Only changes of the actions this filter selects.")] filter: Option<
            ActionFilterInput,
        >,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<dashboard::RagChangeConnection> {
        dashboard::changes(ctx, &self.0, from, to, filter, first, after).await
    }
    /// `ragSummary` as of `from` and every interval after it up to `to` (at most 200 points).
    async fn rag_trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first point's day.")] from: Date,
        #[graphql(desc = "The last day a point may fall on (not before `from`).")] to: Date,
        #[graphql(desc = "The spacing of the points after `from`.")] interval: TrendInterval,
        #[graphql(desc = "How to group each point's counts; null: totals only, no groups.")]
        group_by: Option<RagGroupBy>,
        #[graphql(desc = "Which actions to count (default: every active one the token can see).")]
        filter: Option<ActionFilterInput>,
    ) -> Result<Vec<RagSummary>> {
        dashboard::trend(ctx, &self.0, from, to, interval, group_by, filter).await
    }
    /// The plan's actions, filtered and ordered (plan order by default).
    async fn actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which actions (default: all the token can see, active and removed).")]
        filter: Option<ActionFilterInput>,
        #[graphql(desc = "The order (default: the plan's order).")] order_by: Option<
            ActionOrderInput,
        >,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let q = ActionQuery::new(filter, order_by, first, after);
        ActionConnection::load(ctx, &self.0, q).await
    }
    /// Actions due before `asOf` (default today) and not BLUE or GREEN, most overdue first.
    /// With `asOf`, status and removal are read from the history as of that day.
    #[allow(clippy::too_many_arguments)]
    async fn overdue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day to judge on (default today, in England).")] as_of: Option<Date>,
        #[graphql(desc = "Narrows the list further.")] filter: Option<ActionFilterInput>,
        #[graphql(desc = "The order (default: most overdue first, then the plan's order).")]
        order_by: Option<ActionOrderInput>,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let day = day_or_today(ctx, as_of)?;
        let q = ActionQuery::new(filter, order_by, first, after)
            .only(deadlines::overdue(day, as_of.map(|d| d.0)), by_due_date());
        ActionConnection::load(ctx, &self.0, q).await
    }
    /// Actions due within `within` days of `asOf` (default today) and not BLUE or GREEN.
    #[allow(clippy::too_many_arguments)]
    async fn due_soon(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Days ahead of `asOf` to look (0-3660; both ends included).")] within: i32,
        #[graphql(desc = "The day to look ahead from (default today, in England).")] as_of: Option<
            Date,
        >,
        #[graphql(desc = "Narrows the list further.")] filter: Option<ActionFilterInput>,
        #[graphql(desc = "The order (default: soonest due first, then the plan's order).")]
        order_by: Option<ActionOrderInput>,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let day = day_or_today(ctx, as_of)?;
        let q = ActionQuery::new(filter, order_by, first, after).only(
            deadlines::due_soon(day, within, as_of.map(|d| d.0))?,
            by_due_date(),
        );
        ActionConnection::load(ctx, &self.0, q).await
    }
    /// Active actions, not BLUE, whose status has not been updated in the `days` days up to
    /// `asOf` (default today): no RAG update took effect in that time.
    #[allow(clippy::too_many_arguments)]
    async fn stale(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Days with no status taking effect that make an action stale (1-3660).")]
        days: i32,
        #[graphql(desc = "The day to judge on (default today, in England).")] as_of: Option<Date>,
        #[graphql(desc = "Narrows the list further.")] filter: Option<ActionFilterInput>,
        #[graphql(desc = "The order (default: the plan's order).")] order_by: Option<
            ActionOrderInput,
        >,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<ActionConnection> {
        let day = day_or_today(ctx, as_of)?;
        let q = ActionQuery::new(filter, order_by, first, after).only(
            deadlines::stale(day, days, as_of.map(|d| d.0))?,
            ActionOrder::default(),
        );
        ActionConnection::load(ctx, &self.0, q).await
    }
}
