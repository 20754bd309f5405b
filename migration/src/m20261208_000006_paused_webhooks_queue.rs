//! Paused webhooks keep queueing, as documented: the outbox trigger no longer asks whether a
//! webhook is active (the deliverer does, when it picks one to deliver to), so a webhook that
//! is paused and resumed gets every event made meanwhile, in order. What waits longer than
//! the retention window is dropped by the deliverer and counted in `webhook.dropped`.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// As in `m20261206_000005_live`, without `AND w.active`.
const OUTBOX_INSERT: &str = "INSERT INTO webhook_outbox (webhook_id, event_id, created_at) \
     SELECT w.id, NEW.id, NEW.occurred_at FROM webhook w \
     WHERE w.plan_id = NEW.plan_id \
     AND (w.on_action_changed OR (w.on_rag_updated AND NEW.operation = 'recordRagUpdate'))";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every engine: on SQLite the migrator would otherwise run each
    /// statement on any connection of the pool, and the trigger's drop and re-creation must
    /// see each other.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("webhook")
                // Events dropped from its queue because they waited past the retention window.
                .add_column(integer("dropped").default(0))
                .take(),
        )
        .await?;
        install(m, OUTBOX_INSERT).await?;
        // The outbox is read by webhook and age when old rows are dropped.
        m.create_index(
            Index::create()
                .name("ix_webhook_outbox_age")
                .table("webhook_outbox")
                .col("created_at")
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_webhook_outbox_age")
                .table("webhook_outbox")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("webhook")
                .drop_column("dropped")
                .take(),
        )
        .await?;
        install(
            m,
            &OUTBOX_INSERT.replace(
                "WHERE w.plan_id = NEW.plan_id",
                "WHERE w.plan_id = NEW.plan_id AND w.active",
            ),
        )
        .await
    }
}

/// The outbox trigger with `insert` as its outbox statement.
async fn install(m: &SchemaManager<'_>, insert: &str) -> Result<(), DbErr> {
    let db = m.get_connection();
    match m.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            // Replaced in place: the trigger that calls it stays.
            db.execute_unprepared(&format!(
                "CREATE OR REPLACE FUNCTION plan_api_announce() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 DECLARE owed integer; \
                 BEGIN \
                   {insert}; \
                   GET DIAGNOSTICS owed = ROW_COUNT; \
                   PERFORM pg_notify('plan_api_events', \
                     NEW.id::text || CASE WHEN owed > 0 THEN ':w' ELSE '' END); \
                   RETURN NULL; \
                 END $$"
            ))
            .await?;
        }
        _ => {
            db.execute_unprepared("DROP TRIGGER IF EXISTS audit_event_announce")
                .await?;
            db.execute_unprepared(&format!(
                "CREATE TRIGGER audit_event_announce AFTER INSERT ON audit_event \
                 FOR EACH ROW WHEN NEW.object_type = 'Action' \
                 BEGIN {insert}; END"
            ))
            .await?;
        }
    }
    Ok(())
}
