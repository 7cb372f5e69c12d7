//! `POST /attachments`: one multipart part named `file`, streamed to the store.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::StreamExt;
use serde::Serialize;

use crate::api::openapi::{ErrorBody, Internal, Unauthorized, Unavailable};
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::attachments::{Attached, Attachment};
use crate::error::Error;
use crate::media::kind;
use crate::media::view::AttachmentView;

/// The form `POST /attachments` takes (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file. Its name is taken from the part's `filename`; its type is judged
    /// from its bytes.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A stored upload: send it with a message within `ATTACHMENT_UPLOAD_TTL`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Uploaded {
    #[serde(flatten)]
    view: AttachmentView,
    /// Hex SHA-256 of the bytes as stored (metadata is stripped from images).
    sha256: String,
}

/// Uploads a file (`curl -F file=@photo.jpg`). Images (JPEG, PNG, WebP, GIF) get
/// a thumbnail and lose their metadata (EXIF location above all), upright.
#[utoipa::path(
    post,
    path = "/attachments",
    tag = "attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored", body = Uploaded, example = json!({"id": "3q2-7wZ1Xb9yQk4rTn0aLw", "name": "beach.jpg", "content_type": "image/jpeg", "size": 482133, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "width": 4032, "height": 3024, "url": "/attachments/3q2-7wZ1Xb9yQk4rTn0aLw?expires=1796400000&sig=Zm9v", "thumbnail_url": "/attachments/3q2-7wZ1Xb9yQk4rTn0aLw/thumbnail?expires=1796400000&sig=YmFy"})),
        (status = 400, description = "`invalid_upload`: not multipart/form-data, or no part named `file`", body = ErrorBody,
            example = json!({"error": "invalid_upload", "message": "the upload must be multipart/form-data with one part named `file`: no part named `file`"})),
        Unauthorized,
        (status = 413, description = "`attachment_too_large` (over `ATTACHMENT_MAX_BYTES`; answered from `Content-Length` before the body is read) or `quota_exceeded` (`ATTACHMENT_QUOTA_BYTES`)", body = ErrorBody,
            example = json!({"error": "attachment_too_large", "message": "the file is larger than 26214400 bytes (ATTACHMENT_MAX_BYTES)"})),
        (status = 422, description = "`image_too_large` (over 40 megapixels) or `invalid_image` (an image that does not decode)", body = ErrorBody,
            example = json!({"error": "image_too_large", "message": "the image is 100000×100000 pixels: at most 40 megapixels are accepted"})),
        (status = 429, description = "`rate_limited`: uploads count against the send rate, and each user may have 4 uploads arriving at once", body = ErrorBody,
            example = json!({"error": "rate_limited", "message": "too many requests: try again in 200 ms", "retry_after_ms": 200})),
        Internal,
        Unavailable,
    ),
)]
pub async fn upload(
    ctx: web::Data<AppContext>,
    caller: AuthUser,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    let _arriving = ctx.media.arriving(caller.id)?;
    ctx.messaging.charge_upload(caller.id)?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    ctx.media.check_declared(caller.id, declared).await?;
    let mut form = Multipart::new(req.headers(), payload);
    while let Some(part) = form.next().await {
        let part = part.map_err(|e| Error::InvalidUpload(e.to_string()))?;
        if part.name() != Some("file") {
            // Other parts are read past (the file may follow them), never kept.
            continue;
        }
        let given = part.content_disposition().and_then(|d| d.get_filename());
        let name = kind::file_name(given);
        let stored = ctx.media.receive(caller.id, name, part).await?;
        return Ok(HttpResponse::Created().json(uploaded(&ctx, &stored)));
    }
    Err(Error::InvalidUpload("no part named `file`".into()))
}

fn uploaded(ctx: &AppContext, stored: &Attachment) -> Uploaded {
    Uploaded {
        view: ctx.media.links.view(&Attached::from(stored), Utc::now()),
        sha256: stored.sha256.clone(),
    }
}
