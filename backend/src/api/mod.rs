//! The REST API: one module per resource, DTOs beside their handlers.

mod login;
mod messages;
mod register;
mod rejections;
mod users;

use actix_web::{web, HttpResponse};

use crate::error::Error;

/// Request bodies above this are refused.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(rejections::json_config())
        .app_data(rejections::query_config())
        .app_data(rejections::path_config())
        .service(resource("/register").route(web::post().to(register::register)))
        .service(resource("/login").route(web::post().to(login::login)))
        .service(resource("/me").route(web::get().to(users::me)))
        .service(resource("/users").route(web::get().to(users::list_users)))
        .service(resource("/messages/{user_id}").route(web::get().to(messages::conversation)))
        .service(resource("/ws").route(web::get().to(crate::ws::connect)));
}

/// A route that answers other methods with a JSON 405.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        Err::<HttpResponse, _>(Error::MethodNotAllowed)
    }))
}
