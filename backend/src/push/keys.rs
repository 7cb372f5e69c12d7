//! The server's VAPID key pair: made once, kept in `server_secrets` like the JWT
//! secret, so that every node signs with it and subscriptions survive restarts.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Url;
use web_push_native::jwt_simple::algorithms::{
    ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, ES256KeyPair,
};
use web_push_native::jwt_simple::claims::Claims;

use crate::db::{self, Db};

const SECRET_NAME: &str = "vapid_private_key";

pub struct VapidKey {
    pair: ES256KeyPair,
    /// The public key as browsers take it: an uncompressed point, base64url.
    public: String,
}

impl VapidKey {
    pub async fn load(db: &Db) -> anyhow::Result<Self> {
        let stored = db::secrets::get_or_insert(db, SECRET_NAME, || {
            URL_SAFE_NO_PAD.encode(ES256KeyPair::generate().to_bytes())
        })
        .await?;
        let bytes = URL_SAFE_NO_PAD
            .decode(&stored)
            .map_err(|e| anyhow::anyhow!("the stored VAPID key is not base64url: {e}"))?;
        let pair = ES256KeyPair::from_bytes(&bytes)
            .map_err(|e| anyhow::anyhow!("the stored VAPID key is not a P-256 key: {e}"))?;
        let public = URL_SAFE_NO_PAD.encode(pair.public_key().public_key().to_bytes_uncompressed());
        Ok(Self { pair, public })
    }

    /// The VAPID `Authorization` header for a push to `endpoint` (RFC 8292): a
    /// JWT for the endpoint's origin, port included (the crate's own leaves a
    /// non-default port out), valid for `valid_for`, naming `subject`.
    pub fn authorization(
        &self,
        endpoint: &Url,
        valid_for: Duration,
        subject: &str,
    ) -> Option<String> {
        let claims = Claims::create(valid_for.into())
            .with_audience(endpoint.origin().ascii_serialization())
            .with_subject(subject);
        let token = self.pair.sign(claims).ok()?;
        Some(format!("vapid t={token}, k={}", self.public))
    }

    pub fn public(&self) -> &str {
        &self.public
    }
}
