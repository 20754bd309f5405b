//! Registering webhooks, and reading them and their delivery attempts back. Admins only;
//! every change is audited like any other write. A webhook's secret is never read back.
use entity::{plan, webhook, webhook_attempt, webhook_outbox, TextList, WebhookRole};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use super::target::TargetGuard;
use crate::actions::{resolve_filter, ActionFilter};
use crate::audit::{Begun, Subject, Writer};
use crate::auth::{Operation, Principal};
use crate::error::{AppError, AppResult};
use crate::live::EventKind;
use crate::plans::catalogue::{CatalogueCache, Catalogues};

/// Shortest secret accepted: the HMAC is only as strong as its key.
pub const MIN_SECRET_LEN: usize = 16;

/// A webhook as registered.
pub struct NewWebhook {
    pub plan: String,
    pub url: String,
    pub events: Vec<EventKind>,
    pub filter: Option<ActionFilter>,
    pub secret: String,
    pub role: WebhookRole,
    pub leads: Vec<String>,
    pub workstreams: Vec<String>,
    pub description: Option<String>,
}

/// What `updateWebhook` changes; `None` leaves a field as it is.
#[derive(Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<EventKind>>,
    /// `Some(None)` removes the filter.
    pub filter: Option<Option<ActionFilter>>,
    pub secret: Option<String>,
    pub role: Option<WebhookRole>,
    pub leads: Option<Vec<String>>,
    pub workstreams: Option<Vec<String>>,
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// The scope a webhook reads with: a principal of its role and scope, limited to its plan.
pub fn scope_of(w: &webhook::Model, plan_slug: &str) -> Principal {
    Principal::new(
        format!("webhook:{}", w.id),
        w.role.into(),
        None,
        w.leads.0.clone(),
        w.workstreams.0.clone(),
        Some(vec![plan_slug.to_string()]),
    )
}

/// The events a webhook wants.
pub fn events_of(w: &webhook::Model) -> Vec<EventKind> {
    let mut v = Vec::new();
    if w.on_rag_updated {
        v.push(EventKind::RagUpdated);
    }
    if w.on_action_changed {
        v.push(EventKind::ActionChanged);
    }
    v
}

/// The webhook's filter (none: every action its scope allows).
pub fn filter_of(w: &webhook::Model) -> AppResult<ActionFilter> {
    match &w.filter {
        None => Ok(ActionFilter::default()),
        Some(text) => Ok(serde_json::from_str(text)?),
    }
}

/// What the audit trail keeps of a webhook: everything but its secret.
fn snapshot(w: &webhook::Model) -> serde_json::Value {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Snapshot<'a> {
        url: &'a str,
        events: Vec<&'static str>,
        filter: Option<serde_json::Value>,
        role: WebhookRole,
        leads: &'a [String],
        workstreams: &'a [String],
        active: bool,
        description: &'a str,
    }
    serde_json::to_value(Snapshot {
        url: &w.url,
        events: events_of(w).into_iter().map(EventKind::as_str).collect(),
        filter: w
            .filter
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok()),
        role: w.role,
        leads: &w.leads,
        workstreams: &w.workstreams,
        active: w.active,
        description: &w.description,
    })
    .unwrap_or_default()
}

fn check_secret(secret: &str) -> AppResult<()> {
    if secret.chars().count() < MIN_SECRET_LEN {
        return Err(AppError::bad_input(format!(
            "`secret` must be at least {MIN_SECRET_LEN} characters"
        )));
    }
    Ok(())
}

fn check_events(events: &[EventKind]) -> AppResult<()> {
    if events.is_empty() {
        return Err(AppError::bad_input("`events` must name at least one event"));
    }
    Ok(())
}

fn check_scope(role: WebhookRole, leads: &[String], workstreams: &[String]) -> AppResult<()> {
    if role == WebhookRole::Partner && leads.is_empty() && workstreams.is_empty() {
        return Err(AppError::bad_input(
            "a partner webhook needs `leads` or `workstreams`: it would see no action",
        ));
    }
    Ok(())
}

/// The plan a webhook is for, as its catalogue (for checking the filter).
async fn plan_catalogue(
    db: &DatabaseConnection,
    cache: &CatalogueCache,
    who: &Principal,
    slug: &str,
) -> AppResult<std::sync::Arc<crate::plans::catalogue::Catalogue>> {
    let cats = Catalogues::new(db.clone(), cache.clone());
    crate::objects::visible_plan(&cats, who, slug)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no plan {slug:?}")))
}

fn to_json<T: Serialize>(v: &T) -> AppResult<String> {
    Ok(serde_json::to_string(v)?)
}

