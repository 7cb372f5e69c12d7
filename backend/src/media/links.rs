//! Signed, expiring links to files: `url` and `thumbnail_url` in frames and history
//! work in an `<img src>` with no `Authorization` header. A link is the file's path
//! with `expires` (Unix seconds) and `sig`, an HMAC-SHA256 of the id, the variant
//! and the expiry, under a key derived from the server's secret.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type Signer = Hmac<Sha256>;

/// The file itself, or its thumbnail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Original,
    Thumbnail,
}

impl Variant {
    fn suffix(self) -> &'static str {
        match self {
            Self::Original => "",
            Self::Thumbnail => "/thumbnail",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The signature does not match: tampered with, or for another file.
    Invalid,
    Expired,
}

#[derive(Clone)]
pub struct Links {
    key: Vec<u8>,
    ttl: Duration,
}

impl Links {
    /// Links that work for at least `ttl`, signed with a key derived from `secret`
    /// (so that the key signs nothing else).
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self {
            key: mac(secret, b"parley attachment links v1").to_vec(),
            ttl,
        }
    }

    /// The link to `variant` of attachment `id`, as of `now`. Expiry is rounded up
    /// to a 24th of the lifetime, so that a file's link stays the same for a while
    /// and browsers can cache it.
    pub fn link(&self, id: &str, variant: Variant, now: DateTime<Utc>) -> String {
        let step = (self.ttl.as_secs() / 24).max(1);
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let step = i64::try_from(step).unwrap_or(1);
        let due = now.timestamp().saturating_add(ttl);
        let expires = due.div_euclid(step).saturating_add(1).saturating_mul(step);
        let sig = URL_SAFE_NO_PAD.encode(self.sign(id, variant, expires));
        format!(
            "/attachments/{id}{}?expires={expires}&sig={sig}",
            variant.suffix()
        )
    }

    /// Checks a link's `expires` and `sig` for `variant` of `id`: the signature
    /// first, so that an edited expiry is invalid, not expired.
    pub fn check(
        &self,
        id: &str,
        variant: Variant,
        expires: i64,
        sig: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LinkError> {
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| LinkError::Invalid)?;
        let mut signer = self.signer();
        signer.update(&message(id, variant, expires));
        signer.verify_slice(&sig).map_err(|_| LinkError::Invalid)?;
        if expires < now.timestamp() {
            return Err(LinkError::Expired);
        }
        Ok(())
    }

    fn sign(&self, id: &str, variant: Variant, expires: i64) -> Vec<u8> {
        mac(&self.key, &message(id, variant, expires))
    }

    fn signer(&self) -> Signer {
        keyed(&self.key)
    }
}

fn message(id: &str, variant: Variant, expires: i64) -> Vec<u8> {
    format!("{id}\n{}\n{expires}", variant.suffix()).into_bytes()
}

fn keyed(key: &[u8]) -> Signer {
    // HMAC takes a key of any length.
    Signer::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut signer = keyed(key);
    signer.update(data);
    signer.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(link: &str) -> (i64, String) {
        let query = link.split_once('?').expect("query").1;
        let (expires, sig) = query.split_once('&').expect("two");
        let expires = expires.trim_start_matches("expires=").parse().expect("n");
        (expires, sig.trim_start_matches("sig=").to_owned())
    }

    #[test]
    fn a_link_checks_until_it_expires_and_not_for_anything_else() {
        let links = Links::new(b"secret", Duration::from_secs(86_400));
        let now = Utc::now();
        let link = links.link("abc", Variant::Original, now);
        assert!(link.starts_with("/attachments/abc?expires="), "{link}");
        let (expires, sig) = parts(&link);
        assert!(expires >= now.timestamp() + 86_400);
        assert!(expires <= now.timestamp() + 86_400 + 3600);
        assert_eq!(
            links.check("abc", Variant::Original, expires, &sig, now),
            Ok(())
        );
        let late = DateTime::from_timestamp(expires + 1, 0).expect("time");
        let check = |id, variant, expires, sig: &str| links.check(id, variant, expires, sig, now);
        assert_eq!(
            links.check("abc", Variant::Original, expires, &sig, late),
            Err(LinkError::Expired)
        );
        assert_eq!(
            check("abd", Variant::Original, expires, &sig),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            check("abc", Variant::Thumbnail, expires, &sig),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            check("abc", Variant::Original, expires + 1, &sig),
            Err(LinkError::Invalid)
        );
        assert_eq!(
            check("abc", Variant::Original, expires, "!!"),
            Err(LinkError::Invalid)
        );
        let other = Links::new(b"other", Duration::from_secs(86_400));
        assert_eq!(
            other.check("abc", Variant::Original, expires, &sig, now),
            Err(LinkError::Invalid)
        );
    }

    #[test]
    fn links_stay_the_same_for_a_while() {
        let links = Links::new(b"secret", Duration::from_secs(86_400));
        let at = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let later = at + chrono::Duration::seconds(10);
        assert_eq!(
            links.link("abc", Variant::Thumbnail, at),
            links.link("abc", Variant::Thumbnail, later)
        );
    }
}
