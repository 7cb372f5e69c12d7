//! For orchestrators: `GET /healthz` (the process answers) and `GET /readyz` (the
//! database answers and is fully migrated). Neither needs a token.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db::Db;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn readyz(db: web::Data<Db>) -> HttpResponse {
    match db.is_ready().await {
        Ok(true) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Ok(false) => HttpResponse::ServiceUnavailable()
            .json(json!({"status": "unavailable", "reason": "migrations are pending"})),
        Err(e) => {
            log::warn!("readiness check: {e}");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "reason": "the database does not answer"}))
        }
    }
}
