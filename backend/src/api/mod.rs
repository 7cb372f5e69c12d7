//! The REST API: one module per resource, DTOs beside their handlers.

mod asyncapi;
mod attachments;
mod body_deadline;
mod conversations;
mod events;
mod health;
mod json;
mod login;
mod logout;
mod messages;
mod metrics;
mod mutes;
pub mod openapi;
mod push;
mod reactions;
mod register;
mod rejections;
mod rooms;
mod users;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::Error;
pub use json::Json;

/// Request bodies above this are refused.
pub use body_deadline::{body_deadline, BODY_TIMEOUT};

pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(rejections::json_config())
        .app_data(rejections::query_config())
        .app_data(rejections::path_config());
    register(cfg);
}

/// Lists every endpoint once. From the list come `register` (the routes),
/// [`ROUTES`] and `Endpoints`, the OpenAPI paths: each handler must carry a
/// `#[utoipa::path]`, and a test checks that its documented path and method
/// match the registered ones.
macro_rules! endpoints {
    ($($path:literal => { $($method:ident: $($handler:ident)::+),+ $(,)? }),+ $(,)?) => {
        fn register(cfg: &mut web::ServiceConfig) {
            $(cfg.service(
                resource($path, &[$(stringify!($method)),+])
                    $(.route(web::$method().to($($handler)::+)))+
            );)+
        }

        /// Every registered route, as `(method, path)`.
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path)),+),+];

        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($($($handler)::+),+),+))]
        struct Endpoints;
    };
}

endpoints! {
    "/healthz" => { get: health::healthz },
    "/readyz" => { get: health::readyz },
    "/metrics" => { get: metrics::metrics },
    "/openapi.json" => { get: openapi::openapi_json },
    "/asyncapi.json" => { get: asyncapi::asyncapi_json },
    "/register" => { post: register::register },
    "/login" => { post: login::login },
    "/logout" => { post: logout::logout },
    "/me" => { get: users::me },
    "/users" => { get: users::list_users },
    "/conversations" => { get: conversations::list_conversations },
    "/conversations/{id}/mute" => { put: mutes::mute_conversation },
    "/events" => { get: events::events },
    // `{id}` is a user for GET and POST (the conversation), a message for PATCH
    // and DELETE.
    "/messages/{id}" => {
        get: messages::conversation,
        post: messages::send,
        patch: messages::edit,
        delete: messages::delete,
    },
    "/messages/{id}/reactions/{emoji}" => {
        put: reactions::add_reaction,
        delete: reactions::remove_reaction,
    },
    "/rooms" => { get: rooms::list_rooms, post: rooms::create_room },
    "/rooms/{id}" => { get: rooms::get_room, patch: rooms::update_room },
    "/rooms/{id}/join" => { post: rooms::members::join },
    "/rooms/{id}/mute" => { put: mutes::mute_room },
    "/rooms/{id}/leave" => { post: rooms::members::leave },
    "/rooms/{id}/members" => {
        get: rooms::members::list_members,
        post: rooms::members::add_member,
    },
    "/rooms/{id}/members/{user_id}" => { delete: rooms::members::remove_member },
    "/rooms/{id}/messages" => {
        get: rooms::messages::history,
        post: rooms::messages::send,
    },
    "/push/key" => { get: push::key },
    "/push/subscriptions" => { post: push::subscribe, delete: push::unsubscribe },
    "/attachments" => { post: attachments::upload::upload },
    "/attachments/{id}" => { get: attachments::download::download },
    "/attachments/{id}/thumbnail" => { get: attachments::download::thumbnail },
    "/ws" => { get: crate::ws::connect },
}

/// 201 with `body` when the request made something, 200 when it had been made
/// before (a resent message, a member added twice) and nothing changed.
fn created_or_existing(created: bool, body: impl Serialize) -> HttpResponse {
    if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// A route that answers other methods with a JSON 405 and, as RFC 9110 asks,
/// `Allow` listing the `methods` it has.
fn resource(path: &str, methods: &[&str]) -> actix_web::Resource {
    let allow = methods
        .iter()
        .map(|method| method.to_uppercase())
        .collect::<Vec<_>>()
        .join(", ");
    web::resource(path).default_service(web::to(move || {
        let mut response = Error::MethodNotAllowed.error_response();
        if let Ok(allow) = HeaderValue::from_str(&allow) {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        async { response }
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::domain::paging::PageSize;

    /// A query parameter's schema as documented for `method path`.
    fn documented(path: &str, method: &str, name: &str) -> Value {
        let document = serde_json::to_value(super::openapi::document()).unwrap();
        let parameters = document["paths"][path][method]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} has parameters"));
        parameters
            .iter()
            .find(|parameter| parameter["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} documents {name}"))
            .clone()
    }

    /// The page sizes and search lengths the handlers check are the ones their
    /// query structs document.
    #[test]
    fn documented_paging_matches_the_checks() {
        let lists: [(&str, PageSize); 4] = [
            ("/messages/{id}", super::messages::PAGE_SIZE),
            ("/rooms/{id}/messages", super::messages::PAGE_SIZE),
            ("/rooms", super::rooms::PAGE_SIZE),
            ("/events", super::events::PAGE_SIZE),
        ];
        for (path, size) in lists {
            let limit = documented(path, "get", "limit");
            assert_eq!(limit["schema"]["maximum"], size.max, "{path}");
            let description = limit["description"].as_str().unwrap_or_default();
            let promised = format!("1–{} (default {})", size.max, size.default);
            assert!(description.starts_with(&promised), "{path}: {description}");
        }
        for (path, max) in [
            ("/rooms", super::rooms::MAX_SEARCH_CHARS),
            ("/users", super::users::MAX_SEARCH_CHARS),
        ] {
            assert_eq!(documented(path, "get", "q")["schema"]["maxLength"], max);
        }
    }
}
