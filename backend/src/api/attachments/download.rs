//! `GET /attachments/{id}` and `/thumbnail`: a file's bytes, for a signed link's
//! holder or a reader with a token, with ranges, an ETag, and headers that keep a
//! browser from running what it was not meant to.

use actix_files::HttpRange;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::TryStreamExt;
use serde::Deserialize;

use crate::api::openapi::{ErrorBody, Internal, Unavailable, Unreadable};
use crate::auth::AuthUser;
use crate::context::AppContext;
use crate::db::attachments::Attachment;
use crate::domain::AttachmentId;
use crate::error::Error;
use crate::media::kind;
use crate::media::links::{LinkError, Variant};
use crate::media::store::{self, Read};

/// A signed link's query (from `url`/`thumbnail_url`); leave both out to use a
/// bearer token instead.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Signed {
    /// Unix seconds after which the link stops working.
    expires: Option<i64>,
    /// The link's signature.
    sig: Option<String>,
}

/// How long browsers may keep a file: it never changes under its id.
const CACHE: &str = "private, max-age=3600";

/// The file, for its uploader or anyone who can see a message that carries it.
/// With a signed link's `expires` and `sig` (its `url`), no token is needed.
/// `Range` requests get 206.
#[utoipa::path(
    get,
    path = "/attachments/{id}",
    tag = "attachments",
    operation_id = "download_attachment",
    params(("id" = String, Path, description = "The attachment's id"), Signed),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The bytes. Raster images, audio and video inline; anything else `Content-Disposition: attachment` with `Content-Security-Policy: sandbox`. Always `X-Content-Type-Options: nosniff`, an `ETag` and `Cache-Control: private`", content_type = "*/*"),
        (status = 206, description = "The `Range` asked for (one range)", content_type = "*/*"),
        (status = 304, description = "`If-None-Match` matched the `ETag`"),
        Unreadable,
        (status = 401, description = "`missing_token` or `invalid_token`: no valid link and no valid token", body = ErrorBody),
        (status = 403, description = "`link_expired` (take a fresh link from the history) or `invalid_link` (tampered with)", body = ErrorBody,
            example = json!({"error": "link_expired", "message": "the link has expired: take a fresh one from the message history"})),
        (status = 404, description = "`attachment_not_found`: no such file, or not one you may read", body = ErrorBody),
        (status = 416, description = "`range_not_satisfiable`", body = ErrorBody),
        Internal,
        Unavailable,
    ),
)]
pub async fn download(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    signed: web::Query<Signed>,
) -> Result<HttpResponse, Error> {
    let attachment = find(&ctx, &req, &id, &signed, Variant::Original).await?;
    let etag = format!("\"{}\"", attachment.sha256);
    if let Some(unchanged) = not_modified(&req, &etag) {
        return Ok(unchanged);
    }
    let size = u64::try_from(attachment.size).unwrap_or(0);
    let range = match req.headers().get(header::RANGE) {
        Some(asked) => Some(range(asked, size)?),
        None => None,
    };
    let read = read(&ctx, &attachment.id, range.clone()).await?;
    let mut response = match range {
        Some(_) => HttpResponse::PartialContent(),
        None => HttpResponse::Ok(),
    };
    if range.is_some() {
        let (start, end) = (read.range.start, read.range.end.saturating_sub(1));
        response.insert_header((header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}")));
    }
    let inline = kind::is_inline(&attachment.content_type);
    if !inline {
        response.insert_header((header::CONTENT_SECURITY_POLICY, "sandbox"));
    }
    response
        .content_type(attachment.content_type.as_str())
        .insert_header(disposition(inline, &attachment.name))
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"));
    Ok(body(&mut response, read))
}

/// The thumbnail of an image: a JPEG of at most 320 px a side. Read like the file.
#[utoipa::path(
    get,
    path = "/attachments/{id}/thumbnail",
    tag = "attachments",
    operation_id = "attachment_thumbnail",
    params(("id" = String, Path, description = "The attachment's id"), Signed),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A JPEG", content_type = "image/jpeg"),
        (status = 304, description = "`If-None-Match` matched the `ETag`"),
        Unreadable,
        (status = 401, description = "`missing_token` or `invalid_token`", body = ErrorBody),
        (status = 403, description = "`link_expired` or `invalid_link`", body = ErrorBody),
        (status = 404, description = "`attachment_not_found`: no such file, not one you may read, or not an image", body = ErrorBody),
        Internal,
        Unavailable,
    ),
)]
pub async fn thumbnail(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    signed: web::Query<Signed>,
) -> Result<HttpResponse, Error> {
    let attachment = find(&ctx, &req, &id, &signed, Variant::Thumbnail).await?;
    if !attachment.has_thumbnail {
        return Err(Error::AttachmentNotFound);
    }
    let etag = format!("\"{}-thumbnail\"", attachment.sha256);
    if let Some(unchanged) = not_modified(&req, &etag) {
        return Ok(unchanged);
    }
    let read = read(&ctx, &crate::media::thumbnail_key(&attachment.id), None).await?;
    let mut response = HttpResponse::Ok();
    response
        .content_type("image/jpeg")
        .insert_header((header::ETAG, etag));
    Ok(body(&mut response, read))
}

