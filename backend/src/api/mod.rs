//! The REST API: one module per resource, DTOs beside their handlers.

mod login;
mod messages;
mod register;
mod rejections;
mod users;

use actix_web::web;

/// Request bodies above this are refused.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(rejections::json_config())
        .app_data(rejections::query_config())
        .app_data(rejections::path_config())
        .route("/register", web::post().to(register::register))
        .route("/login", web::post().to(login::login))
        .route("/me", web::get().to(users::me))
        .route("/users", web::get().to(users::list_users))
        .route("/messages/{user_id}", web::get().to(messages::conversation))
        .route("/ws", web::get().to(crate::ws::connect));
}
