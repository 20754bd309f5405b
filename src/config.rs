//! Runtime configuration, read once at startup from the environment (or CLI flags).
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::admission::CostLimits;

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
    #[command(flatten)]
    pub serving: ServingConfig,
}

/// What protects and observes the server: request limits, rate limits, CORS, trusted
/// documents, logs, and how it stops.
#[derive(Debug, Clone, clap::Args)]
pub struct ServingConfig {
    /// Most fields a response may hold, as estimated from its document (lists multiply: pages
    /// by `first`, plain lists by their maximum).
    #[arg(long, env = "PLAN_API_MAX_COST", default_value_t = defaults::MAX_COST)]
    pub max_cost: u64,
    /// The same for requests without a token (they can only introspect); the standard
    /// introspection queries of GraphiQL, graphql-js, Apollo and Relay fit.
    #[arg(long, env = "PLAN_API_ANONYMOUS_MAX_COST", default_value_t = defaults::ANONYMOUS_MAX_COST)]
    pub anonymous_max_cost: u64,
    /// Most list items (objects) a response may be estimated to hold.
    #[arg(long, env = "PLAN_API_MAX_NODES", default_value_t = defaults::MAX_NODES)]
    pub max_nodes: u64,
    /// Deepest field nesting (introspection excepted).
    #[arg(long, env = "PLAN_API_MAX_DEPTH", default_value_t = defaults::MAX_DEPTH)]
    pub max_depth: u64,
    /// Most aliased fields in one document.
    #[arg(long, env = "PLAN_API_MAX_ALIASES", default_value_t = defaults::MAX_ALIASES)]
    pub max_aliases: u64,
    /// Most top-level fields in one operation.
    #[arg(long, env = "PLAN_API_MAX_ROOT_FIELDS", default_value_t = defaults::MAX_ROOT_FIELDS)]
    pub max_root_fields: u64,
    /// Longest document text in bytes (large values go in the variables).
    #[arg(long, env = "PLAN_API_MAX_DOCUMENT_BYTES", default_value_t = defaults::MAX_DOCUMENT_BYTES)]
    pub max_document_bytes: u64,
    /// Most lexical tokens in a document, counted before it is parsed.
    #[arg(long, env = "PLAN_API_MAX_TOKENS", default_value_t = defaults::MAX_TOKENS)]
    pub max_tokens: u64,
    /// Largest request body in bytes (413 beyond), and largest WebSocket message.
    /// `importPlan` carries a whole plan file.
    #[arg(long, env = "PLAN_API_MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES)]
    pub max_body_bytes: u64,
    /// Longest URL of a GET request or an export, in bytes (414 beyond).
    #[arg(long, env = "PLAN_API_MAX_URL_BYTES", default_value_t = defaults::MAX_URL_BYTES)]
    pub max_url_bytes: u64,
    /// Most WebSocket connections one token subject may hold open at once (per replica).
    #[arg(long, env = "PLAN_API_WS_MAX_CONNECTIONS", default_value_t = defaults::WS_MAX_CONNECTIONS)]
    pub ws_max_connections: usize,
    /// How often the server pings each WebSocket.
    #[arg(long, env = "PLAN_API_WS_PING_INTERVAL", default_value = "20s", value_parser = parse_duration)]
    pub ws_ping_interval: Duration,
    /// A WebSocket whose client sends nothing (not even a pong) for this long is closed.
    #[arg(long, env = "PLAN_API_WS_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub ws_idle_timeout: Duration,
    /// Longest a GraphQL request may run (`30s`, `500ms`, `2m`).
    #[arg(long, env = "PLAN_API_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Per-role token buckets: `role=N/s[:burst],...` (`/m`, `/h` too), `role=off`, or `off`.
    #[arg(long, env = "PLAN_API_RATE_LIMITS", default_value = crate::admission::rate::DEFAULT_RATE_LIMITS)]
    pub rate_limits: String,
    /// Origins (comma-separated, e.g. `https://intranet.example.gov.uk`) whose pages may call the API.
    #[arg(
        long,
        env = "PLAN_API_CORS_ORIGINS",
        default_value = "",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// A folder of `*.graphql` files or a persisted-query manifest: when set, only these
    /// documents run (by `documentId` / `persistedQuery` hash, or by their exact text).
    #[arg(long, env = "PLAN_API_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<std::path::PathBuf>,
    /// `text` or `json` (one JSON object per line, for log shippers).
    #[arg(long, env = "PLAN_API_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// After SIGTERM/SIGINT, how long `/readyz` fails while the server still accepts requests,
    /// so that load balancers stop sending before it stops listening.
    #[arg(long, env = "PLAN_API_SHUTDOWN_DELAY", default_value = "0s", value_parser = parse_duration)]
    pub shutdown_delay: Duration,
    /// Then how long in-flight requests may take to finish before the server exits anyway.
    #[arg(long, env = "PLAN_API_SHUTDOWN_GRACE", default_value = "20s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// Whether this replica delivers webhooks (any number of replicas may; each event goes
    /// out through one of them at a time).
    #[arg(long, env = "PLAN_API_WEBHOOKS", default_value_t = true, action = clap::ArgAction::Set)]
    pub webhooks: bool,
    /// Longest a webhook receiver may take to answer.
    #[arg(long, env = "PLAN_API_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub webhook_timeout: Duration,
    /// Delay before the first retry of a failed delivery; doubled per failure (with jitter).
    #[arg(long, env = "PLAN_API_WEBHOOK_RETRY_BASE", default_value = "1s", value_parser = parse_duration)]
    pub webhook_retry_base: Duration,
    /// Longest delay between retries.
    #[arg(long, env = "PLAN_API_WEBHOOK_RETRY_MAX", default_value = "10m", value_parser = parse_duration)]
    pub webhook_retry_max: Duration,
    /// How long events wait for a paused or failing webhook before they are dropped (and
    /// counted on it).
    #[arg(long, env = "PLAN_API_WEBHOOK_RETENTION", default_value = "7d", value_parser = parse_duration)]
    pub webhook_retention: Duration,
    /// Hosts webhooks may call although they are this machine or link-local (comma-separated;
    /// `*` for any), e.g. a receiver on the same host.
    #[arg(
        long,
        env = "PLAN_API_WEBHOOK_ALLOWED_HOSTS",
        default_value = "",
        value_delimiter = ','
    )]
    pub webhook_allowed_hosts: Vec<String>,
}

