//! The REST API: one module per resource, DTOs beside their handlers.

mod conversations;
mod events;
mod health;
mod login;
mod logout;
mod messages;
mod register;
mod rejections;
mod rooms;
mod users;

use actix_web::{web, HttpResponse};

use crate::error::Error;

/// Request bodies above this are refused.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(rejections::json_config())
        .app_data(rejections::query_config())
        .app_data(rejections::path_config())
        .service(resource("/healthz").route(web::get().to(health::healthz)))
        .service(resource("/readyz").route(web::get().to(health::readyz)))
        .service(resource("/register").route(web::post().to(register::register)))
        .service(resource("/login").route(web::post().to(login::login)))
        .service(resource("/logout").route(web::post().to(logout::logout)))
        .service(resource("/me").route(web::get().to(users::me)))
        .service(resource("/users").route(web::get().to(users::list_users)))
        .service(resource("/conversations").route(web::get().to(conversations::list_conversations)))
        .service(resource("/events").route(web::get().to(events::events)))
        // `{id}` is a user for GET and POST (the conversation), a message for
        // PATCH and DELETE.
        .service(
            resource("/messages/{id}")
                .route(web::get().to(messages::conversation))
                .route(web::post().to(messages::send))
                .route(web::patch().to(messages::edit))
                .route(web::delete().to(messages::delete)),
        )
        .service(
            resource("/rooms")
                .route(web::get().to(rooms::list_rooms))
                .route(web::post().to(rooms::create_room)),
        )
        .service(
            resource("/rooms/{id}")
                .route(web::get().to(rooms::get_room))
                .route(web::patch().to(rooms::update_room)),
        )
        .service(resource("/rooms/{id}/join").route(web::post().to(rooms::members::join)))
        .service(resource("/rooms/{id}/leave").route(web::post().to(rooms::members::leave)))
        .service(
            resource("/rooms/{id}/members")
                .route(web::get().to(rooms::members::list_members))
                .route(web::post().to(rooms::members::add_member)),
        )
        .service(
            resource("/rooms/{id}/members/{user_id}")
                .route(web::delete().to(rooms::members::remove_member)),
        )
        .service(
            resource("/rooms/{id}/messages")
                .route(web::get().to(rooms::messages::history))
                .route(web::post().to(rooms::messages::send)),
        )
        .service(resource("/ws").route(web::get().to(crate::ws::connect)));
}

/// A route that answers other methods with a JSON 405.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        Err::<HttpResponse, _>(Error::MethodNotAllowed)
    }))
}
