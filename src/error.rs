//! The one error type of the service layer, and its stable client-facing codes.
//!
//! Services return `Result<T, AppError>`; `graphql` maps it to an error with `extensions.code`
//! once, and `http` maps it to a status. Database and unexpected errors are logged here and shown
//! to clients only as "internal error", so no SQL or stack text ever leaks.
use sea_orm::DbErr;

// Deliberately not `Display`: async-graphql converts anything `Display` into an error without
// a code, so `?` would silently drop `extensions.code`. Without it, `?` goes through our own
// conversion in `graphql` and every error keeps its code.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    BadUserInput(String),
    VersionConflict(String),
    /// The change would duplicate something unique (an action's code in its plan).
    Conflict(String),
    /// Refused at the door, before any database work: limits, rate limits, HTTP rules.
    Refused(Refusal),
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// Why a request was refused before it ran. Each has its own stable code; the numbers a client
/// needs to adjust (the measured value and the limit, or when to retry) go into `extensions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The estimated number of fields the response would hold is over the limit.
    QueryTooComplex { cost: u64, limit: u64 },
    /// The estimated number of list items (objects) the response would hold is over the limit.
    TooManyNodes { nodes: u64, limit: u64 },
    /// Fields nested deeper than the limit.
    DepthLimit { depth: u64, limit: u64 },
    /// More aliased fields than the limit.
    AliasLimit { aliases: u64, limit: u64 },
    /// More top-level fields than the limit.
    RootFieldLimit { root_fields: u64, limit: u64 },
    /// The request body is larger than the limit (bytes).
    PayloadTooLarge { limit: u64 },
    /// A POST whose body is not `application/json` (what the GraphQL-over-HTTP spec allows).
    UnsupportedMediaType(String),
    /// The `Accept` header allows neither JSON response type.
    NotAcceptable(String),
    /// A mutation sent with GET.
    MutationOverGet,
    /// The token bucket of the caller is empty; retry after the given seconds.
    RateLimited { retry_after_secs: u64 },
    /// The request ran longer than the limit (seconds).
    Timeout { limit_secs: u64 },
    /// Not a well-formed GraphQL-over-HTTP request (the message says why).
    BadRequest(String),
    /// A persisted/trusted document id this server does not know.
    PersistedQueryNotFound,
    /// Only trusted documents run here, and this text is not one of them.
    DocumentNotAllowed,
    /// A subscriber fell this many events behind and was ended (it resubscribes and catches
    /// up with `ragChanges`).
    EventsMissed { missed: u64 },
    /// A connection asked for more subscriptions at once than the limit.
    TooManySubscriptions { limit: u64 },
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::QueryTooComplex { .. } => "QUERY_TOO_COMPLEX",
            Self::TooManyNodes { .. } => "TOO_MANY_NODES",
            Self::DepthLimit { .. } => "DEPTH_LIMIT",
            Self::AliasLimit { .. } => "ALIAS_LIMIT",
            Self::RootFieldLimit { .. } => "ROOT_FIELD_LIMIT",
            Self::PayloadTooLarge { .. } => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Self::NotAcceptable(_) => "NOT_ACCEPTABLE",
            Self::MutationOverGet => "METHOD_NOT_ALLOWED",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Timeout { .. } => "TIMEOUT",
            Self::BadRequest(_) => "BAD_REQUEST",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::DocumentNotAllowed => "DOCUMENT_NOT_ALLOWED",
            Self::EventsMissed { .. } => "EVENTS_MISSED",
            Self::TooManySubscriptions { .. } => "TOO_MANY_SUBSCRIPTIONS",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::QueryTooComplex { cost, limit } => format!(
                "query too complex: it may return about {cost} fields, the limit is {limit}; \
                 ask for smaller pages (`first`) or fewer nested lists"
            ),
            Self::TooManyNodes { nodes, limit } => format!(
                "query too large: it may return about {nodes} list items, the limit is {limit}; \
                 ask for smaller pages (`first`) or fewer nested lists"
            ),
            Self::DepthLimit { depth, limit } => {
                format!("query nested {depth} fields deep, the limit is {limit}")
            }
            Self::AliasLimit { aliases, limit } => {
                format!("query uses {aliases} aliases, the limit is {limit}")
            }
            Self::RootFieldLimit { root_fields, limit } => {
                format!("query asks for {root_fields} top-level fields, the limit is {limit}")
            }
            Self::PayloadTooLarge { limit } => {
                format!("request body larger than {limit} bytes")
            }
            Self::UnsupportedMediaType(got) => format!(
                "POST bodies must be `application/json` (got {got:?}); \
                 see the GraphQL-over-HTTP specification"
            ),
            Self::NotAcceptable(accept) => format!(
                "cannot answer in any type of `Accept: {accept}`; \
                 ask for application/graphql-response+json or application/json"
            ),
            Self::MutationOverGet => "mutations must be sent with POST".into(),
            Self::RateLimited { retry_after_secs } => {
                format!("rate limit reached; retry in {retry_after_secs} s")
            }
            Self::Timeout { limit_secs } => {
                format!("the request took longer than {limit_secs} s and was stopped")
            }
            Self::BadRequest(m) => m.clone(),
            Self::PersistedQueryNotFound => "PersistedQueryNotFound".into(),
            Self::DocumentNotAllowed => {
                "this server runs only registered (trusted) documents; send its `documentId`".into()
            }
            Self::EventsMissed { missed } => format!(
                "this subscription fell {missed} events behind and was ended; subscribe again \
                 and read what changed meanwhile with `ragChanges`"
            ),
            Self::TooManySubscriptions { limit } => {
                format!("at most {limit} subscriptions may run on one connection")
            }
        }
    }

    /// The numbers that go into `extensions` beside `code`.
    pub fn details(&self) -> Vec<(&'static str, u64)> {
        match *self {
            Self::QueryTooComplex { cost, limit } => vec![("cost", cost), ("limit", limit)],
            Self::TooManyNodes { nodes, limit } => vec![("nodes", nodes), ("limit", limit)],
            Self::DepthLimit { depth, limit } => vec![("depth", depth), ("limit", limit)],
            Self::AliasLimit { aliases, limit } => vec![("aliases", aliases), ("limit", limit)],
            Self::RootFieldLimit { root_fields, limit } => {
                vec![("rootFields", root_fields), ("limit", limit)]
            }
            Self::PayloadTooLarge { limit } => vec![("limit", limit)],
            Self::RateLimited { retry_after_secs } => vec![("retryAfter", retry_after_secs)],
            Self::Timeout { limit_secs } => vec![("limit", limit_secs)],
            Self::EventsMissed { missed } => vec![("missed", missed)],
            Self::TooManySubscriptions { limit } => vec![("limit", limit)],
            _ => Vec::new(),
        }
    }
}

