//! Dashboard types: RAG counts now, as of a date, and over time.
use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use entity::rag_update;

use super::action::filter::{ActionFilterInput, RagStatusGql};
use super::action::Action;
use super::batch::ActionBatch;
use super::context::{batch_env, catalogues, state};
use super::principal;
use super::rag_update::RagUpdate;
use super::relay::{cursor, offset_after, PageInfo};
use super::scalars::Date;
use crate::actions::{self, ActionFilter, ResolvedFilter};
use crate::plans::catalogue::Catalogue;
use crate::rag::{self, Counts, GroupBy, Interval, RagStatus, Summary};
use std::sync::Arc;

/// How `ragSummary` groups actions (one level).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RagGroupBy {
    /// By theme.
    Theme,
    /// By the action's current work stream.
    Workstream,
    /// By lead person. An action with several leads counts under each.
    Lead,
    /// By source reference (`AA1`, `JD`, ...). An action citing several counts under each.
    Reference,
    /// By Ofsted area (OE, EHP, QP, LG) of the descriptors an action cites.
    OfstedArea,
}

impl From<RagGroupBy> for GroupBy {
    fn from(g: RagGroupBy) -> Self {
        match g {
            RagGroupBy::Theme => GroupBy::Theme,
            RagGroupBy::Workstream => GroupBy::Workstream,
            RagGroupBy::Lead => GroupBy::Lead,
            RagGroupBy::Reference => GroupBy::Reference,
            RagGroupBy::OfstedArea => GroupBy::OfstedArea,
        }
    }
}

/// Spacing of `ragTrend` points. Months, quarters and years add calendar months to `from`,
/// keeping its day of the month where the month has it (from 31 Jan: 28 Feb, 31 Mar...), so a
/// trend from a month's, quarter's or year's last day stays on last days.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TrendInterval {
    /// Every 7 days.
    Week,
    /// Every 14 days.
    Fortnight,
    /// Every calendar month.
    Month,
    /// Every 3 calendar months.
    Quarter,
    /// Every 12 calendar months.
    Year,
}

/// Actions with one RAG status.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct RagCount {
    /// The status.
    status: RagStatusGql,
    /// How many actions have it.
    count: u64,
}

/// Counts of one group (a theme, a work stream, a lead, ...).
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct RagGroup {
    /// Theme number, work-stream name, person code, reference code or Ofsted area.
    key: String,
    /// A name to show: the theme's, person's or reference's title or name (for work streams
    /// and Ofsted areas, the key again).
    label: String,
    /// Actions in the group, whatever their status.
    total: u64,
    /// Every status, zeros included.
    counts: Vec<RagCount>,
}

/// RAG counts of a plan's actions (active ones unless the filter asks for REMOVED).
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct RagSummary {
    /// The day counted as of; null for now.
    as_of: Option<Date>,
    /// Actions counted, whatever their status.
    total: u64,
    /// Every status, zeros included.
    counts: Vec<RagCount>,
    /// Groups with at least one action, in the plan's order.
    groups: Vec<RagGroup>,
}

fn counts(c: &Counts) -> Vec<RagCount> {
    RagStatus::ALL
        .iter()
        .map(|s| RagCount {
            status: (*s).into(),
            count: c.get(*s),
        })
        .collect()
}

impl From<Summary> for RagSummary {
    fn from(s: Summary) -> Self {
        Self {
            as_of: s.as_of.map(Date),
            total: s.total.total(),
            counts: counts(&s.total),
            groups: s
                .groups
                .into_iter()
                .map(|g| RagGroup {
                    total: g.counts.total(),
                    counts: counts(&g.counts),
                    key: g.key,
                    label: g.label,
                })
                .collect(),
        }
    }
}

/// The caller's filter on plan `plan_id`, narrowed to what it may see.
pub fn scoped_filter(
    ctx: &Context<'_>,
    cat: &Catalogue,
    filter: Option<ActionFilterInput>,
) -> Result<ResolvedFilter> {
    let who = principal(ctx)?;
    let filter: ActionFilter = filter.map(Into::into).unwrap_or_default();
    Ok(actions::resolve_filter(cat, &filter, who)?)
}

pub async fn summary(
    ctx: &Context<'_>,
    cat: &Arc<Catalogue>,
    group_by: Option<RagGroupBy>,
    as_of: Option<Date>,
    filter: Option<ActionFilterInput>,
) -> Result<RagSummary> {
    let client: ActionFilter = filter.map(Into::into).unwrap_or_default();
    let db = &state(ctx)?.db;
    let who = principal(ctx)?;
    // Names are resolved, and groups named, with the catalogue the counts were read under.
    let (_, s) = catalogues(ctx)?
        .read_checked(cat, |cat| {
            let client = &client;
            async move {
                let f = actions::resolve_filter(&cat, client, who)?;
                let counted =
                    rag::summary(db, &cat, &f, group_by.map(Into::into), as_of.map(|d| d.0))
                        .await?;
                Ok((counted.counts, counted.catalogue_version))
            }
        })
        .await?;
    Ok(s.into())
}

