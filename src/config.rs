//! Runtime configuration, read once at startup from the environment (or CLI flags).
use std::net::SocketAddr;

/// Default database: a SQLite file under `./data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/plan-api.sqlite?mode=rwc";

#[derive(Debug, Clone, clap::Args)]
pub struct DbConfig {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    #[arg(long, env = "PLAN_API_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub db: DbConfig,
    /// Address to listen on.
    #[arg(long, env = "PLAN_API_BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// Largest page a connection field returns (`first`).
    #[arg(long, env = "PLAN_API_MAX_PAGE_SIZE", default_value_t = 100)]
    pub max_page_size: u64,
}

/// Settings the schema needs at request time, fixed at startup.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_page_size: u64,
    pub default_page_size: u64,
}

impl Limits {
    pub fn new(max_page_size: u64) -> Self {
        let max_page_size = max_page_size.max(1);
        Self {
            max_page_size,
            default_page_size: max_page_size.min(50),
        }
    }
}