/// The attachment the request may read: by a signed link, else by its token.
async fn find(
    ctx: &AppContext,
    req: &HttpRequest,
    id: &str,
    signed: &Signed,
    variant: Variant,
) -> Result<Attachment, Error> {
    let found = match (signed.expires, signed.sig.as_deref()) {
        (Some(expires), Some(sig)) => {
            let id = AttachmentId::parse(id).ok_or(Error::InvalidLink)?;
            ctx.media
                .links
                .check(id.as_str(), variant, expires, sig, Utc::now())
                .map_err(|e| match e {
                    LinkError::Invalid => Error::InvalidLink,
                    LinkError::Expired => Error::LinkExpired,
                })?;
            ctx.media.linked(id.as_str()).await?
        }
        (None, None) => {
            let caller = AuthUser::extract(req).await?;
            match AttachmentId::parse(id) {
                Some(id) => ctx.media.readable(id.as_str(), caller.id).await?,
                None => None,
            }
        }
        _ => return Err(Error::InvalidLink),
    };
    found.ok_or(Error::AttachmentNotFound)
}

fn not_modified(req: &HttpRequest, etag: &str) -> Option<HttpResponse> {
    let asked = req.headers().get(header::IF_NONE_MATCH)?.to_str().ok()?;
    let matches = asked
        .split(',')
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*");
    matches.then(|| {
        HttpResponse::NotModified()
            .insert_header((header::ETAG, etag.to_owned()))
            .insert_header((header::CACHE_CONTROL, CACHE))
            .finish()
    })
}

/// The one range asked for, within a file of `size` bytes.
fn range(asked: &header::HeaderValue, size: u64) -> Result<std::ops::Range<u64>, Error> {
    let asked = asked.to_str().map_err(|_| Error::RangeNotSatisfiable)?;
    let ranges = HttpRange::parse(asked, size).map_err(|_| Error::RangeNotSatisfiable)?;
    match ranges.as_slice() {
        [one] if one.length > 0 => Ok(one.start..one.start + one.length),
        _ => Err(Error::RangeNotSatisfiable),
    }
}

async fn read(
    ctx: &AppContext,
    key: &str,
    range: Option<std::ops::Range<u64>>,
) -> Result<Read, Error> {
    ctx.media.store.get(key, range).await.map_err(|e| match e {
        store::Error::NotFound { .. } => {
            log::error!("attachment {key} has a row but no object in the store");
            Error::AttachmentNotFound
        }
        e => {
            log::warn!("reading attachment {key}: {e}");
            Error::Unavailable(std::time::Duration::from_secs(5))
        }
    })
}

fn disposition(inline: bool, name: &str) -> ContentDisposition {
    // RFC 6266: an ASCII fallback for old clients, and the name itself in UTF-8.
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .filter(|c| !matches!(c, '"' | '\\'))
        .collect();
    ContentDisposition {
        disposition: if inline {
            DispositionType::Inline
        } else {
            DispositionType::Attachment
        },
        parameters: vec![
            DispositionParam::Filename(fallback),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}

fn body(response: &mut actix_web::HttpResponseBuilder, read: Read) -> HttpResponse {
    let length = read.range.end.saturating_sub(read.range.start);
    response
        .insert_header((header::CACHE_CONTROL, CACHE))
        .no_chunking(length)
        .streaming(read.bytes.map_err(|e| {
            log::warn!("streaming an attachment: {e}");
            actix_web::error::ErrorServiceUnavailable("the file store failed mid-way")
        }))
}
