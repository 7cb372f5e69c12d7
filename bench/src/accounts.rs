//! Bench users, registered and logged in through the API like any client.

use anyhow::Result;
use futures_util::{stream, StreamExt, TryStreamExt};
use rand::distr::{Alphanumeric, SampleString};

use crate::api::Api;

pub const PASSWORD: &str = "parley-bench-password";

/// Registrations in flight at once. Each costs two bcrypt runs on the server, which
/// has few cores, so more in flight would only queue there.
const IN_FLIGHT: usize = 4;

#[derive(Clone, Debug)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub token: String,
}

/// Registers and logs in `count` users named `{role}-{random}-{i}`. The random part
/// is new on each call, so reruns against the same database never collide.
pub async fn create(api: &Api, role: &str, count: usize) -> Result<Vec<Account>> {
    let batch = random_word(6);
    eprintln!("registering {count} {role} users ({role}-{batch}-*)…");
    stream::iter(0..count)
        .map(|i| register(api, format!("{role}-{batch}-{i}")))
        .buffered(IN_FLIGHT)
        .try_collect()
        .await
}

/// Lowercase letters and digits: valid in usernames and client ids.
pub fn random_word(len: usize) -> String {
    Alphanumeric
        .sample_string(&mut rand::rng(), len)
        .to_lowercase()
}

async fn register(api: &Api, username: String) -> Result<Account> {
    api.register(&username, PASSWORD).await?;
    let session = api.login(&username, PASSWORD).await?;
    Ok(Account {
        id: session.user.id,
        username,
        token: session.access_token,
    })
}
