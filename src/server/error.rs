//! The one error type of the HTTP API. Every status code a handler can answer with other than
//! 2xx is decided here, and every error body is an RFC 9457 `application/problem+json` document.
//!
//! Internal failures (storage, a broken invariant) are logged with their cause and answered with
//! a generic 500: their messages may name hosts, files or SQL and are not for clients.

use super::i18n::{Lang, Text};
use crate::gis::stage::StageError;
use crate::gis::GisError;
use crate::store::StoreError;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use wangge_engine::edit::EditError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One reason an input was refused, naming the field (a query parameter, a header, or a JSON
/// path such as `features[3].geometry`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// An RFC 9457 problem. Boxed: handlers return `Result<_, ApiError>` everywhere, and a small
/// error keeps the happy path's `Result` small.
#[derive(Debug, Clone)]
pub struct ApiError(Box<ApiErrorInner>);

#[derive(Debug, Clone)]
pub struct ApiErrorInner {
    pub status: StatusCode,
    /// The last part of the problem type URI (`urn:wangge:problem:<slug>`).
    pub slug: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// The grid the problem is about (stale versions, conflicts, areas outside a planner's).
    pub grid: Option<String>,
    /// Why the server failed; logged, never sent.
    internal: Option<String>,
    /// The detail and field reasons in Chinese, when written (see [`super::i18n`]); the title
    /// comes from the slug. Without it a Chinese answer keeps the English detail.
    pub zh: Option<Localized>,
}

/// A problem's detail and field reasons in another language.
#[derive(Debug, Clone, Default)]
pub struct Localized {
    pub detail: String,
    pub errors: Vec<FieldError>,
}

/// The wire form of [`ApiError`].
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl std::ops::Deref for ApiError {
    type Target = ApiErrorInner;
    fn deref(&self) -> &ApiErrorInner {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorInner {
        &mut self.0
    }
}

impl ApiError {
    fn new(status: StatusCode, slug: &'static str, title: &'static str, detail: String) -> Self {
        ApiError(Box::new(ApiErrorInner {
            status,
            slug,
            title,
            detail,
            errors: vec![],
            grid: None,
            internal: None,
            zh: None,
        }))
    }

    /// The detail in Chinese (field reasons stay as given unless [`Self::with_zh_errors`]).
    pub fn with_zh(mut self, detail: impl Into<String>) -> Self {
        let errors = self.zh.take().map(|z| z.errors).unwrap_or_default();
        self.zh = Some(Localized {
            detail: detail.into(),
            errors,
        });
        self
    }

    /// The field reasons in Chinese.
    pub fn with_zh_errors(mut self, errors: Vec<FieldError>) -> Self {
        let detail = self
            .zh
            .take()
            .map(|z| z.detail)
            .unwrap_or_else(|| self.detail.clone());
        self.zh = Some(Localized { detail, errors });
        self
    }

    /// A problem whose detail is one fixed [`Text`], in both languages.
    fn text(status: StatusCode, slug: &'static str, title: &'static str, t: Text) -> Self {
        Self::new(status, slug, title, t.en().into()).with_zh(t.zh())
    }

    /// Bad input in one field: 400.
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        let (field, reason) = (field.into(), reason.into());
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "bad-input",
            "Bad input",
            format!("{field}: {reason}"),
        );
        e.errors.push(FieldError { field, reason });
        e
    }

    /// Bad input in several fields at once: 400.
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.reason))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = Self::new(StatusCode::BAD_REQUEST, "bad-input", "Bad input", detail);
        e.errors = errors;
        e
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            detail.into(),
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail.into(),
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            detail.into(),
        )
    }

    /// A planner's edit touching a grid outside the token's admin areas.
    pub fn outside_area(grid: &str, detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::FORBIDDEN,
            "outside-area",
            "Grid outside your areas",
            detail.into(),
        );
        e.grid = Some(grid.to_string());
        e
    }

    /// `If-Match` named a version that is not current: 412.
    pub fn stale(grid: &str, detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
            "The grid was changed by someone else",
            detail.into(),
        );
        e.grid = Some(grid.to_string());
        e
    }

    /// Found at commit: someone else's change was stored first: 409.
    pub fn conflict(grid: Option<&str>, detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::CONFLICT,
            "conflict",
            "Conflicting change",
            detail.into(),
        );
        e.grid = grid.map(str::to_string);
        e
    }

    /// The edit is understood but refused by the rules (not adjacent, breaks the hierarchy…): 422.
    pub fn refused(grid: Option<&str>, detail: impl Into<String>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "edit-refused",
            "Edit refused",
            detail.into(),
        );
        e.grid = grid.map(str::to_string);
        e
    }

    /// A problem for any status, titled with the status's reason phrase; used where the status
    /// was decided outside the handlers (limits, timeouts, axum's own rejections).
    pub fn from_status(status: StatusCode, detail: impl Into<String>) -> Self {
        let title = status.canonical_reason().unwrap_or("Error");
        let slug = match status.as_u16() {
            400 => "bad-input",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not-found",
            405 => "method-not-allowed",
            408 => "request-timeout",
            413 => "body-too-large",
            414 => "uri-too-long",
            415 => "unsupported-media-type",
            429 => "too-many-requests",
            431 => "headers-too-large",
            503 => "unavailable",
            s if s >= 500 => "internal",
            _ => "error",
        };
        let mut e = Self::new(status, slug, title, detail.into());
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            // Keep the cause for the log; clients see the generic message like any 5xx.
            e.internal = Some(e.detail.clone());
            e.detail = Text::InternalFailure.en().into();
            e = e.with_zh(Text::InternalFailure.zh());
        }
        e
    }

    /// Names the field the problem is about (keeps the detail).
    pub fn with_field(mut self, field: impl Into<String>, reason: impl Into<String>) -> Self {
        self.errors.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        });
        self
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "Request body too large",
            format!("the request body is larger than the limit of {limit} bytes"),
        )
    }

    pub fn unsupported_media(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            detail.into(),
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "this resource does not support the request's method".into(),
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail.into(),
        )
    }

    /// A server-side failure: `cause` is logged, the client sees a generic message.
    pub fn internal(cause: impl Into<String>) -> Self {
        let mut e = Self::text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            Text::InternalFailure,
        );
        e.internal = Some(cause.into());
        e
    }

    /// What went wrong on the server's side (logged, never sent), if this is a 500.
    pub fn internal_cause(&self) -> Option<&str> {
        self.internal.as_deref()
    }

    /// A problem whose detail is one fixed [`Text`] (401, 403, 404…), in both languages.
    pub fn unauthorized_text(t: Text) -> Self {
        Self::text(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            t,
        )
    }

    pub fn forbidden_text(t: Text) -> Self {
        Self::text(StatusCode::FORBIDDEN, "forbidden", "Forbidden", t)
    }

    pub fn not_found_text(t: Text) -> Self {
        Self::text(StatusCode::NOT_FOUND, "not-found", "Not found", t)
    }

    pub fn to_problem(&self) -> Problem {
        self.to_problem_in(Lang::En)
    }

    /// The problem document in `lang`: the same `type`, `status`, field names and grid in every
    /// language; title, detail and reasons translated where a translation exists.
    pub fn to_problem_in(&self, lang: Lang) -> Problem {
        let zh = self.zh.as_ref().filter(|_| lang.is_zh());
        Problem {
            type_: format!("urn:wangge:problem:{}", self.slug),
            title: if lang.is_zh() {
                Text::title_of(self.slug).zh().to_string()
            } else {
                self.title.to_string()
            },
            status: self.status.as_u16(),
            detail: zh.map_or_else(|| self.detail.clone(), |z| z.detail.clone()),
            errors: match zh {
                Some(z) if !z.errors.is_empty() => z.errors.clone(),
                _ => self.errors.clone(),
            },
            grid: self.grid.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.detail)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.internal {
            tracing::error!(cause = %cause, "internal error");
        } else if self.status.is_server_error() {
            tracing::error!(detail = %self.detail, "server error");
        } else {
            tracing::debug!(status = self.status.as_u16(), detail = %self.detail, "refused");
        }
        let body = serde_json::to_vec(&self.to_problem()).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (self.status, body).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // The language layer writes the body again in the client's language from this.
        resp.extensions_mut().insert(self);
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Conflict {
                grid,
                expected,
                actual,
            } => ApiError::conflict(Some(&grid.0), e.to_string()).with_zh(if *actual == 0 {
                format!("网格 {grid} 已被他人修改：第 {expected} 版已不是当前版本（该网格已撤销）")
            } else {
                format!("网格 {grid} 已被他人修改：第 {expected} 版已不是当前版本（当前为第 {actual} 版）")
            }),
            StoreError::Invalid(m) => ApiError::conflict(None, m.clone()),
            StoreError::Stale { .. } => ApiError::conflict(None, e.to_string()),
            StoreError::Database { .. }
            | StoreError::Migrate { .. }
            | StoreError::Corrupt { .. }
            | StoreError::Encode { .. }
            | StoreError::Decode { .. }
            | StoreError::Sqlite { .. }
            | StoreError::Unsettled { .. }
            | StoreError::Worker { .. }
            | StoreError::Io { .. }
            | StoreError::UnknownOperation(_) => ApiError::internal(e.to_string()),
        }
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        let msg = e.to_string();
        match &e {
            EditError::UnknownGrid(id) => {
                let mut a = ApiError::not_found(msg);
                a.grid = Some(id.0.clone());
                a
            }
            // The engine only reports a conflict while planning when an expected version (from
            // If-Match) is not current.
            EditError::Conflict { grid, .. } => ApiError::stale(&grid.0, msg),
            EditError::IdInUse(id) => ApiError::conflict(Some(&id.0), msg),
            EditError::CodeInUse(_) => ApiError::conflict(None, msg),
            EditError::InvalidGeometry { grid, reason }
            | EditError::OutsideDistrict { grid, reason } => {
                let mut a = ApiError::field("geometry", reason.clone());
                a.detail = msg;
                a.grid = Some(grid.0.clone());
                a
            }
            EditError::DateBeforeVersion { grid, .. } => {
                let mut a = ApiError::field("date", msg);
                a.grid = Some(grid.0.clone());
                a
            }
            EditError::UnknownParent { grid, .. }
            | EditError::LineDoesNotSplit(grid)
            | EditError::LineSplitsIntoMany { grid, .. }
            | EditError::HasChildren { grid, .. }
            | EditError::BreaksComposite { grid, .. }
            | EditError::KeepNotMerged(grid)
            | EditError::NotAdjacent(grid, _)
            | EditError::DifferentParents(grid, _)
            | EditError::DifferentLayers(grid, _)
            | EditError::AmbiguousSharedBoundary(grid, _)
            | EditError::PathEndpoints(grid, _) => ApiError::refused(Some(&grid.0), msg),
            EditError::NoVertexAt { .. } => ApiError::refused(None, msg),
            // Each created problem is listed so that a client can show them on the map; the
            // `force_draft=true` parameter keeps such an edit as a draft.
            EditError::BreaksHierarchy(problems) => {
                let first = problems.first().and_then(|p| p.grids.first());
                let mut a = ApiError::refused(first.map(|g| g.0.as_str()), msg);
                a.errors = problems
                    .iter()
                    .map(|p| FieldError {
                        field: p.kind.as_str().to_string(),
                        reason: p.message.clone(),
                    })
                    .collect();
                a
            }
            // Applying a planned change set cannot fail unless the district and the plan
            // disagree: a server bug, not the client's input.
            EditError::Apply { .. } => ApiError::internal(msg),
        }
    }
}

