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
    /// A token subject holds more WebSocket connections at once than the limit.
    TooManyConnections { limit: u64 },
    /// A GET request's URL is longer than the limit (bytes).
    UriTooLong { limit: u64 },
    /// The document's text is longer than the limit (bytes).
    DocumentTooLarge { bytes: u64, limit: u64 },
    /// The document has more lexical tokens than the limit (counted before it is parsed).
    TokenLimit { tokens: u64, limit: u64 },
    /// Brackets (`{`, `[`, `(`) in the document or the variables nest deeper than the limit.
    NestingLimit { depth: u64, limit: u64 },
    /// More operations in one document than the limit.
    OperationLimit { operations: u64, limit: u64 },
    /// More fragment definitions in one document than the limit.
    FragmentLimit { fragments: u64, limit: u64 },
    /// More directives in one document than the limit.
    DirectiveLimit { directives: u64, limit: u64 },
    /// An input value is over its documented bound (`input` names it, as `Type.field`).
    InputBound {
        input: String,
        unit: &'static str,
        got: u64,
        limit: u64,
    },
}

/// A value that goes into an error's `extensions` beside `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    Number(u64),
    Text(String),
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
            Self::TooManyConnections { .. } => "TOO_MANY_CONNECTIONS",
            Self::UriTooLong { .. } => "URI_TOO_LONG",
            Self::DocumentTooLarge { .. } => "DOCUMENT_TOO_LARGE",
            Self::TokenLimit { .. } => "TOKEN_LIMIT",
            Self::NestingLimit { .. } => "NESTING_LIMIT",
            Self::OperationLimit { .. } => "OPERATION_LIMIT",
            Self::FragmentLimit { .. } => "FRAGMENT_LIMIT",
            Self::DirectiveLimit { .. } => "DIRECTIVE_LIMIT",
            // A bound on a value the client chose: an input error like any other.
            Self::InputBound { .. } => "BAD_USER_INPUT",
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
            Self::TooManyConnections { limit } => {
                format!(
                    "at most {limit} WebSocket connections may be open at once per token subject"
                )
            }
            Self::UriTooLong { limit } => {
                format!("the URL is longer than {limit} bytes; POST the request instead")
            }
            Self::DocumentTooLarge { bytes, limit } => format!(
                "the document is {bytes} bytes long, the limit is {limit}; send large values as variables"
            ),
            Self::TokenLimit { tokens, limit } => {
                format!("the document has {tokens} or more tokens, the limit is {limit}")
            }
            Self::NestingLimit { depth, limit } => {
                format!("brackets nest {depth} or more deep, the limit is {limit}")
            }
            Self::OperationLimit { operations, limit } => {
                format!("the document has {operations} operations, the limit is {limit}")
            }
            Self::FragmentLimit { fragments, limit } => {
                format!("the document defines {fragments} fragments, the limit is {limit}")
            }
            Self::DirectiveLimit { directives, limit } => {
                format!("the document uses {directives} directives, the limit is {limit}")
            }
            Self::InputBound {
                input,
                unit,
                got,
                limit,
            } => {
                let what = match *unit {
                    _ if *limit == 0 => format!("may not hold {unit} ({got})"),
                    "as its offset" => format!("points beyond offset {limit} ({got})"),
                    "characters" => format!("is longer than {limit} {unit} ({got})"),
                    _ => format!("has more than {limit} {unit} ({got})"),
                };
                format!("`{input}` {what}; see the bounds in docs/operations.md")
            }
        }
    }

    /// What goes into `extensions` beside `code`: the measured value and the limit, or when
    /// to retry.
    pub fn details(&self) -> Vec<(&'static str, Detail)> {
        use Detail::Number as N;
        match self {
            Self::QueryTooComplex { cost, limit } => vec![("cost", N(*cost)), ("limit", N(*limit))],
            Self::TooManyNodes { nodes, limit } => vec![("nodes", N(*nodes)), ("limit", N(*limit))],
            Self::DepthLimit { depth, limit } | Self::NestingLimit { depth, limit } => {
                vec![("depth", N(*depth)), ("limit", N(*limit))]
            }
            Self::AliasLimit { aliases, limit } => {
                vec![("aliases", N(*aliases)), ("limit", N(*limit))]
            }
            Self::RootFieldLimit { root_fields, limit } => {
                vec![("rootFields", N(*root_fields)), ("limit", N(*limit))]
            }
            Self::TokenLimit { tokens, limit } => {
                vec![("tokens", N(*tokens)), ("limit", N(*limit))]
            }
            Self::DocumentTooLarge { bytes, limit } => {
                vec![("bytes", N(*bytes)), ("limit", N(*limit))]
            }
            Self::OperationLimit { operations, limit } => {
                vec![("operations", N(*operations)), ("limit", N(*limit))]
            }
            Self::FragmentLimit { fragments, limit } => {
                vec![("fragments", N(*fragments)), ("limit", N(*limit))]
            }
            Self::DirectiveLimit { directives, limit } => {
                vec![("directives", N(*directives)), ("limit", N(*limit))]
            }
            Self::InputBound {
                input, got, limit, ..
            } => vec![
                ("input", Detail::Text(input.clone())),
                ("got", N(*got)),
                ("limit", N(*limit)),
            ],
            Self::PayloadTooLarge { limit }
            | Self::UriTooLong { limit }
            | Self::TooManySubscriptions { limit }
            | Self::TooManyConnections { limit } => vec![("limit", N(*limit))],
            Self::RateLimited { retry_after_secs } => vec![("retryAfter", N(*retry_after_secs))],
            Self::Timeout { limit_secs } => vec![("limit", N(*limit_secs))],
            Self::EventsMissed { missed } => vec![("missed", N(*missed))],
            Self::UnsupportedMediaType(_)
            | Self::NotAcceptable(_)
            | Self::MutationOverGet
            | Self::BadRequest(_)
            | Self::PersistedQueryNotFound
            | Self::DocumentNotAllowed => Vec::new(),
        }
    }

    /// The HTTP status that carries this refusal.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::QueryTooComplex { .. }
            | Self::TooManyNodes { .. }
            | Self::DepthLimit { .. }
            | Self::AliasLimit { .. }
            | Self::RootFieldLimit { .. }
            | Self::TokenLimit { .. }
            | Self::DocumentTooLarge { .. }
            | Self::NestingLimit { .. }
            | Self::OperationLimit { .. }
            | Self::FragmentLimit { .. }
            | Self::DirectiveLimit { .. }
            | Self::InputBound { .. }
            | Self::BadRequest(_)
            | Self::PersistedQueryNotFound
            | Self::DocumentNotAllowed
            | Self::TooManySubscriptions { .. } => 400,
            Self::EventsMissed { .. } => 409,
            Self::PayloadTooLarge { .. } => 413,
            Self::UriTooLong { .. } => 414,
            Self::UnsupportedMediaType(_) => 415,
            Self::NotAcceptable(_) => 406,
            Self::MutationOverGet => 405,
            Self::RateLimited { .. } | Self::TooManyConnections { .. } => 429,
            Self::Timeout { .. } => 504,
        }
    }
}

