//! Webhooks in the schema: `createWebhook`, `updateWebhook`, `deleteWebhook`, `webhooks` and
//! `webhookDeliveries` (admins). The rules live in `live::webhooks`.
use async_graphql::{Context, Enum, InputObject, Json, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{webhook, webhook_attempt};

use super::action::filter::ActionFilterInput;
use super::context::state;
use super::principal;
use super::relay::{cursor, offset_after, PageInfo};
use crate::error::AppError;
use crate::live::webhooks::registry::{self, events_of, Listed};
use crate::live::webhooks::{NewWebhook, WebhookPatch};
use crate::live::EventKind;

/// What a webhook is told about.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum WebhookEvent {
    /// A RAG status recorded (`recordRagUpdate`).
    RagUpdated,
    /// Any audited change of an action, status changes included.
    ActionChanged,
}

impl From<WebhookEvent> for EventKind {
    fn from(e: WebhookEvent) -> Self {
        match e {
            WebhookEvent::RagUpdated => Self::RagUpdated,
            WebhookEvent::ActionChanged => Self::ActionChanged,
        }
    }
}

impl From<EventKind> for WebhookEvent {
    fn from(e: EventKind) -> Self {
        match e {
            EventKind::RagUpdated => Self::RagUpdated,
            EventKind::ActionChanged => Self::ActionChanged,
        }
    }
}

/// The role a webhook reads with, as a token's role: it decides which actions' events it gets.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::WebhookRole")]
pub enum WebhookRole {
    /// Every action of the plan.
    Viewer,
    /// Actions one of `leads` leads or in one of `workstreams`.
    Partner,
}

fn decode_id(id: &ID) -> Result<i32> {
    id.parse::<i32>()
        .map_err(|_| AppError::bad_input(format!("{:?} is not a webhook id", id.as_str())).into())
}

/// Where and what to post. Deliveries are signed with `secret` (see docs/live.md).
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// The plan's slug.
    pub plan: String,
    /// The receiver: http(s), not this server, not a link-local address.
    pub url: String,
    /// The kinds of event to post (at least one).
    pub events: Vec<WebhookEvent>,
    /// Only actions this filter selects (checked when each event is delivered).
    pub filter: Option<ActionFilterInput>,
    /// The HMAC key (at least 16 characters); never returned.
    pub secret: String,
    /// Whose view of the plan the webhook has (default VIEWER: every action).
    pub role: Option<WebhookRole>,
    /// For PARTNER: person codes whose actions it gets.
    pub leads: Option<Vec<String>>,
    /// For PARTNER: work streams whose actions it gets.
    pub workstreams: Option<Vec<String>>,
    /// A note for admins (who receives it, why).
    pub description: Option<String>,
}

/// What to change; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateWebhookInput {
    /// The webhook's id (`Webhook.id`).
    pub id: ID,
    /// The new receiver (same rules as `createWebhook`).
    pub url: Option<String>,
    /// The kinds of event to post from now on.
    pub events: Option<Vec<WebhookEvent>>,
    /// The new filter; `clearFilter: true` removes it.
    pub filter: Option<ActionFilterInput>,
    /// Remove the filter: every action the scope allows.
    pub clear_filter: Option<bool>,
    /// A new HMAC key (at least 16 characters): deliveries from now on are signed with it.
    pub secret: Option<String>,
    /// Whose view of the plan the webhook has from now on.
    pub role: Option<WebhookRole>,
    /// For PARTNER: person codes whose actions it gets, replacing the list.
    pub leads: Option<Vec<String>>,
    /// For PARTNER: work streams whose actions it gets, replacing the list.
    pub workstreams: Option<Vec<String>>,
    /// A new note for admins.
    pub description: Option<String>,
    /// Pause (false) or resume (true) deliveries; events keep queueing while paused.
    pub active: Option<bool>,
}

/// A registered webhook (its secret is never shown).
pub struct Webhook {
    row: webhook::Model,
    plan: String,
    pending: Option<u64>,
}