impl AppError {
    /// The stable code clients branch on (`extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::VersionConflict(_) => "VERSION_CONFLICT",
            Self::Conflict(_) => "CONFLICT",
            Self::Refused(r) => r.code(),
            Self::Internal(_) => "INTERNAL",
        }
    }

    pub fn bad_input(msg: impl Into<String>) -> Self {
        Self::BadUserInput(msg.into())
    }

    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }

    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }

    /// The message a client may see; internal details are logged instead.
    pub fn client_message(&self) -> String {
        match self {
            Self::Unauthenticated(m) => format!("authentication required: {m}"),
            Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::BadUserInput(m)
            | Self::VersionConflict(m)
            | Self::Conflict(m) => m.clone(),
            Self::Refused(r) => r.message(),
            Self::Internal(source) => {
                tracing::error!(error = %source, "internal error");
                "internal error".to_string()
            }
        }
    }

    /// The full message, internal detail included: for the CLI and logs, never for clients.
    pub fn detail(&self) -> String {
        match self {
            Self::Internal(source) => format!("internal error: {source}"),
            other => other.client_message(),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // A unique index refusing a row is a conflict the client can act on (two requests
        // creating the same thing at once), not a fault of the server.
        if let Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return Self::Conflict(
                "another change created the same thing first; read it and try again".into(),
            );
        }
        Self::internal(err)
    }
}

impl From<sea_orm::sqlx::Error> for AppError {
    fn from(err: sea_orm::sqlx::Error) -> Self {
        Self::internal(err)
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        Self::internal(err)
    }
}

pub type AppResult<T> = Result<T, AppError>;
