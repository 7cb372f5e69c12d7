//! A request body must arrive within [`BODY_TIMEOUT`] of its request: a client
//! that sends headers and then trickles or stops the body would otherwise hold a
//! connection (and a handler) forever. actix-web's own `client_request_timeout`
//! covers only the head.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{self, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::Stream;
use tokio::time::{sleep, Sleep};

/// Time from a request's head to the end of its body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// An upload may take this long in all (25 MiB at 30 KB/s), as long as no gap
/// between two of its chunks is longer than [`BODY_TIMEOUT`].
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(900);

/// Puts every body but the WebSocket's (a stream for the socket's life) under the
/// deadline; an upload's under a longer one, as long as it keeps coming.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.path() != "/ws" {
        let upload = req.path() == "/attachments";
        let body = Deadline {
            inner: req.take_payload(),
            timer: Box::pin(sleep(if upload { UPLOAD_TIMEOUT } else { BODY_TIMEOUT })),
            idle: upload.then(|| Box::pin(sleep(BODY_TIMEOUT))),
            expired: false,
        };
        req.set_payload(dev::Payload::Stream {
            payload: Box::pin(body),
        });
    }
    next.call(req).await
}

struct Deadline<S> {
    inner: S,
    timer: Pin<Box<Sleep>>,
    /// Restarted by each chunk.
    idle: Option<Pin<Box<Sleep>>>,
    expired: bool,
}

/// Whether a body failed because it missed its deadline.
pub fn is_timeout(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(e) if e.kind() == io::ErrorKind::TimedOut)
}

impl<S> Stream for Deadline<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            if let Some(idle) = self.idle.as_mut() {
                idle.as_mut()
                    .reset(tokio::time::Instant::now() + BODY_TIMEOUT);
            }
            return Poll::Ready(item);
        }
        let idle = self
            .idle
            .as_mut()
            .is_some_and(|idle| idle.as_mut().poll(cx).is_ready());
        if idle || self.timer.as_mut().poll(cx).is_ready() {
            self.expired = true;
            let timed_out = io::Error::new(io::ErrorKind::TimedOut, "request body timed out");
            return Poll::Ready(Some(Err(PayloadError::Io(timed_out))));
        }
        Poll::Pending
    }
}
