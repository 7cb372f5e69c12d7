//! The API's error type: a stable machine code, a human message and an HTTP status.
//! Causes are logged where they happen and never sent to clients.

pub mod responses;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    BadRequest(BadRequest),
    #[error("{message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    #[error("missing bearer token: send `Authorization: Bearer <token>`")]
    MissingToken,
    #[error("the access token is invalid or expired; log in again")]
    InvalidToken,
    #[error("the bearer token is not the metrics token (METRICS_TOKEN)")]
    InvalidMetricsToken,
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("that username is already taken")]
    UsernameTaken,
    #[error("registration is closed on this server: ask its operator for an account")]
    RegistrationClosed,
    #[error("no user with id {0}")]
    UserNotFound(i64),
    #[error("no message with id {0}")]
    MessageNotFound(i64),
    #[error("only the sender can change a message")]
    NotSender,
    #[error("the message was deleted")]
    MessageDeleted,
    #[error("no room with id {0}")]
    RoomNotFound(i64),
    #[error("join the room first")]
    NotAMember,
    #[error("only the room's owner can do that")]
    NotRoomOwner,
    #[error("a public room with that name already exists")]
    RoomNameTaken,
    #[error("people join and leave public rooms themselves")]
    RoomIsPublic,
    #[error("user {0} is not a member of the room")]
    MemberNotFound(i64),
    #[error("too many requests: try again in {} ms", .0.as_millis())]
    RateLimited(std::time::Duration),
    #[error("too many open sockets for this user (at most {0}): close one first")]
    TooManySockets(usize),
    #[error("the server is busy: try again in {} ms", .0.as_millis())]
    Busy(std::time::Duration),
    #[error("the database is unavailable: try again in {} ms", .0.as_millis())]
    Unavailable(std::time::Duration),
    #[error("the upload must be multipart/form-data with one part named `file`: {0}")]
    InvalidUpload(String),
    #[error("the file is larger than {0} bytes (ATTACHMENT_MAX_BYTES)")]
    AttachmentTooLarge(u64),
    #[error("your files would take more than {0} bytes (ATTACHMENT_QUOTA_BYTES): delete some messages with files first")]
    QuotaExceeded(u64),
    #[error("the image is {width}×{height} pixels: at most 40 megapixels are accepted")]
    ImageTooLarge { width: u32, height: u32 },
    #[error("the file looks like an image but cannot be decoded")]
    InvalidImage,
    #[error("no attachment with that id")]
    AttachmentNotFound,
    #[error("attachment {0} cannot be sent: it does not exist, is not yours, or is already in a message")]
    InvalidAttachment(String),
    #[error(
        "message {0} cannot be replied to: it is not a message of this chat, or it was deleted"
    )]
    ReplyTargetNotFound(i64),
    #[error("a reaction is exactly one emoji")]
    InvalidEmoji,
    #[error(
        "a message has at most {} different reactions",
        crate::domain::reactions::MAX_EMOJI
    )]
    TooManyReactions,
    #[error(
        "push endpoints must be https URLs of an allowed push service (PUSH_ENDPOINT_ALLOWLIST)"
    )]
    PushEndpointNotAllowed,
    #[error("the link has expired: take a fresh one from the message history")]
    LinkExpired,
    #[error("the link's signature is not valid")]
    InvalidLink,
    #[error("the requested range is not within the file")]
    RangeNotSatisfiable,
    #[error("no such endpoint or file")]
    RouteNotFound,
    #[error("this endpoint does not support that method")]
    MethodNotAllowed,
    #[error("the server could not complete the request")]
    Internal,
}

/// A request that could not be read at all: its body, query or path.
#[derive(Debug, thiserror::Error)]
pub enum BadRequest {
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body did not arrive within {} seconds", crate::api::BODY_TIMEOUT.as_secs())]
    BodyTimeout,
    #[error("request body must be JSON (Content-Type: application/json)")]
    NotJson,
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("request body has the wrong shape: {0}")]
    InvalidBody(String),
    #[error("invalid query string: {0}")]
    InvalidQuery(String),
    #[error("invalid path: {0}")]
    InvalidPath(String),
}