/// A registered webhook: where a plan's events are posted, which ones, and whose view of the
/// plan decides (its secret is never shown).
#[Object]
impl Webhook {
    /// Its id (for `updateWebhook`, `deleteWebhook`, `webhookDeliveries`).
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    /// The plan's slug.
    async fn plan(&self) -> &str {
        &self.plan
    }
    /// The receiver events are posted to.
    async fn url(&self) -> &str {
        &self.row.url
    }
    /// The kinds of event it is sent.
    async fn events(&self) -> Vec<WebhookEvent> {
        events_of(&self.row).into_iter().map(Into::into).collect()
    }
    /// The action filter it was given, as JSON (null: none).
    async fn filter(&self) -> Option<Json<serde_json::Value>> {
        self.row
            .filter
            .as_deref()
            .and_then(|f| serde_json::from_str(f).ok())
            .map(Json)
    }
    /// `viewer` or `partner`.
    async fn role(&self) -> &str {
        self.row.role.as_str()
    }
    /// For `partner`: person codes whose actions it gets.
    async fn leads(&self) -> &[String] {
        &self.row.leads
    }
    /// For `partner`: work streams whose actions it gets.
    async fn workstreams(&self) -> &[String] {
        &self.row.workstreams
    }
    /// The note for admins (empty when none was given).
    async fn description(&self) -> &str {
        &self.row.description
    }
    /// Whether deliveries run (events queue either way).
    async fn active(&self) -> bool {
        self.row.active
    }
    /// When it was registered.
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    /// The admin token's subject that created it.
    async fn created_by(&self) -> &str {
        &self.row.created_by
    }
    /// When it was last changed (`updateWebhook`).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.row.updated_at
    }
    /// Failed attempts since the last delivered event.
    async fn consecutive_failures(&self) -> i32 {
        self.row.failures
    }
    /// When the next attempt may run (after a failure, the back-off).
    async fn next_attempt_at(&self) -> DateTime<Utc> {
        self.row.next_attempt_at
    }
    /// Events owed and not yet delivered (null right after a change). A paused webhook's
    /// events queue here until it is resumed.
    async fn pending_deliveries(&self) -> Option<u64> {
        self.pending
    }
    /// Events dropped from its queue because they waited (paused or failing) longer than the
    /// retention window (`PLAN_API_WEBHOOK_RETENTION`, 7 days by default).
    async fn dropped_events(&self) -> i32 {
        self.row.dropped
    }
}

impl From<Listed> for Webhook {
    fn from(l: Listed) -> Self {
        Self {
            row: l.webhook,
            plan: l.plan,
            pending: l.pending,
        }
    }
}

/// One attempt to deliver an event.
#[derive(SimpleObject, Clone)]
pub struct WebhookDelivery {
    /// The event's id (the `eventId` of the body and `X-Plan-Api-Event-Id`).
    event_id: i32,
    /// When the attempt started.
    attempted_at: DateTime<Utc>,
    /// How long the receiver took (ms).
    duration_ms: i32,
    /// The receiver's HTTP status; null when none came.
    status_code: Option<i32>,
    /// Whether the receiver accepted it (2xx).
    delivered: bool,
    /// Why it failed.
    error: Option<String>,
}

impl From<webhook_attempt::Model> for WebhookDelivery {
    fn from(a: webhook_attempt::Model) -> Self {
        Self {
            event_id: a.event_id,
            attempted_at: a.attempted_at,
            duration_ms: a.duration_ms,
            status_code: a.status_code,
            delivered: a.delivered,
            error: a.error,
        }
    }
}

/// A page of delivery attempts, newest first.
pub struct WebhookDeliveryConnection {
    webhook_id: i32,
    offset: u64,
    nodes: Vec<WebhookDelivery>,
    more: bool,
}

/// An edge to a delivery attempt.
#[derive(SimpleObject)]
pub struct WebhookDeliveryEdge {
    /// Pass as `after` to continue after this attempt.
    cursor: String,
    /// The attempt.
    node: WebhookDelivery,
}

