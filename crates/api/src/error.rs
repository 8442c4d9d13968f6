//! The API's one error type.
//!
//! Services and repositories return [`Error`]; handlers pass it through with
//! `?`. Each variant has one status and one code. Client errors carry a
//! message meant for the client; [`Error::Database`] and [`Error::Internal`]
//! are logged with their cause and shown only as a request id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gokart_domain::Violations;
use gokart_edge::http::ErrorResponse;

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 404: the resource does not exist or belongs to someone else.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 422: one or more fields are invalid.
    #[error("validation failed")]
    Validation(Violations),
    /// 409: the request conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable snake_case code, e.g. `insufficient_stock`.
        code: &'static str,
        /// Explanation for the client.
        message: String,
    },
    /// 422 with its own code: the request names something that cannot be
    /// used that way, e.g. `variant_required` for a product with several
    /// variants where one must be chosen.
    #[error("{message}")]
    Unprocessable {
        /// Stable snake_case code.
        code: &'static str,
        /// The field it is about.
        field: &'static str,
        /// Explanation for the client.
        message: String,
    },
    /// 422 `discount_code_rejected`: the code does not apply, and why.
    #[error("{message}")]
    DiscountRefused {
        /// Why, in one snake_case word (e.g. `expired`).
        reason: &'static str,
        /// For people.
        message: &'static str,
    },
    /// 400: the request itself is malformed (code, message).
    #[error("{1}")]
    BadRequest(&'static str, &'static str),
    /// 413: a part of the body is over its own limit (bytes), e.g. an
    /// uploaded file.
    #[error("over {0} bytes")]
    TooLarge(usize),
    /// 401: missing or bad credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 403 with its own code: not allowed until the caller does something,
    /// e.g. `email_not_verified`.
    #[error("{message}")]
    NotYet {
        /// Stable snake_case code.
        code: &'static str,
        /// What to do, for the client.
        message: &'static str,
    },
    /// 429: too many attempts; retry after this many seconds.
    #[error("too many attempts")]
    RateLimited(u64),
    /// 503: a dependency is down; the client may retry.
    #[error("{0}")]
    Unavailable(&'static str),
    /// 500: a database failure we did not expect.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// 500: any other failure we did not expect.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A 409 with `code`.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict { code, message: message.into() }
    }

    /// A 422 `variant_required` about `field`: the product has several
    /// variants and the request must name one.
    pub fn variant_required(field: &'static str) -> Self {
        Error::Unprocessable {
            code: "variant_required",
            field,
            message: "this product comes in several variants; name the variant".to_owned(),
        }
    }

    /// A 422 for one field.
    pub fn invalid(field: &str, message: &str) -> Self {
        Error::Validation(Violations::single(field, message))
    }

    fn into_error_response(self) -> ErrorResponse {
        match self {
            Error::NotFound(what) => {
                ErrorResponse::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            Error::Validation(violations) => ErrorResponse::validation(violations.fields().clone()),
            Error::Conflict { code, message } => {
                ErrorResponse::new(StatusCode::CONFLICT, code, message)
            }
            Error::Unprocessable { code, field, message } => {
                ErrorResponse::unprocessable(code, field, message)
            }
            Error::DiscountRefused { reason, message } => {
                ErrorResponse::unprocessable("discount_code_rejected", "code", message)
                    .with_reason(reason)
            }
            Error::BadRequest(code, message) => {
                ErrorResponse::new(StatusCode::BAD_REQUEST, code, message)
            }
            Error::TooLarge(limit) => ErrorResponse::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the file may be at most {limit} bytes"),
            ),
            Error::Unauthorized(message) => {
                ErrorResponse::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
                    .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
            }
            Error::RateLimited(seconds) => ErrorResponse::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many attempts; wait before trying again",
            )
            .retry_after(seconds.max(1)),
            Error::Forbidden(message) => {
                ErrorResponse::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            Error::NotYet { code, message } => {
                ErrorResponse::new(StatusCode::FORBIDDEN, code, message)
            }
            Error::Unavailable(message) => {
                ErrorResponse::new(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", message)
                    .retry_after(1)
            }
            Error::Database(err) => database_error_response(err),
            Error::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "unexpected failure");
                ErrorResponse::internal()
            }
        }
    }
}

fn database_error_response(err: sqlx::Error) -> ErrorResponse {
    match err {
        sqlx::Error::RowNotFound => {
            ErrorResponse::new(StatusCode::NOT_FOUND, "not_found", "resource not found")
        }
        // numeric_value_out_of_range: a number the request led to does not
        // fit its column. Every input is bounded first; this is the backstop.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("22003") => {
            tracing::warn!(error = %db, "number out of range");
            ErrorResponse::new(
                StatusCode::CONFLICT,
                "out_of_range",
                "the change would take a number past what can be stored",
            )
        }
        err if is_transient(&err) => {
            tracing::error!(error = %err, "database unavailable");
            ErrorResponse::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "the database is unavailable; try again shortly",
            )
            .retry_after(1)
        }
        other => {
            tracing::error!(error = %other, "unexpected database failure");
            ErrorResponse::internal()
        }
    }
}

/// Whether `err` says the database could not be reached or went away (or
/// asked for the transaction to be tried again), rather than that the
/// request was wrong: those are 503s with `Retry-After`, never 500s.
fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 57P: shut down or restarting;
            // 53300: too many connections; 40001/40P01: serialization
            // failure or deadlock, which a retry resolves.
            code.starts_with("08")
                || code.starts_with("57P")
                || matches!(code.as_ref(), "53300" | "40001" | "40P01")
        }),
        _ => false,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.into_error_response().into_response()
    }
}

impl From<Violations> for Error {
    fn from(violations: Violations) -> Self {
        Error::Validation(violations)
    }
}

/// Turns a violated database constraint into the client error it stands for
/// (a taken email, say), leaving every other failure as it is.
pub trait OnConstraint<T> {
    /// Maps a violation of `constraint` to `error()`.
    fn on_constraint(self, constraint: &str, error: impl FnOnce() -> Error) -> Result<T>;
}

impl<T> OnConstraint<T> for std::result::Result<T, sqlx::Error> {
    fn on_constraint(self, constraint: &str, error: impl FnOnce() -> Error) -> Result<T> {
        self.map_err(|err| match &err {
            sqlx::Error::Database(db) if db.constraint() == Some(constraint) => error(),
            _ => Error::Database(err),
        })
    }
}
