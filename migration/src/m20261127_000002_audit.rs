//! Who changed what: the audit trail of every mutation, the idempotency keys integration
//! scripts retry with, and evidence submitted against actions.
//!
//! All three are append-only from the API's point of view: no mutation updates or deletes a
//! row here (idempotency keys are only ever inserted and read).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // No foreign keys: the trail must outlive what it describes (a deleted plan's history
        // is still evidence of who did what).
        m.create_table(
            Table::create()
                .table("audit_event")
                .col(pk_auto("id"))
                .col(integer_null("plan_id"))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(text("actor_sub"))
                .col(string("actor_role"))
                .col(text_null("actor_name"))
                .col(string("operation"))
                .col(string("object_type"))
                .col(integer("object_id"))
                // JSON snapshots of the object before and after (null for creations/deletions).
                .col(text_null("before"))
                .col(text_null("after"))
                .col(text_null("idempotency_key"))
                .take(),
        )
        .await?;
        // auditLog pages newest first by id, within whichever filter is given.
        for (name, cols) in [
            ("ix_audit_plan", &["plan_id", "id"][..]),
            ("ix_audit_object", &["object_type", "object_id", "id"][..]),
            ("ix_audit_actor", &["actor_sub", "id"][..]),
            ("ix_audit_operation", &["operation", "id"][..]),
            ("ix_audit_occurred", &["occurred_at", "id"][..]),
        ] {
            m.create_index(index(name, "audit_event", cols)).await?;
        }

        // One row per (token subject, key): a retry finds the first request and its result.
        m.create_table(
            Table::create()
                .table("idempotency_key")
                .col(string("actor_sub"))
                .col(string("key"))
                .col(string("operation"))
                // The canonical request (operation and input, key excluded) it was first sent with.
                .col(text("request"))
                // The ids of what the first request returned, as JSON.
                .col(text("result"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("actor_sub").col("key"))
                .take(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("evidence_record")
                .col(pk_auto("id"))
                .col(integer("action_id"))
                .col(text("what"))
                .col(text_null("source"))
                .col(text_null("reference"))
                .col(date_null("dated"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(text("recorded_by"))
                .foreign_key(
                    ForeignKey::create()
                        .from("evidence_record", "action_id")
                        .to("action", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_evidence_record_action",
            "evidence_record",
            &["action_id", "id"],
        ))
        .await?;
        // Imported actions are now spaced 1024 apart so that actions created through the API
        // slot in between without renumbering them (see plans::import::POSITION_GAP).
        m.get_connection()
            .execute_unprepared("UPDATE action SET position = position * 1024")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("UPDATE action SET position = position / 1024")
            .await?;
        for t in ["evidence_record", "idempotency_key", "audit_event"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