/// The longest error message a client gets.
pub const MAX_MESSAGE_CHARS: usize = 1_000;

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

    /// What goes into `extensions` beside `code` (empty but for refusals).
    pub fn details(&self) -> Vec<(&'static str, Detail)> {
        match self {
            Self::Refused(r) => r.details(),
            _ => Vec::new(),
        }
    }

    /// The HTTP status of this error where it ends a request (exports, refusals at the door).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unauthenticated(_) => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::BadUserInput(_) => 400,
            Self::VersionConflict(_) | Self::Conflict(_) => 409,
            Self::Internal(_) => 500,
            Self::Refused(r) => r.http_status(),
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

    /// The message a client may see; internal details are logged instead. Never longer than
    /// `MAX_MESSAGE_CHARS`, whatever value a message quotes.
    pub fn client_message(&self) -> String {
        let message = self.full_client_message();
        if message.chars().count() <= MAX_MESSAGE_CHARS {
            return message;
        }
        let mut short: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
        short.push_str("… (shortened)");
        short
    }

    fn full_client_message(&self) -> String {
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
            other => other.full_client_message(),
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

/// At most a handful of a client's values, quoted, for an error message: a request with
/// 200,000 unknown codes gets a message of a few dozen bytes, not one that echoes them all.
pub fn some_of<T: std::fmt::Debug>(values: &[T]) -> String {
    first_of(values, 5)
}

/// The first `shown` values, quoted, and how many more there are.
pub fn first_of<T: std::fmt::Debug>(values: &[T], shown: usize) -> String {
    /// Longest a value is shown (a client's value may be long too).
    const CHARS: usize = 40;
    let mut listed: Vec<String> = values
        .iter()
        .take(shown)
        .map(|v| {
            let text = format!("{v:?}");
            if text.chars().count() > CHARS {
                format!("{}…", text.chars().take(CHARS).collect::<String>())
            } else {
                text
            }
        })
        .collect();
    if values.len() > shown {
        listed.push(format!("and {} more", values.len() - shown));
    }
    listed.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_of_names_a_handful_and_counts_the_rest() {
        assert_eq!(some_of(&["a", "b"]), r#""a", "b""#);
        let many: Vec<String> = (0..200_000).map(|i| format!("X{i}")).collect();
        let text = some_of(&many);
        assert!(text.ends_with("and 199995 more"), "{text}");
        assert!(text.len() < 80, "{text}");
        let long = ["y".repeat(10_000)];
        assert!(some_of(&long).chars().count() < 50);
    }

    #[test]
    fn every_refusal_has_a_status_and_its_numbers() {
        let r = Refusal::EventsMissed { missed: 7 };
        assert_eq!(r.http_status(), 409);
        assert_eq!(r.details(), vec![("missed", Detail::Number(7))]);
        let b = Refusal::InputBound {
            input: "ActionFilter.search".into(),
            unit: "words",
            got: 50_000,
            limit: 16,
        };
        assert_eq!(b.code(), "BAD_USER_INPUT");
        assert!(
            b.message().contains("ActionFilter.search"),
            "{}",
            b.message()
        );
    }
}
