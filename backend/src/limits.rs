//! Token-bucket rate limits, kept in memory per key (a user, a username, an IP).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use actix_web::web;
use tokio::time::Instant;

use crate::client_address::limit_key;
use crate::error::Error;
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

    /// Takes `count` tokens spent elsewhere (another node), going into debt down
    /// to minus one burst at most.
    pub fn drain(&mut self, count: f64) {
        self.refill();
        self.tokens = (self.tokens - count).max(-self.rate.burst);
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

/// A token bucket per key, for at most a bounded number of keys.
pub struct RateLimiter<K> {
    rate: Rate,
    max_keys: usize,
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

/// Keys a limiter remembers by default: ~100 bytes each with a 32-byte key, so
/// about 10 MiB at most, however many keys an attacker makes up.
pub const MAX_KEYS: usize = 100_000;

impl<K: Eq + Hash> RateLimiter<K> {
    pub fn new(rate: Rate) -> Self {
        Self::with_max_keys(rate, MAX_KEYS)
    }

    pub fn with_max_keys(rate: Rate, max_keys: usize) -> Self {
        Self {
            rate,
            max_keys: max_keys.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn take(&self, key: K) -> Result<(), Duration> {
        self.with_bucket(key, TokenBucket::take)
    }

    /// Takes `count` tokens that `key` spent elsewhere (see [`TokenBucket::drain`]).
    pub fn drain(&self, key: K, count: f64) {
        self.with_bucket(key, |bucket| bucket.drain(count));
    }

    /// How long `key` must wait, without taking anything; `None` if it may go on.
    pub fn exhausted(&self, key: K) -> Option<Duration> {
        self.with_bucket(key, TokenBucket::exhausted)
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn with_bucket<T>(&self, key: K, use_bucket: impl FnOnce(&mut TokenBucket) -> T) -> T {
        let mut buckets = self.lock();
        if buckets.len() >= self.max_keys && !buckets.contains_key(&key) {
            make_room(&mut buckets, self.max_keys);
        }
        use_bucket(
            buckets
                .entry(key)
                .or_insert_with(|| TokenBucket::full(self.rate)),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, TokenBucket>> {
        // Every update is one call on a bucket: a panicking holder leaves the map sound.
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Brings a full map down to 90 % of `max_keys`: first idle keys (full buckets,
/// which lose nothing by being forgotten), then the keys closest to full. Each
/// pass costs O(keys) and frees a tenth of the map, so the cost per new key stays
/// constant.
fn make_room<K: Eq + Hash>(buckets: &mut HashMap<K, TokenBucket>, max_keys: usize) {
    buckets.retain(|_, bucket| !bucket.is_full());
    let keep = max_keys - max_keys.div_ceil(10);
    if buckets.len() <= keep {
        return;
    }
    let mut tokens: Vec<f64> = buckets
        .values_mut()
        .map(|bucket| {
            bucket.refill();
            bucket.tokens
        })
        .collect();
    // The `keep`-th fewest tokens: keys with more than that go (ties may leave a
    // few more, the next pass takes them).
    let drop_from = buckets.len() - keep;
    let nth = keep.min(tokens.len() - 1);
    let (_, threshold, _) = tokens.select_nth_unstable_by(nth, f64::total_cmp);
    let threshold = *threshold;
    let mut dropped = 0;
    buckets.retain(|_, bucket| {
        if dropped < drop_from && bucket.tokens >= threshold {
            dropped += 1;
            false
        } else {
            true
        }
    });
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

    /// How long this attempt must wait, if it must. `username` is `None` when it
    /// cannot be anyone's (too long): then only the address counts.
    pub fn blocked(&self, username: Option<&str>, address: Option<IpAddr>) -> Option<Duration> {
        let by_name = username.and_then(|name| self.by_username.exhausted(name.to_lowercase()));
        let by_address = address.and_then(|address| self.by_address.exhausted(limit_key(address)));
        if by_name.is_some() {
            self.metrics.rate_limited(Limiter::LoginUsername);
        }
        if by_address.is_some() {
            self.metrics.rate_limited(Limiter::LoginAddress);
        }
        by_name.max(by_address)
    }

    pub fn failed(&self, username: Option<&str>, address: Option<IpAddr>) {
        if let Some(name) = username {
            let _ = self.by_username.take(name.to_lowercase());
        }
        if let Some(address) = address {
            let _ = self.by_address.take(limit_key(address));
        }
    }
}

/// Who may register: nobody when registration is closed, else a few accounts per
/// client address (each costs a bcrypt hash).
pub struct RegistrationGuard {
    open: bool,
    by_address: RateLimiter<IpAddr>,
    metrics: web::Data<Metrics>,
}

impl RegistrationGuard {
    pub fn new(open: bool, rate: Rate, metrics: web::Data<Metrics>) -> Self {
        Self {
            open,
            by_address: RateLimiter::new(rate),
            metrics,
        }
    }

    pub fn check_open(&self) -> Result<(), Error> {
        if self.open {
            Ok(())
        } else {
            Err(Error::RegistrationClosed)
        }
    }

    /// Takes one registration from `address`'s allowance.
    pub fn take(&self, address: Option<IpAddr>) -> Result<(), Error> {
        let Some(address) = address else {
            return Ok(());
        };
        self.by_address.take(limit_key(address)).map_err(|wait| {
            self.metrics.rate_limited(Limiter::Registration);
            Error::RateLimited(wait)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sends_elsewhere_drain_the_bucket_into_debt_of_one_burst_at_most() {
        let limiter = RateLimiter::new(Rate {
            per_second: 1.0,
            burst: 2.0,
        });
        limiter.drain("alice", 1.0);
        assert!(limiter.take("alice").is_ok());
        assert!(limiter.take("alice").is_err());
        // Ten sent elsewhere: owed up to one burst, repaid before the next send.
        limiter.drain("alice", 10.0);
        tokio::time::advance(Duration::from_millis(2900)).await;
        assert!(limiter.take("alice").is_err());
        tokio::time::advance(Duration::from_millis(200)).await;
        assert!(limiter.take("alice").is_ok());
    }

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

    #[tokio::test(start_paused = true)]
    async fn the_number_of_keys_is_bounded() {
        let limiter = RateLimiter::with_max_keys(
            Rate {
                per_second: 0.001,
                burst: 2.0,
            },
            100,
        );
        // Every key used (none idle), as unique usernames would be.
        for n in 0..10_000 {
            let _ = limiter.take(n);
            assert!(limiter.len() <= 100, "{} keys after {n}", limiter.len());
        }
        // A key in active use survives: the emptiest buckets are kept.
        let limiter = RateLimiter::with_max_keys(
            Rate {
                per_second: 0.001,
                burst: 2.0,
            },
            100,
        );
        let _ = limiter.take(-1);
        let _ = limiter.take(-1);
        for n in 0..1_000 {
            let _ = limiter.take(n);
        }
        assert!(
            limiter.exhausted(-1).is_some(),
            "the spent key was forgotten"
        );
    }
}