impl ServingConfig {
    /// The serving settings, checked: a bad rate limit or trusted-document source stops startup.
    pub fn settings(&self, limits: Limits) -> Result<Serving, String> {
        let rate = crate::admission::RatePolicy::parse(&self.rate_limits)?;
        let trusted = match &self.trusted_documents {
            Some(p) => Some(Arc::new(crate::admission::TrustedDocuments::load(p)?)),
            None => None,
        };
        let mut cors_origins = Vec::new();
        for o in self
            .cors_origins
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
        {
            let o = o.trim_end_matches('/');
            if !(o.starts_with("http://") || o.starts_with("https://"))
                || o.matches('/').count() > 2
            {
                return Err(format!(
                    "CORS origin {o:?}: expected scheme://host[:port], e.g. https://intranet.example.gov.uk"
                ));
            }
            cors_origins.push(o.to_string());
        }
        let cost = CostLimits {
            max_cost: self.max_cost,
            max_nodes: self.max_nodes,
            max_depth: self.max_depth,
            max_root_fields: self.max_root_fields,
            default_page_size: limits.default_page_size,
            max_page_size: limits.max_page_size,
        };
        Ok(Serving {
            door: crate::admission::DoorLimits {
                max_body_bytes: self.max_body_bytes,
                max_url_bytes: self.max_url_bytes,
                max_document_bytes: self.max_document_bytes,
                request_timeout: self.request_timeout,
                max_tokens: self.max_tokens,
                max_aliases: self.max_aliases,
                anonymous_cost: CostLimits {
                    max_cost: self.anonymous_max_cost.min(self.max_cost),
                    ..cost.clone()
                },
                cost,
            },
            sockets: crate::http::SocketSettings {
                max_connections: self.ws_max_connections.max(1),
                ping_every: self.ws_ping_interval.max(Duration::from_millis(100)),
                idle_timeout: self.ws_idle_timeout.max(Duration::from_millis(100)),
                send_timeout: Duration::from_secs(10),
            },
            rate,
            cors_origins,
            trusted,
            shutdown_delay: self.shutdown_delay,
            shutdown_grace: self.shutdown_grace,
            webhooks: crate::live::webhooks::WebhookSettings {
                deliver: self.webhooks,
                timeout: self.webhook_timeout,
                retry_base: self.webhook_retry_base,
                retry_max: self.webhook_retry_max.max(self.webhook_retry_base),
                retention: self.webhook_retention,
                allowed_hosts: self
                    .webhook_allowed_hosts
                    .iter()
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
                    .collect(),
            },
            clock: crate::clock::Clock::system(),
        })
    }
}

