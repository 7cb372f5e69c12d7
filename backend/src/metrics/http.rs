//! HTTP requests by method, route pattern and status, each with its latency.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::context::AppContext;

/// Series beyond this many share one `route="other"` series per method and status.
/// Routes are patterns and methods a fixed set, so only a flood of odd statuses
/// could get here; the bound keeps a scrape small whatever happens.
const MAX_SERIES: usize = 2_000;
/// The route of a request that matched no pattern (a static file, or a 404).
const UNMATCHED: &str = "unmatched";

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Labels {
    method: &'static str,
    route: String,
    status: u16,
}

/// A counter and a latency histogram per (method, route, status).
pub struct HttpRequests {
    requests: Family<Labels, Counter>,
    durations: Family<Labels, Histogram, fn() -> Histogram>,
    /// Series created so far. Two first requests of one series racing may both
    /// count it, so this is an upper bound, which is all the cap needs.
    series: AtomicUsize,
}

impl HttpRequests {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let requests = Family::default();
        registry.register(
            "parley_http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        let durations = Family::new_with_constructor(super::latency_histogram as fn() -> Histogram);
        registry.register(
            "parley_http_request_duration_seconds",
            "Time from a request reaching the app to its response being ready",
            durations.clone(),
        );
        Self {
            requests,
            durations,
            series: AtomicUsize::new(0),
        }
    }

    // Each lookup takes a family's read lock: HTTP is not the message hot path
    // (sockets are).
    fn observe(&self, method: &Method, route: Option<String>, status: u16, started: Instant) {
        let mut labels = Labels {
            method: method_label(method),
            // The file service at `/` matches everything with the pattern "".
            route: route
                .filter(|route| !route.is_empty())
                .unwrap_or_else(|| UNMATCHED.to_owned()),
            status,
        };
        if self.requests.get(&labels).is_none()
            && self.series.fetch_add(1, Ordering::Relaxed) >= MAX_SERIES
        {
            labels.route = "other".to_owned();
        }
        self.requests.get_or_create(&labels).inc();
        self.durations
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Middleware: times every request and files it under its route pattern
/// (`/messages/{id}`, never the raw path, which would make a series per id).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let context = req.app_data::<web::Data<AppContext>>().cloned();
    let method = req.method().clone();
    let response = next.call(req).await;
    if let Some(context) = context {
        let http = &context.metrics.http;
        match &response {
            Ok(response) => {
                let route = response.request().match_pattern();
                let status = response.status().as_u16();
                http.observe(&method, route, status, started);
            }
            // Middleware errors carry no request to match; they are rare.
            Err(error) => {
                let status = error.as_response_error().status_code().as_u16();
                http.observe(&method, None, status, started);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn count(http: &HttpRequests, route: &str) -> Option<u64> {
        let labels = Labels {
            method: "GET",
            route: route.to_owned(),
            status: 200,
        };
        http.requests.get(&labels).map(|counter| counter.get())
    }

    #[test]
    fn past_the_cap_new_series_share_one_other_route() {
        let http = HttpRequests::register(&mut Registry::default());
        let get = |route: String| http.observe(&Method::GET, Some(route), 200, Instant::now());
        for n in 0..MAX_SERIES + 3 {
            get(format!("/r/{n}"));
        }
        // A series that exists before the cap keeps counting on its own.
        get("/r/0".to_owned());
        assert_eq!(count(&http, "/r/0"), Some(2));
        assert_eq!(count(&http, &format!("/r/{}", MAX_SERIES - 1)), Some(1));
        assert_eq!(count(&http, &format!("/r/{MAX_SERIES}")), None);
        assert_eq!(count(&http, "other"), Some(3));
    }
}
