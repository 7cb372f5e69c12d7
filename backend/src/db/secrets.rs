//! The `server_secrets` table: values the server generates once and keeps.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::server_secrets;
use super::{db_run, Handle, Result};

/// Returns the secret called `name`, storing `generate()`'s value first if there is
/// none. Safe when several servers start at once: the first insert wins.
pub async fn get_or_insert(
    db: impl Into<Handle<'_>>,
    name: &str,
    generate: impl FnOnce() -> String,
) -> Result<String> {
    let candidate = generate();
    Ok(db_run!(db, |conn| {
        diesel::insert_into(server_secrets::table)
            .values((
                server_secrets::name.eq(name),
                server_secrets::value.eq(&candidate),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        server_secrets::table
            .find(name)
            .select(server_secrets::value)
            .first(conn)
            .await
    })?)
}
