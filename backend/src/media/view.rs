//! An attachment as clients see it in frames, history and the upload's answer:
//! its facts and signed links.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::links::{Links, Variant};
use crate::db::attachments::Attached;

/// A file a message carries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    /// The upload's id: opaque.
    pub id: String,
    /// The file's name as uploaded (without directories).
    pub name: String,
    /// Judged from the file's bytes, e.g. `image/jpeg`, `application/pdf`.
    pub content_type: String,
    /// In bytes.
    pub size: i64,
    /// Images: as displayed (after EXIF orientation). `null` for other files.
    #[schema(required = true)]
    pub width: Option<i32>,
    #[schema(required = true)]
    pub height: Option<i32>,
    /// `GET` it with no token until it expires (at least `ATTACHMENT_LINK_TTL`,
    /// 24 h by default); then take a fresh one from the history. Relative to the
    /// server.
    pub url: String,
    /// Images: a JPEG of at most 320 px a side, linked like `url`.
    #[schema(required = true)]
    pub thumbnail_url: Option<String>,
}

impl Links {
    pub fn view(&self, attached: &Attached, now: DateTime<Utc>) -> AttachmentView {
        AttachmentView {
            id: attached.id.clone(),
            name: attached.name.clone(),
            content_type: attached.content_type.clone(),
            size: attached.size,
            width: attached.width,
            height: attached.height,
            url: self.link(&attached.id, Variant::Original, now),
            thumbnail_url: attached
                .thumbnail
                .then(|| self.link(&attached.id, Variant::Thumbnail, now)),
        }
    }

    pub fn views(&self, attached: &[Attached]) -> Vec<AttachmentView> {
        let now = Utc::now();
        attached.iter().map(|a| self.view(a, now)).collect()
    }
}
