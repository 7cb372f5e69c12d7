//! `GET /metrics`: the Prometheus scrape. Open unless `METRICS_TOKEN` is set; then
//! it takes `Authorization: Bearer <METRICS_TOKEN>` (not a user's access token).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::context::AppContext;
use crate::error::Error;
use crate::metrics::{Gauges, CONTENT_TYPE};

/// The Prometheus text exposition.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "meta",
    security((), ("metrics_token" = [])),
    responses(
        (status = 200, description = "The metrics, in the Prometheus text format", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 401, description = "`METRICS_TOKEN` is set and the request lacks it (`missing_token`) or has another (`invalid_token`)",
            body = crate::api::openapi::ErrorBody),
    ),
)]
pub async fn metrics(req: HttpRequest, ctx: web::Data<AppContext>) -> Result<HttpResponse, Error> {
    let token = &ctx.scrape_token;
    if token.is_required() {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .ok_or(Error::MissingToken)?
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or(Error::InvalidMetricsToken)?;
        if !token.accepts(given.trim()) {
            return Err(Error::InvalidMetricsToken);
        }
    }
    let gauges = Gauges {
        users_online: ctx.hub.online_users(),
        pool: ctx.db.pool_status(),
    };
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(ctx.metrics.render(&gauges)))
}
