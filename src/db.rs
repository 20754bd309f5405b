//! Connecting, migrating and first-start seeding. The URL decides the engine.
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
    PaginatorTrait,
};

use crate::error::{AppError, AppResult};
use crate::plans;

/// Opens the database; for SQLite, creates the file's folder first so that the default
/// `./data/plan-api.sqlite` works on a fresh checkout.
pub async fn connect(url: &str) -> AppResult<DatabaseConnection> {
    if let Some(path) = sqlite_path(url) {
        if let Some(dir) = std::path::Path::new(path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    AppError::Internal(format!("cannot create {}: {e}", dir.display()).into())
                })?;
            }
        }
    }
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false);
    // sqlx pings a pooled connection on every checkout by default: a second round trip for
    // every statement. Only a connection idle long enough to have been dropped (a database
    // restart, a proxy's idle timeout) is checked first.
    opts.test_before_acquire_if_idle_for(std::time::Duration::from_secs(30));
    // Every statement is prepared once per connection and run with parameters. PostgreSQL
    // plans such a statement again on every run unless its generic plan looks no worse; with
    // LIMIT and filter values as parameters it rarely does, and planning then cost more than
    // running (W1: 0.42 -> 0.29 ms of PostgreSQL CPU per request). Every query here is scoped
    // to one plan's rows through an index, where the generic plan is the plan.
    opts.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_generic_plan")]));
    if sqlite_path(url).is_some() {
        // One SQLite file serialises writers anyway; a small pool avoids lock churn.
        opts.max_connections(8);
    } else {
        opts.max_connections(20);
    }
    let db = Database::connect(opts).await?;
    if sqlite_path(url).is_some() {
        // WAL lets readers proceed while a writer commits; the busy timeout makes writers queue
        // instead of failing with "database is locked".
        db.execute_unprepared(
            "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
        )
        .await?;
    }
    Ok(db)
}

/// `n` bind placeholders numbered from `from`, as the backend writes them (`$3` or `?`), for
/// the few statements written as SQL text (window functions the query builder lacks).
pub fn placeholders(backend: DbBackend, from: usize, n: usize) -> Vec<String> {
    (from..from + n)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => "?".to_string(),
        })
        .collect()
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

pub async fn migrate(db: &DatabaseConnection) -> AppResult<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Migrates, and on an empty database loads the embedded Herefordshire plan.
/// Returns the import report when it loaded the plan.
pub async fn prepare(db: &DatabaseConnection) -> AppResult<Option<plans::ImportReport>> {
    migrate(db).await?;
    let plans = entity::plan::Entity::find().count(db).await?;
    if plans > 0 {
        return Ok(None);
    }
    let report = plans::import_plan_file(
        db,
        plans::HEREFORDSHIRE_PLAN_JSON.as_bytes(),
        plans::HEREFORDSHIRE_PLAN_FILE,
    )
    .await?;
    Ok(Some(report))
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;

    #[test]
    fn sqlite_paths_are_recognised() {
        assert_eq!(
            sqlite_path("sqlite://data/x.sqlite?mode=rwc"),
            Some("data/x.sqlite")
        );
        assert_eq!(sqlite_path("sqlite:///tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://localhost/test"), None);
    }
}
