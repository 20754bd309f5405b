//! Database migrations, shared by SQLite and PostgreSQL (one schema for both engines).
pub use sea_orm_migration::prelude::*;

mod m20261126_000001_plan_schema;
mod m20261127_000002_audit;
mod m20261127_000003_lifecycle;
mod m20261128_000004_read_path;
mod m20261206_000005_live;
mod m20261208_000006_paused_webhooks_queue;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_plan_schema::Migration),
            Box::new(m20261127_000002_audit::Migration),
            Box::new(m20261127_000003_lifecycle::Migration),
            Box::new(m20261128_000004_read_path::Migration),
            Box::new(m20261206_000005_live::Migration),
            Box::new(m20261208_000006_paused_webhooks_queue::Migration),
        ]
    }
}
