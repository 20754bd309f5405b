//! Runtime configuration, read once at startup from the environment (or CLI flags).
use std::net::SocketAddr;

use crate::auth::{AuthSettings, KeySource};

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
    #[command(flatten)]
    pub auth: AuthConfig,
}

/// How bearer tokens are verified (and, with a shared secret, issued).
#[derive(Debug, Clone, clap::Args)]
pub struct AuthConfig {
    /// HS256 shared secret (at least 32 bytes). Without it or a public key, a secret is
    /// generated in the data folder on first start.
    #[arg(
        long,
        env = "PLAN_API_JWT_SECRET",
        hide_env_values = true,
        conflicts_with = "jwt_public_key"
    )]
    pub jwt_secret: Option<String>,
    /// Path to a PEM public key (RSA → RS256, EC P-256 → ES256) from your identity provider.
    #[arg(long, env = "PLAN_API_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<std::path::PathBuf>,
    /// Accepted `iss`.
    #[arg(long, env = "PLAN_API_JWT_ISSUER", default_value = "plan-api")]
    pub jwt_issuer: String,
    /// Accepted `aud`.
    #[arg(long, env = "PLAN_API_JWT_AUDIENCE", default_value = "plan-api")]
    pub jwt_audience: String,
    /// Folder for files the server keeps (the generated secret).
    #[arg(long, env = "PLAN_API_DATA_DIR", default_value = "data")]
    pub data_dir: std::path::PathBuf,
}

impl AuthConfig {
    pub fn settings(&self) -> AuthSettings {
        let key = match (&self.jwt_secret, &self.jwt_public_key) {
            (Some(s), _) => KeySource::Secret(s.clone()),
            (None, Some(p)) => KeySource::PublicKeyFile(p.clone()),
            (None, None) => KeySource::GeneratedSecret {
                data_dir: self.data_dir.clone(),
            },
        };
        AuthSettings {
            key,
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
        }
    }
}

/// Settings the schema needs at request time, fixed at startup.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_page_size: u64,
    pub default_page_size: u64,
}

impl Limits {
    /// The page size for a connection's `first` (BAD_USER_INPUT over the maximum).
    pub fn page_size(&self, first: Option<i32>) -> crate::error::AppResult<u64> {
        crate::paging::page_size(first, self.default_page_size, self.max_page_size)
    }

    pub fn new(max_page_size: u64) -> Self {
        let max_page_size = max_page_size.max(1);
        Self {
            max_page_size,
            default_page_size: max_page_size.min(50),
        }
    }
}