#[allow(clippy::too_many_arguments)]
pub async fn trend(
    ctx: &Context<'_>,
    cat: &Arc<Catalogue>,
    from: Date,
    to: Date,
    interval: TrendInterval,
    group_by: Option<RagGroupBy>,
    filter: Option<ActionFilterInput>,
) -> Result<Vec<RagSummary>> {
    let client: ActionFilter = filter.map(Into::into).unwrap_or_default();
    let db = &state(ctx)?.db;
    let who = principal(ctx)?;
    let interval = match interval {
        TrendInterval::Week => Interval::Week,
        TrendInterval::Fortnight => Interval::Fortnight,
        TrendInterval::Month => Interval::Month,
        TrendInterval::Quarter => Interval::Quarter,
        TrendInterval::Year => Interval::Year,
    };
    let (_, points) = catalogues(ctx)?
        .read_checked(cat, |cat| {
            let client = &client;
            async move {
                let f = actions::resolve_filter(&cat, client, who)?;
                let counted = rag::trend(
                    db,
                    &cat,
                    &f,
                    group_by.map(Into::into),
                    from.0,
                    to.0,
                    interval,
                )
                .await?;
                Ok((counted.counts, counted.catalogue_version))
            }
        })
        .await?;
    Ok(points.into_iter().map(Into::into).collect())
}

/// A status change and the action it changed.
#[derive(Clone)]
pub struct RagChange {
    action: Action,
    update: rag_update::Model,
}

/// A status change and the action it changed.
#[Object]
impl RagChange {
    /// The action, as it is now.
    async fn action(&self) -> &Action {
        &self.action
    }
    /// The history entry: the new status, the one before, the note, when and who.
    async fn rag_update(&self) -> RagUpdate {
        RagUpdate::new(self.update.clone())
    }
}

/// An edge to a status change.
#[derive(SimpleObject)]
pub struct RagChangeEdge {
    /// Pass as `after` to continue after this change.
    cursor: String,
    /// The change.
    node: RagChange,
}

/// A page of status changes, oldest first.
pub struct RagChangeConnection {
    filter: ResolvedFilter,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    offset: u64,
    changes: Vec<RagChange>,
    more: bool,
}

/// A page of status changes, oldest first.
#[Object]
impl RagChangeConnection {
    /// The changes of this page, each with its cursor.
    async fn edges(&self) -> Vec<RagChangeEdge> {
        self.changes
            .iter()
            .enumerate()
            .map(|(i, c)| RagChangeEdge {
                cursor: cursor(self.offset + i as u64),
                node: c.clone(),
            })
            .collect()
    }
    /// The changes of this page, without cursors.
    async fn nodes(&self) -> Vec<RagChange> {
        self.changes.clone()
    }
    /// Whether more changes follow, and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo::new(self.offset, self.changes.len(), self.more)
    }
    /// Number of changes in the period.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(rag::changes_count(&state(ctx)?.db, &self.filter, self.from, self.to).await?)
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn changes(
    ctx: &Context<'_>,
    cat: &Arc<Catalogue>,
    from: Date,
    to: Date,
    filter: Option<ActionFilterInput>,
    first: Option<i32>,
    after: Option<String>,
) -> Result<RagChangeConnection> {
    let st = state(ctx)?;
    let who = principal(ctx)?;
    let limit = st.limits.page_size(first)?;
    let offset = offset_after(after.as_deref())?;
    // Names are resolved, and groups named, with the catalogue as it is now.
    let cat = &catalogues(ctx)?.current(cat).await?;
    let f = scoped_filter(ctx, cat, filter)?;
    let (rows, more) = rag::changes(&st.db, &f, from.0, to.0, offset, limit).await?;
    // The changed actions, as one batch (one statement, and their relations batch too).
    let mut ids: Vec<i32> = rows.iter().map(|r| r.action_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let models = actions::by_ids(&st.db, who.visible_actions(), &ids).await?;
    let batch = ActionBatch::new(batch_env(ctx)?, models);
    let by_id: std::collections::HashMap<i32, Action> = Action::all_of(&batch)
        .into_iter()
        .map(|a| (a.id_value(), a))
        .collect();
    let changes = rows
        .into_iter()
        .filter_map(|update| {
            let action = by_id.get(&update.action_id)?.clone();
            Some(RagChange { action, update })
        })
        .collect();
    Ok(RagChangeConnection {
        filter: f,
        from: from.0,
        to: to.0,
        offset,
        changes,
        more,
    })
}