/// A page of delivery attempts, newest first.
#[Object]
impl WebhookDeliveryConnection {
    /// The attempts of this page, with their cursors.
    async fn edges(&self) -> Vec<WebhookDeliveryEdge> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| WebhookDeliveryEdge {
                cursor: cursor(self.offset + i as u64),
                node: n.clone(),
            })
            .collect()
    }
    /// The attempts of this page.
    async fn nodes(&self) -> &[WebhookDelivery] {
        &self.nodes
    }
    /// Whether more attempts follow, and the cursor to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo::new(self.offset, self.nodes.len(), self.more)
    }
    /// How many attempts the webhook has had in all (one more statement; ask only when
    /// needed).
    async fn total_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(registry::attempt_count(&state(ctx)?.db, self.webhook_id).await?)
    }
}

/// The webhook a mutation registered, changed or deleted.
#[derive(SimpleObject)]
pub struct WebhookPayload {
    /// The webhook (as it was, for `deleteWebhook`).
    webhook: Webhook,
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Registered webhooks (admins), of one plan or of all the token reaches.
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A plan's slug; null: every plan the token reaches.")] plan: Option<
            String,
        >,
    ) -> Result<Vec<Webhook>> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        Ok(registry::list(&st.db, who, plan.as_deref())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A webhook's delivery attempts (admins), newest first.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id (`Webhook.id`).")] webhook_id: ID,
        #[graphql(desc = "How many to return: default 50, at most the server's maximum (100).")]
        first: Option<i32>,
        #[graphql(desc = "Continue after this cursor (the previous page's `endCursor`).")]
        after: Option<String>,
    ) -> Result<WebhookDeliveryConnection> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let limit = st.limits.page_size(first)?;
        let offset = offset_after(after.as_deref())?;
        let id = decode_id(&webhook_id)?;
        let (rows, more) = registry::attempts(&st.db, who, id, offset, limit).await?;
        Ok(WebhookDeliveryConnection {
            webhook_id: id,
            offset,
            nodes: rows.into_iter().map(Into::into).collect(),
            more,
        })
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook (admins). Events from now on are delivered at least once, signed.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan, the receiver, the events and the secret.")]
        input: CreateWebhookInput,
    ) -> Result<WebhookPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let created = registry::create(
            &st.writer,
            &st.catalogues,
            &st.webhook_targets,
            who,
            NewWebhook {
                plan: input.plan,
                url: input.url,
                events: input.events.into_iter().map(Into::into).collect(),
                filter: input.filter.map(Into::into),
                secret: input.secret,
                role: input.role.unwrap_or(WebhookRole::Viewer).into(),
                leads: input.leads.unwrap_or_default(),
                workstreams: input.workstreams.unwrap_or_default(),
                description: input.description,
            },
        )
        .await?;
        st.hub.wake_webhooks();
        Ok(WebhookPayload {
            webhook: created.into(),
        })
    }

    /// Changes a webhook (admins).
    async fn update_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook and what to change.")] input: UpdateWebhookInput,
    ) -> Result<WebhookPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let filter = match (input.filter, input.clear_filter.unwrap_or(false)) {
            (Some(_), true) => {
                return Err(AppError::bad_input("give `filter` or `clearFilter`, not both").into())
            }
            (_, true) => Some(None),
            (Some(f), false) => Some(Some(f.into())),
            (None, false) => None,
        };
        let updated = registry::update(
            &st.writer,
            &st.catalogues,
            &st.webhook_targets,
            who,
            decode_id(&input.id)?,
            WebhookPatch {
                url: input.url,
                events: input
                    .events
                    .map(|e| e.into_iter().map(Into::into).collect()),
                filter,
                secret: input.secret,
                role: input.role.map(Into::into),
                leads: input.leads,
                workstreams: input.workstreams,
                description: input.description,
                active: input.active,
            },
        )
        .await?;
        st.hub.wake_webhooks();
        Ok(WebhookPayload {
            webhook: updated.into(),
        })
    }

    /// Deletes a webhook and what it was still owed (admins). Returns it as it was.
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's id (`Webhook.id`).")] id: ID,
    ) -> Result<WebhookPayload> {
        let who = principal(ctx)?;
        let st = state(ctx)?;
        let deleted = registry::delete(&st.writer, who, decode_id(&id)?).await?;
        Ok(WebhookPayload {
            webhook: deleted.into(),
        })
    }
}
