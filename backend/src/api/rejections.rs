//! How requests that cannot even be read are answered: a 400 with a clear message,
//! in the API's usual error shape.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::web;

use super::MAX_BODY_BYTES;
use crate::error::{BadRequest, Error};

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .error_handler(|err, _| {
            let bad = match err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => BadRequest::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                },
                JsonPayloadError::ContentType => BadRequest::NotJson,
                JsonPayloadError::Payload(e) if super::body_deadline::is_timeout(&e) => {
                    BadRequest::BodyTimeout
                }
                JsonPayloadError::Deserialize(e) if e.is_data() => {
                    BadRequest::InvalidBody(e.to_string())
                }
                JsonPayloadError::Deserialize(e) => BadRequest::MalformedJson(e.to_string()),
                other => BadRequest::MalformedJson(other.to_string()),
            };
            Error::BadRequest(bad).into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let QueryPayloadError::Deserialize(e) = &err else {
            return Error::BadRequest(BadRequest::InvalidQuery(err.to_string())).into();
        };
        Error::BadRequest(BadRequest::InvalidQuery(e.to_string())).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _| {
        Error::BadRequest(BadRequest::InvalidPath(err.to_string())).into()
    })
}