impl Error {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field,
            message: message.into(),
        }
    }

    /// How long a client should wait before trying again, when that helps.
    fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::RateLimited(wait) | Self::Busy(wait) | Self::Unavailable(wait) => Some(*wait),
            _ => None,
        }
    }

    pub fn retry_after_ms(&self) -> Option<u64> {
        self.retry_after()
            .map(|wait| u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1))
    }

    /// The stable, snake_case code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(bad) => match bad {
                BadRequest::PayloadTooLarge { .. } => "payload_too_large",
                BadRequest::BodyTimeout => "body_timeout",
                BadRequest::NotJson => "unsupported_content_type",
                BadRequest::MalformedJson(_) => "malformed_json",
                BadRequest::InvalidBody(_) => "invalid_body",
                BadRequest::InvalidQuery(_) => "invalid_query",
                BadRequest::InvalidPath(_) => "invalid_path",
            },
            Self::Validation { .. } => "validation_failed",
            Self::MissingToken => "missing_token",
            Self::InvalidToken | Self::InvalidMetricsToken => "invalid_token",
            Self::InvalidCredentials => "invalid_credentials",
            Self::UsernameTaken => "username_taken",
            Self::RegistrationClosed => "registration_closed",
            Self::UserNotFound(_) => "user_not_found",
            Self::MessageNotFound(_) => "message_not_found",
            Self::NotSender => "forbidden",
            Self::MessageDeleted => "message_deleted",
            Self::RoomNotFound(_) => "room_not_found",
            Self::NotAMember => "not_a_member",
            Self::NotRoomOwner => "not_room_owner",
            Self::RoomNameTaken => "room_name_taken",
            Self::RoomIsPublic => "room_is_public",
            Self::MemberNotFound(_) => "member_not_found",
            Self::RateLimited(_) => "rate_limited",
            Self::TooManySockets(_) => "too_many_sockets",
            Self::Busy(_) => "server_busy",
            Self::Unavailable(_) => "unavailable",
            Self::InvalidUpload(_) => "invalid_upload",
            Self::AttachmentTooLarge(_) => "attachment_too_large",
            Self::QuotaExceeded(_) => "quota_exceeded",
            Self::ImageTooLarge { .. } => "image_too_large",
            Self::InvalidImage => "invalid_image",
            Self::AttachmentNotFound => "attachment_not_found",
            Self::InvalidAttachment(_) => "invalid_attachment",
            Self::ReplyTargetNotFound(_) => "reply_target_not_found",
            Self::InvalidEmoji => "invalid_emoji",
            Self::TooManyReactions => "too_many_reactions",
            Self::PushEndpointNotAllowed => "push_endpoint_not_allowed",
            Self::LinkExpired => "link_expired",
            Self::InvalidLink => "invalid_link",
            Self::RangeNotSatisfiable => "range_not_satisfiable",
            Self::RouteNotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Internal => "internal_error",
        }
    }
}

/// Every API error: a stable machine code and a human message.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorBody)]
pub struct Body<'a> {
    /// The stable, snake_case code to match on, e.g. `validation_failed`.
    #[schema(example = "validation_failed")]
    error: &'a str,
    /// For people; may change.
    #[schema(example = "username must be 3 to 32 characters long")]
    message: String,
    /// The request field that failed validation (`validation_failed` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "username")]
    field: Option<&'a str>,
    /// How long to wait before trying again (`rate_limited`, `server_busy`,
    /// `unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_ms: Option<u64>,
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::InvalidUpload(_) => StatusCode::BAD_REQUEST,
            Self::Validation { .. }
            | Self::ImageTooLarge { .. }
            | Self::InvalidImage
            | Self::InvalidAttachment(_)
            | Self::ReplyTargetNotFound(_)
            | Self::InvalidEmoji
            | Self::TooManyReactions
            | Self::PushEndpointNotAllowed => StatusCode::UNPROCESSABLE_ENTITY,
            Self::AttachmentTooLarge(_) | Self::QuotaExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::LinkExpired | Self::InvalidLink => StatusCode::FORBIDDEN,
            Self::RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::MissingToken
            | Self::InvalidToken
            | Self::InvalidMetricsToken
            | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::UsernameTaken
            | Self::MessageDeleted
            | Self::RoomNameTaken
            | Self::RoomIsPublic => StatusCode::CONFLICT,
            Self::UserNotFound(_)
            | Self::MessageNotFound(_)
            | Self::RoomNotFound(_)
            | Self::MemberNotFound(_)
            | Self::AttachmentNotFound
            | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::NotSender | Self::NotAMember | Self::NotRoomOwner | Self::RegistrationClosed => {
                StatusCode::FORBIDDEN
            }
            Self::RateLimited(_) | Self::TooManySockets(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Busy(_) | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if matches!(
            self,
            Self::MissingToken | Self::InvalidToken | Self::InvalidMetricsToken
        ) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let Some(wait) = self.retry_after() {
            // Whole seconds, rounded up: a client that waits that long gets in.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response.insert_header(("Retry-After", seconds.max(1).to_string()));
        }
        response.json(Body {
            error: self.code(),
            message: self.to_string(),
            field: match self {
                Self::Validation { field, .. } => Some(field),
                _ => None,
            },
            retry_after_ms: self.retry_after_ms(),
        })
    }
}

/// How long a client is told to wait when the database cannot be reached: short,
/// since most outages are restarts, and the pool tries again on the next request.
pub const DB_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// Database failures are logged here, once: an unreachable database is an outage
/// (503 `unavailable`, try again), anything else a bare 500.
impl From<crate::db::Error> for Error {
    fn from(cause: crate::db::Error) -> Self {
        let error = Self::from(&cause);
        match error {
            Self::Unavailable(_) => log::warn!("database unavailable: {cause}"),
            _ => log::error!("database error: {cause}"),
        }
        error
    }
}

/// The one place database failures are classified, for callers that log the cause
/// themselves (the writer answers a whole batch from one failure).
impl From<&crate::db::Error> for Error {
    fn from(cause: &crate::db::Error) -> Self {
        if cause.is_unavailable() {
            Self::Unavailable(DB_RETRY_AFTER)
        } else {
            Self::Internal
        }
    }
}

/// A value its `parse()` refused: `422 validation_failed`, naming the field.
impl From<crate::domain::Invalid> for Error {
    fn from(invalid: crate::domain::Invalid) -> Self {
        Self::Validation {
            field: invalid.field,
            message: invalid.message,
        }
    }
}