/// The checked serving settings `App` runs with.
#[derive(Debug, Clone)]
pub struct Serving {
    /// The door's limits: sizes, cost, the timeout.
    pub door: crate::admission::DoorLimits,
    /// The WebSocket's own rules.
    pub sockets: crate::http::SocketSettings,
    pub rate: crate::admission::RatePolicy,
    pub cors_origins: Vec<String>,
    pub trusted: Option<Arc<crate::admission::TrustedDocuments>>,
    pub shutdown_delay: Duration,
    pub shutdown_grace: Duration,
    pub webhooks: crate::live::webhooks::WebhookSettings,
    /// The clock requests and changes read: the system clock, unless code that embeds the
    /// server (a test) sets another.
    pub clock: crate::clock::Clock,
}

impl Serving {
    /// The defaults of the configuration table (what `plan-api` runs with when nothing is set).
    pub fn defaults(limits: Limits) -> Self {
        ServingConfig {
            max_cost: defaults::MAX_COST,
            anonymous_max_cost: defaults::ANONYMOUS_MAX_COST,
            max_nodes: defaults::MAX_NODES,
            max_depth: defaults::MAX_DEPTH,
            max_aliases: defaults::MAX_ALIASES,
            max_root_fields: defaults::MAX_ROOT_FIELDS,
            max_tokens: defaults::MAX_TOKENS,
            max_document_bytes: defaults::MAX_DOCUMENT_BYTES,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            max_url_bytes: defaults::MAX_URL_BYTES,
            ws_max_connections: defaults::WS_MAX_CONNECTIONS,
            ws_ping_interval: Duration::from_secs(20),
            ws_idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(defaults::REQUEST_TIMEOUT_SECS),
            rate_limits: crate::admission::rate::DEFAULT_RATE_LIMITS.into(),
            cors_origins: Vec::new(),
            trusted_documents: None,
            log_format: "text".into(),
            shutdown_delay: Duration::ZERO,
            shutdown_grace: Duration::from_secs(defaults::SHUTDOWN_GRACE_SECS),
            webhooks: true,
            webhook_timeout: Duration::from_secs(10),
            webhook_retry_base: Duration::from_secs(1),
            webhook_retry_max: Duration::from_secs(600),
            webhook_retention: Duration::from_secs(7 * 24 * 3600),
            webhook_allowed_hosts: Vec::new(),
        }
        .settings(limits)
        .expect("BUG: the serving defaults are not valid")
    }
}

/// The defaults of `ServingConfig`, in one place for the CLI and for `Serving::defaults`.
pub mod defaults {
    pub const MAX_COST: u64 = 50_000;
    pub const MAX_NODES: u64 = 20_000;
    pub const MAX_DEPTH: u64 = 12;
    pub const MAX_ALIASES: u64 = 30;
    pub const MAX_ROOT_FIELDS: u64 = 20;
    pub const ANONYMOUS_MAX_COST: u64 = 25_000;
    pub const MAX_TOKENS: u64 = 5_000;
    pub const MAX_DOCUMENT_BYTES: u64 = 100 * 1024;
    pub const MAX_BODY_BYTES: u64 = 2 * 1024 * 1024;
    pub const MAX_URL_BYTES: u64 = 16 * 1024;
    pub const WS_MAX_CONNECTIONS: usize = 10;
    pub const REQUEST_TIMEOUT_SECS: u64 = 30;
    pub const SHUTDOWN_GRACE_SECS: u64 = 20;
}

/// Parses `30s`, `500ms`, `2m`, `1h` or plain seconds; `0s` is allowed.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30s, 500ms, 2m"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        "d" => Ok(Duration::from_secs(n * 24 * 3600)),
        _ => Err(format!("{s:?}: the unit must be ms, s, m, h or d")),
    }
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
        conflicts_with = "jwt_public_key",
        value_parser = |s: &str| Ok::<_, std::convert::Infallible>(SecretString::from(s))
    )]
    pub jwt_secret: Option<SecretString>,
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

#[cfg(test)]
mod tests {
    use clap::Parser;
    use secrecy::ExposeSecret;

    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        auth: AuthConfig,
    }

    #[test]
    fn debug_output_never_shows_the_jwt_secret() {
        const SECRET: &str = "a-shared-secret-of-more-than-32-bytes-0123456789";
        let cli = Cli::try_parse_from(["plan-api", "--jwt-secret", SECRET]).expect("parses");
        let settings = cli.auth.settings();
        match &settings.key {
            KeySource::Secret(s) => assert_eq!(s.expose_secret(), SECRET),
            other => panic!("expected the configured secret, got {other:?}"),
        }
        for debug in [format!("{:?}", cli.auth), format!("{settings:?}")] {
            assert!(!debug.contains(SECRET), "{debug}");
            assert!(!debug.contains("0123456789"), "{debug}");
        }
    }
}