/// Registers a webhook (admins).
pub async fn create(
    w: &Writer,
    cache: &CatalogueCache,
    guard: &TargetGuard,
    who: &Principal,
    new: NewWebhook,
) -> AppResult<Listed> {
    who.require(Operation::CreateWebhook)?;
    let cat = plan_catalogue(w.db(), cache, who, &new.plan).await?;
    let url = guard.check(&new.url).await?;
    check_secret(&new.secret)?;
    check_events(&new.events)?;
    check_scope(new.role, &new.leads, &new.workstreams)?;
    if let Some(f) = &new.filter {
        resolve_filter(&cat, f, who)?;
    }
    let input = (&new.plan, url.as_str(), &new.filter);
    let Begun::Fresh(ch) = w.begin(who, Operation::CreateWebhook, None, &input).await? else {
        return Err(AppError::Internal("BUG: replay without a key".into()));
    };
    let have = webhook::Entity::find()
        .filter(webhook::Column::PlanId.eq(cat.id()))
        .count(ch.txn())
        .await?;
    if have >= super::MAX_WEBHOOKS_PER_PLAN as u64 {
        return Err(AppError::bad_input(format!(
            "plan {} already has {have} webhooks, the most a plan may have",
            cat.plan.slug
        )));
    }
    let now = ch.now();
    let row = webhook::ActiveModel {
        plan_id: Set(cat.id()),
        url: Set(url.to_string()),
        on_rag_updated: Set(new.events.contains(&EventKind::RagUpdated)),
        on_action_changed: Set(new.events.contains(&EventKind::ActionChanged)),
        filter: Set(new.filter.as_ref().map(to_json).transpose()?),
        role: Set(new.role),
        leads: Set(TextList(new.leads.clone())),
        workstreams: Set(TextList(new.workstreams.clone())),
        secret: Set(new.secret),
        active: Set(true),
        description: Set(new.description.unwrap_or_default()),
        created_at: Set(now),
        created_by: Set(who.sub.clone()),
        updated_at: Set(now),
        failures: Set(0),
        next_attempt_at: Set(now),
        ..Default::default()
    }
    .insert(ch.txn())
    .await?;
    ch.record(subject(&row), None, Some(snapshot(&row))).await?;
    ch.commit(&row.id).await?;
    Ok(Listed {
        webhook: row,
        plan: cat.plan.slug.clone(),
        pending: None,
    })
}

fn subject(w: &webhook::Model) -> Subject {
    Subject {
        kind: "Webhook",
        id: w.id,
        plan_id: Some(w.plan_id),
    }
}

/// A webhook by id with its plan's slug, if `who` reaches that plan.
async fn find<C: ConnectionTrait>(db: &C, who: &Principal, id: i32) -> AppResult<Listed> {
    let not_found = || AppError::not_found("no such webhook");
    let w = webhook::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let plan = plan_slug(db, w.plan_id).await?;
    if !who.sees_plan(&plan) {
        return Err(not_found());
    }
    Ok(Listed {
        webhook: w,
        plan,
        pending: None,
    })
}

/// A plan's slug by id.
async fn plan_slug<C: ConnectionTrait>(db: &C, plan_id: i32) -> AppResult<String> {
    plan::Entity::find_by_id(plan_id)
        .select_only()
        .column(plan::Column::Slug)
        .into_tuple::<String>()
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("no such plan"))
}

/// Changes a webhook (admins). Changing the URL, events, filter or scope applies to events
/// not yet delivered too.
pub async fn update(
    w: &Writer,
    cache: &CatalogueCache,
    guard: &TargetGuard,
    who: &Principal,
    id: i32,
    patch: WebhookPatch,
) -> AppResult<Listed> {
    who.require(Operation::UpdateWebhook)?;
    let Listed {
        webhook: current,
        plan: slug,
        ..
    } = find(w.db(), who, id).await?;
    let url = match &patch.url {
        Some(u) => Some(guard.check(u).await?.to_string()),
        None => None,
    };
    if let Some(s) = &patch.secret {
        check_secret(s)?;
    }
    if let Some(e) = &patch.events {
        check_events(e)?;
    }
    if let Some(Some(f)) = &patch.filter {
        let cat = plan_catalogue(w.db(), cache, who, &slug).await?;
        resolve_filter(&cat, f, who)?;
    }
    let role = patch.role.unwrap_or(current.role);
    let leads = match &patch.leads {
        Some(l) => l.clone(),
        None => current.leads.0.clone(),
    };
    let workstreams = match &patch.workstreams {
        Some(l) => l.clone(),
        None => current.workstreams.0.clone(),
    };
    check_scope(role, &leads, &workstreams)?;
    let input = (id, &url, &patch.filter, patch.active);
    let Begun::Fresh(ch) = w.begin(who, Operation::UpdateWebhook, None, &input).await? else {
        return Err(AppError::Internal("BUG: replay without a key".into()));
    };
    let mut row = current.clone().into_active_model();
    if let Some(u) = url {
        row.url = Set(u);
    }
    if let Some(e) = patch.events {
        row.on_rag_updated = Set(e.contains(&EventKind::RagUpdated));
        row.on_action_changed = Set(e.contains(&EventKind::ActionChanged));
    }
    if let Some(f) = patch.filter {
        row.filter = Set(f.as_ref().map(to_json).transpose()?);
    }
    if let Some(s) = patch.secret {
        row.secret = Set(s);
    }
    row.role = Set(role);
    row.leads = Set(TextList(leads));
    row.workstreams = Set(TextList(workstreams));
    if let Some(d) = patch.description {
        row.description = Set(d);
    }
    if let Some(a) = patch.active {
        row.active = Set(a);
        if a {
            // Reactivated: try at once.
            row.failures = Set(0);
            row.next_attempt_at = Set(ch.now());
        }
    }
    row.updated_at = Set(ch.now());
    let row = row.update(ch.txn()).await?;
    ch.record(
        subject(&row),
        Some(snapshot(&current)),
        Some(snapshot(&row)),
    )
    .await?;
    ch.commit(&row.id).await?;
    Ok(Listed {
        webhook: row,
        plan: slug,
        pending: None,
    })
}

