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
    Internal(Box<dyn std::error::Error + Send + Sync>),
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
            | Self::VersionConflict(m) => m.clone(),
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
        Self::internal(err)
    }
}

impl From<serde_json::Error> for AppError {
    fn from(err: serde_json::Error) -> Self {
        Self::internal(err)
    }
}

pub type AppResult<T> = Result<T, AppError>;
