//! Token-bucket rate limits, kept in memory per key (a user, a username, an IP).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use actix_web::web;
use tokio::time::Instant;

use crate::metrics::{Limiter, Metrics};

/// `burst` actions at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// One key's allowance: `rate.burst` tokens, refilled continuously.
#[derive(Debug, Clone, Copy)]
pub struct TokenBucket {
    rate: Rate,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    pub fn full(rate: Rate) -> Self {
        Self {
            rate,
            tokens: rate.burst,
            updated: Instant::now(),
        }
    }

    /// Takes one token, or says how long until one is available.
    pub fn take(&mut self) -> Result<(), Duration> {
        self.refill();
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(self.wait_for_one())
        }
    }

    /// How long until a token is available, without taking it; `None` if one is.
    pub fn exhausted(&mut self) -> Option<Duration> {
        self.refill();
        (self.tokens < 1.0).then(|| self.wait_for_one())
    }

    fn is_full(&mut self) -> bool {
        self.refill();
        self.tokens >= self.rate.burst
    }

    fn wait_for_one(&self) -> Duration {
        Duration::from_secs_f64((1.0 - self.tokens) / self.rate.per_second)
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate.per_second).min(self.rate.burst);
        self.updated = now;
    }
}

/// A token bucket per key.
pub struct RateLimiter<K> {
    rate: Rate,
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

/// Past this many keys, full buckets (idle keys) are forgotten.
const PRUNE_ABOVE: usize = 10_000;

impl<K: Eq + Hash> RateLimiter<K> {
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn take(&self, key: K) -> Result<(), Duration> {
        self.with_bucket(key, TokenBucket::take)
    }

    /// How long `key` must wait, without taking anything; `None` if it may go on.
    pub fn exhausted(&self, key: K) -> Option<Duration> {
        self.with_bucket(key, TokenBucket::exhausted)
    }

    fn with_bucket<T>(&self, key: K, use_bucket: impl FnOnce(&mut TokenBucket) -> T) -> T {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, bucket| !bucket.is_full());
        }
        use_bucket(
            buckets
                .entry(key)
                .or_insert_with(|| TokenBucket::full(self.rate)),
        )
    }
}

/// Failed logins, limited per username and per client address against password
/// guessing. Only failures count.
pub struct LoginGuard {
    by_username: RateLimiter<String>,
    by_address: RateLimiter<IpAddr>,
    metrics: web::Data<Metrics>,
}

impl LoginGuard {
    pub fn new(metrics: web::Data<Metrics>) -> Self {
        Self {
            // 5 tries, then one every 30 s.
            by_username: RateLimiter::new(Rate {
                per_second: 1.0 / 30.0,
                burst: 5.0,
            }),
            // 20 tries, then one every 3 s.
            by_address: RateLimiter::new(Rate {
                per_second: 1.0 / 3.0,
                burst: 20.0,
            }),
            metrics,
        }
    }

    /// How long this attempt must wait, if it must.
    pub fn blocked(&self, username: &str, address: Option<IpAddr>) -> Option<Duration> {
        let by_name = self.by_username.exhausted(username.to_lowercase());
        let by_address = address.and_then(|address| self.by_address.exhausted(address));
        if by_name.is_some() {
            self.metrics.rate_limited(Limiter::LoginUsername);
        }
        if by_address.is_some() {
            self.metrics.rate_limited(Limiter::LoginAddress);
        }
        by_name.max(by_address)
    }

    pub fn failed(&self, username: &str, address: Option<IpAddr>) {
        let _ = self.by_username.take(username.to_lowercase());
        if let Some(address) = address {
            let _ = self.by_address.take(address);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_then_the_rate() {
        let limiter = RateLimiter::new(Rate {
            per_second: 10.0,
            burst: 3.0,
        });
        for _ in 0..3 {
            assert!(limiter.take("alice").is_ok());
        }
        let wait = limiter.take("alice").expect_err("over the burst");
        assert!(wait <= Duration::from_millis(100));
        assert!(limiter.take("bob").is_ok(), "keys are independent");
        assert!(limiter.exhausted("alice").is_some());
        tokio::time::advance(Duration::from_millis(100)).await;
        assert!(limiter.exhausted("alice").is_none());
        assert!(limiter.take("alice").is_ok());
    }
}
