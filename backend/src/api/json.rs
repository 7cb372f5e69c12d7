//! The request body extractor every handler uses: a JSON object, read into `T`.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::{BadRequest, Error};

/// A request body that must be a JSON object, deserialized into `T`.
///
/// `web::Json` alone lets serde fill a struct from an array by position
/// (`["alice", "pw"]` as `{"username", "password"}`); here anything but an object
/// is `400 invalid_body`. The body is read by `web::Json`, so `JsonConfig`'s limit,
/// content-type check and error answers (`rejections::json_config`) still apply.
/// Named `Json` so that utoipa documents `T` as the request body.
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Json::<Box<RawValue>>::from_request(req, payload);
        Box::pin(async move {
            let raw = body.await?.into_inner();
            Ok(Self(object(raw.get())?))
        })
    }
}

/// `text` (one well-formed JSON value, no surrounding whitespace) as `T`, if it is
/// an object.
fn object<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let invalid = |message: String| Error::BadRequest(BadRequest::InvalidBody(message));
    if !text.starts_with('{') {
        return Err(invalid(format!(
            "expected a JSON object, got {}",
            kind_of(text)
        )));
    }
    serde_json::from_str(text).map_err(|e| invalid(e.to_string()))
}

fn kind_of(text: &str) -> &'static str {
    match text.as_bytes().first() {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Credentials {
        username: String,
        password: String,
    }

    #[test]
    fn only_an_object_is_read() {
        assert_eq!(
            object::<Credentials>(r#"{"username":"alice","password":"pw"}"#).unwrap(),
            Credentials {
                username: "alice".into(),
                password: "pw".into()
            }
        );
        for (text, kind) in [
            (r#"["alice","pw"]"#, "an array"),
            (r#""alice""#, "a string"),
            ("12", "a number"),
            ("-1", "a number"),
            ("true", "a boolean"),
            ("null", "null"),
        ] {
            let Err(Error::BadRequest(BadRequest::InvalidBody(message))) =
                object::<Credentials>(text)
            else {
                panic!("{text} was read");
            };
            assert_eq!(message, format!("expected a JSON object, got {kind}"));
        }
    }

    #[test]
    fn a_raw_value_has_no_surrounding_whitespace() {
        let raw: Box<RawValue> = serde_json::from_str(" \n\t[1] \n").unwrap();
        assert_eq!(raw.get(), "[1]");
    }
}
