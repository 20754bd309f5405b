//! Connecting, migrating and first-start seeding. The URL decides the engine.
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, PaginatorTrait, TransactionTrait,
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
        // Through the connect options, so every connection the pool opens has them (a
        // `PRAGMA` statement would reach only the one connection that ran it):
        // - WAL lets readers proceed while a writer commits, and with it `synchronous=NORMAL`
        //   keeps every committed transaction through a process crash (only a power loss
        //   can lose the last ones, never corrupt the file);
        // - the busy timeout makes writers queue instead of failing with "database is locked";
        // - foreign keys are enforced.
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        opts.max_connections(20);
        return Ok(Database::connect(opts).await?);
    }
    // A connection's first statements switch the file to WAL, which needs the file to
    // itself: a replica starting beside another that is creating the same new file can be
    // told "database is locked" without waiting (the busy timeout does not cover it). It
    // waits and tries again instead.
    let mut tries = 0;
    loop {
        match Database::connect(opts.clone()).await {
            Err(e) if tries < 50 && e.to_string().contains("database is locked") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            other => return Ok(other?),
        }
    }
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Applies pending migrations. Safe to run while other replicas serve (migrations only add)
/// and beside other migrators: they take turns (see `MigrationLock`).
pub async fn migrate(db: &DatabaseConnection) -> AppResult<()> {
    let lock = MigrationLock::acquire(db).await?;
    Migrator::up(db, None).await?;
    lock.release().await
}

/// Migrates, and on an empty database loads the embedded Herefordshire plan, under the
/// migration lock, so replicas starting together neither migrate nor load twice at once.
/// Returns the import report when it loaded the plan.
pub async fn prepare(db: &DatabaseConnection) -> AppResult<Option<plans::ImportReport>> {
    let lock = MigrationLock::acquire(db).await?;
    Migrator::up(db, None).await?;
    let plans = entity::plan::Entity::find().count(db).await?;
    let report = if plans > 0 {
        None
    } else {
        Some(
            plans::import_plan_file(
                db,
                plans::HEREFORDSHIRE_PLAN_JSON.as_bytes(),
                plans::HEREFORDSHIRE_PLAN_FILE,
            )
            .await?,
        )
    };
    lock.release().await?;
    Ok(report)
}

/// Serialises migrators. On PostgreSQL, a transaction-scoped advisory lock on a connection of
/// its own (the migrations run on others; the lock goes when that transaction ends, even if
/// the process dies). On SQLite, an exclusive `flock` on `<file>.migrate-lock` beside the
/// database (a lock inside SQLite would block the migrations' own writes); the kernel
/// releases it when the process ends.
pub enum MigrationLock {
    Postgres(DatabaseTransaction),
    #[cfg(unix)]
    SqliteFile(std::fs::File),
    None,
}

/// The advisory lock's key: "plan-api" in ASCII.
const MIGRATION_LOCK_KEY: i64 = 0x706c_616e_2d61_7069;

impl MigrationLock {
    pub async fn acquire(db: &DatabaseConnection) -> AppResult<Self> {
        match db.get_database_backend() {
            DbBackend::Postgres => {
                let txn = db.begin().await?;
                txn.execute_unprepared(&format!(
                    "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
                ))
                .await?;
                Ok(Self::Postgres(txn))
            }
            #[cfg(unix)]
            DbBackend::Sqlite => {
                let options = db.get_sqlite_connection_pool().connect_options();
                let file = options.get_filename();
                if file.as_os_str().is_empty() || file == std::path::Path::new(":memory:") {
                    return Ok(Self::None);
                }
                let mut lock_path = file.as_os_str().to_owned();
                lock_path.push(".migrate-lock");
                let lock = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)
                    .map_err(AppError::internal)?;
                // Blocking, so on a thread of its own.
                let lock = tokio::task::spawn_blocking(move || {
                    use std::os::fd::AsRawFd;
                    // SAFETY: flock on a descriptor this function owns; no memory is shared.
                    let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
                    if rc == 0 {
                        Ok(lock)
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                })
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::internal)?;
                Ok(Self::SqliteFile(lock))
            }
            _ => Ok(Self::None),
        }
    }

    pub async fn release(self) -> AppResult<()> {
        match self {
            Self::Postgres(txn) => Ok(txn.commit().await?),
            // Closing the file releases the lock.
            #[cfg(unix)]
            Self::SqliteFile(file) => {
                drop(file);
                Ok(())
            }
            Self::None => Ok(()),
        }
    }
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
