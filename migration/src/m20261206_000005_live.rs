//! Live updates: webhooks and their transactional outbox.
//!
//! The audit trail already records every change in the change's own transaction, so it is the
//! event log: an event's id is its `audit_event.id`, never reused. Two triggers on
//! `audit_event` do the rest inside that same transaction, without a statement from the
//! server:
//! - a row in `webhook_outbox` for each active webhook of the plan that wants the event, so a
//!   delivery can never be lost (rolled back with the change, or kept until delivered);
//! - on PostgreSQL, `pg_notify('plan_api_events', <event id>[:w])`, which PostgreSQL sends
//!   only when the transaction commits, so every replica hears of committed changes only
//!   (`:w`: the change queued a webhook delivery).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Which events a webhook wants is two flags, so the trigger can test them.
const OUTBOX_INSERT: &str = "INSERT INTO webhook_outbox (webhook_id, event_id, created_at) \
     SELECT w.id, NEW.id, NEW.occurred_at FROM webhook w \
     WHERE w.plan_id = NEW.plan_id AND w.active \
     AND (w.on_action_changed OR (w.on_rag_updated AND NEW.operation = 'recordRagUpdate'))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhook")
                .col(pk_auto("id"))
                .col(integer("plan_id"))
                .col(text("url"))
                .col(boolean("on_rag_updated"))
                .col(boolean("on_action_changed"))
                // The ActionFilter, as JSON (null: every action the scope allows).
                .col(text_null("filter"))
                // Its scope, like a token's: a role, and for partners leads and work streams
                // (JSON lists).
                .col(string("role"))
                .col(text("leads"))
                .col(text("workstreams"))
                .col(text("secret"))
                .col(boolean("active"))
                .col(text("description"))
                .col(timestamp_with_time_zone("created_at"))
                .col(text("created_by"))
                .col(timestamp_with_time_zone("updated_at"))
                // Retry state: consecutive failures and when the next attempt may run.
                .col(integer("failures"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("webhook", "plan_id")
                        .to("plan", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_plan")
                .table("webhook")
                .col("plan_id")
                .take(),
        )
        .await?;
        // Pending deliveries only: a row goes when its event is delivered (or left out of the
        // webhook's scope). No foreign keys: deleting a webhook deletes its rows explicitly.
        m.create_table(
            Table::create()
                .table("webhook_outbox")
                .col(big_pk_auto("id"))
                .col(integer("webhook_id"))
                .col(integer("event_id"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_webhook_outbox")
                .table("webhook_outbox")
                .col("webhook_id")
                .col("event_id")
                .unique()
                .take(),
        )
        .await?;
        // Every attempt, delivered or not: what `webhookDeliveries` reads.
        m.create_table(
            Table::create()
                .table("webhook_attempt")
                .col(big_pk_auto("id"))
                .col(integer("webhook_id"))
                .col(integer("event_id"))
                .col(timestamp_with_time_zone("attempted_at"))
                .col(integer("duration_ms"))
                .col(integer_null("status_code"))
                .col(boolean("delivered"))
                .col(text_null("error"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_attempt")
                .table("webhook_attempt")
                .col("webhook_id")
                .col("id")
                .take(),
        )
        .await?;

        let db = m.get_connection();
        match m.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION plan_api_announce() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     DECLARE owed integer; \
                     BEGIN \
                       {OUTBOX_INSERT}; \
                       GET DIAGNOSTICS owed = ROW_COUNT; \
                       PERFORM pg_notify('plan_api_events', \
                         NEW.id::text || CASE WHEN owed > 0 THEN ':w' ELSE '' END); \
                       RETURN NULL; \
                     END $$"
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_event_announce AFTER INSERT ON audit_event \
                     FOR EACH ROW WHEN (NEW.object_type = 'Action') \
                     EXECUTE FUNCTION plan_api_announce()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER audit_event_announce AFTER INSERT ON audit_event \
                     FOR EACH ROW WHEN NEW.object_type = 'Action' \
                     BEGIN {OUTBOX_INSERT}; END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_event_announce ON audit_event")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS plan_api_announce()")
                .await?;
        } else {
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_event_announce")
                .await?;
        }
        for t in ["webhook_attempt", "webhook_outbox", "webhook"] {
            m.drop_table(Table::drop().table(t).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
