//! For orchestrators: `GET /healthz` (the process answers) and `GET /readyz` (the
//! database answers and is fully migrated). Neither needs a token.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::context::AppContext;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `unavailable`.
    #[schema(example = "ready")]
    status: &'static str,
    /// Why it is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "migrations are pending")]
    reason: Option<&'static str>,
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "The process answers", body = Health, example = json!({"status": "ok"}))),
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        reason: None,
    })
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "The database answers and is fully migrated", body = Health, example = json!({"status": "ready"})),
        (status = 503, description = "Not ready: the database does not answer, or migrations are pending", body = Health,
            example = json!({"status": "unavailable", "reason": "the database does not answer"})),
    ),
)]
pub async fn readyz(ctx: web::Data<AppContext>) -> HttpResponse {
    match ctx.db.is_ready().await {
        Ok(true) => HttpResponse::Ok().json(Health {
            status: "ready",
            reason: None,
        }),
        Ok(false) => HttpResponse::ServiceUnavailable().json(Health {
            status: "unavailable",
            reason: Some("migrations are pending"),
        }),
        Err(e) => {
            log::warn!("readiness check: {e}");
            HttpResponse::ServiceUnavailable().json(Health {
                status: "unavailable",
                reason: Some("the database does not answer"),
            })
        }
    }
}