/// Deletes a webhook and the deliveries it was still owed (admins). Its attempts stay, as
/// a record of what was sent.
pub async fn delete(w: &Writer, who: &Principal, id: i32) -> AppResult<Listed> {
    who.require(Operation::DeleteWebhook)?;
    let found = find(w.db(), who, id).await?;
    let current = &found.webhook;
    let Begun::Fresh(ch) = w.begin(who, Operation::DeleteWebhook, None, &id).await? else {
        return Err(AppError::Internal("BUG: replay without a key".into()));
    };
    webhook_outbox::Entity::delete_many()
        .filter(webhook_outbox::Column::WebhookId.eq(id))
        .exec(ch.txn())
        .await?;
    webhook::Entity::delete_by_id(id).exec(ch.txn()).await?;
    ch.record(subject(current), Some(snapshot(current)), None)
        .await?;
    ch.commit(&id).await?;
    Ok(found)
}

/// A webhook with its plan's slug and how many deliveries it is owed (when counted).
pub struct Listed {
    pub webhook: webhook::Model,
    pub plan: String,
    pub pending: Option<u64>,
}

/// The webhooks of the plans `who` reaches (admins), optionally of one plan, oldest first.
pub async fn list(
    db: &DatabaseConnection,
    who: &Principal,
    plan_slug_filter: Option<&str>,
) -> AppResult<Vec<Listed>> {
    who.require(Operation::ReadWebhooks)?;
    let plans: Vec<(i32, String)> = plan::Entity::find()
        .filter(who.plan_condition())
        .select_only()
        .column(plan::Column::Id)
        .column(plan::Column::Slug)
        .into_tuple()
        .all(db)
        .await?;
    let plans: Vec<(i32, String)> = plans
        .into_iter()
        .filter(|(_, s)| plan_slug_filter.is_none_or(|p| p == s))
        .collect();
    let hooks = webhook::Entity::find()
        .filter(webhook::Column::PlanId.is_in(plans.iter().map(|(id, _)| *id)))
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?;
    // How many deliveries each is owed, in one statement.
    let pending: Vec<(i32, i64)> = webhook_outbox::Entity::find()
        .select_only()
        .column(webhook_outbox::Column::WebhookId)
        .column_as(webhook_outbox::Column::Id.count(), "n")
        .filter(webhook_outbox::Column::WebhookId.is_in(hooks.iter().map(|h| h.id)))
        .group_by(webhook_outbox::Column::WebhookId)
        .into_tuple()
        .all(db)
        .await?;
    let out = hooks
        .into_iter()
        .map(|h| Listed {
            pending: Some(
                pending
                    .iter()
                    .find(|(id, _)| *id == h.id)
                    .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0)),
            ),
            plan: plans
                .iter()
                .find(|(id, _)| *id == h.plan_id)
                .map(|(_, s)| s.clone())
                .unwrap_or_default(),
            webhook: h,
        })
        .collect();
    Ok(out)
}

/// A webhook's delivery attempts, newest first, and whether more follow.
pub async fn attempts(
    db: &DatabaseConnection,
    who: &Principal,
    id: i32,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<webhook_attempt::Model>, bool)> {
    who.require(Operation::ReadWebhooks)?;
    find(db, who, id).await?;
    let mut rows = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::WebhookId.eq(id))
        .order_by_desc(webhook_attempt::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// How many delivery attempts webhook `id` has had (a page's `totalCount`). The caller has
/// already read a page through [`attempts`], which checked `who` may.
pub async fn attempt_count(db: &DatabaseConnection, id: i32) -> AppResult<u64> {
    Ok(webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::WebhookId.eq(id))
        .count(db)
        .await?)
}
