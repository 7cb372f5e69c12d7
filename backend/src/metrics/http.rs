//! HTTP requests by method, route pattern and status, each with its latency.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;

use super::histogram::Histogram;
use super::text::{Exposition, Labels};
use super::Metrics;

/// Series beyond this many share one `route="other"` series per method and status.
/// Routes are patterns and methods a fixed set, so only a flood of odd statuses
/// could get here; the bound keeps a scrape small whatever happens.
const MAX_SERIES: usize = 2_000;
/// The route of a request that matched no pattern (a static file, or a 404).
const UNMATCHED: &str = "unmatched";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    method: &'static str,
    route: String,
    status: u16,
}

/// One histogram per (method, route, status); its count is the request counter.
#[derive(Default)]
pub struct HttpRequests {
    // A read lock per request: HTTP is not the message hot path (sockets are).
    series: RwLock<HashMap<Key, Arc<Histogram>>>,
}

impl HttpRequests {
    fn observe(&self, method: &Method, route: Option<String>, status: u16, started: Instant) {
        let mut key = Key {
            method: method_label(method),
            // The file service at `/` matches everything with the pattern "".
            route: route
                .filter(|route| !route.is_empty())
                .unwrap_or_else(|| UNMATCHED.to_owned()),
            status,
        };
        let found = self
            .series
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        let histogram = match found {
            Some(histogram) => histogram,
            None => {
                let mut series = self.series.write().unwrap_or_else(PoisonError::into_inner);
                if series.len() >= MAX_SERIES && !series.contains_key(&key) {
                    key.route = "other".to_owned();
                }
                Arc::clone(
                    series
                        .entry(key)
                        .or_insert_with(|| Arc::new(Histogram::latency())),
                )
            }
        };
        histogram.observe_duration(started.elapsed());
    }

    pub(super) fn write(&self, out: &mut Exposition) {
        let mut series: Vec<(Key, Arc<Histogram>)> = self
            .series
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(key, histogram)| (key.clone(), Arc::clone(histogram)))
            .collect();
        series.sort_by(|a, b| a.0.cmp(&b.0));

        out.header(
            "parley_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route pattern and status.",
        );
        for (key, histogram) in &series {
            let status = key.status.to_string();
            let labels = key.labels(&status);
            out.sample(
                "parley_http_requests_total",
                &Labels::of(&labels),
                histogram.count(),
            );
        }
        out.header(
            "parley_http_request_duration_seconds",
            "histogram",
            "Time from a request reaching the app to its response being ready.",
        );
        for (key, histogram) in &series {
            let status = key.status.to_string();
            let labels = key.labels(&status);
            histogram.write(
                out,
                "parley_http_request_duration_seconds",
                &Labels::of(&labels),
            );
        }
    }
}

impl Key {
    fn labels<'a>(&'a self, status: &'a str) -> [(&'a str, &'a str); 3] {
        [
            ("method", self.method),
            ("route", &self.route),
            ("status", status),
        ]
    }
}

/// Middleware: times every request and files it under its route pattern
/// (`/messages/{id}`, never the raw path, which would make a series per id).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().clone();
    let response = next.call(req).await;
    if let Some(metrics) = metrics {
        match &response {
            Ok(response) => {
                let route = response.request().match_pattern();
                let status = response.status().as_u16();
                metrics.http.observe(&method, route, status, started);
            }
            // Middleware errors carry no request to match; they are rare.
            Err(error) => {
                let status = error.as_response_error().status_code().as_u16();
                metrics.http.observe(&method, None, status, started);
            }
        }
    }
    response
}

/// A fixed set, so that a client cannot invent label values.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
