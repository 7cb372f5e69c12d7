//! `/attachments`: uploading a file (`POST`), and reading it or its thumbnail
//! (`GET /attachments/{id}` and `/thumbnail`) with a token or a signed link.

pub mod download;
pub mod upload;