/// A GIS file that cannot be read is the upload's fault: a 400 naming the field `file`. An
/// export that cannot be written is the server's: a 500 whose message (and cause) is logged.
/// (Query parameters such as `layer`, `crs` or `map` are named by their handlers.)
impl From<GisError> for ApiError {
    fn from(e: GisError) -> Self {
        match &e {
            GisError::Write(_) => {
                let mut cause = e.to_string();
                if let Some(c) = e.cause() {
                    cause = format!("{cause} (cause: {c:?})");
                }
                ApiError::internal(cause)
            }
            GisError::Open(_)
            | GisError::Crs(_)
            | GisError::Encoding(_)
            | GisError::Geometry(_)
            | GisError::Mapping(_)
            | GisError::Refused(_) => ApiError::field("file", e.to_string()),
        }
    }
}

/// An import that cannot be staged: a rejected file names the field `file` (400), validation
/// errors it would bring in are refused like an edit's (422), the store decides the rest.
impl From<StageError> for ApiError {
    fn from(e: StageError) -> Self {
        match e {
            StageError::Rejected(r) => ApiError::field("file", r.to_string()),
            StageError::Blocked(b) => {
                let first = b.problems.first().and_then(|p| p.grids.first());
                let mut a = ApiError::refused(first.map(|g| g.0.as_str()), b.message);
                a.errors = b
                    .problems
                    .iter()
                    .map(|p| FieldError {
                        field: p.kind.as_str().to_string(),
                        reason: p.message.clone(),
                    })
                    .collect();
                a
            }
            StageError::Store(e) => e.into(),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let mut e = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "Request body too large",
                r.body_text(),
            );
            e.errors.push(FieldError {
                field: "body".into(),
                reason: "larger than the configured limit (--max-body-bytes)".into(),
            });
            return e;
        }
        ApiError::field("body", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        // serde_urlencoded names the parameter in its message ("invalid digit… for key `limit`").
        ApiError::field("query", r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::field("path", r.body_text())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal(format!("worker task failed: {e}"))
    }
}
