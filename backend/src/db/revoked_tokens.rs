//! The `revoked_tokens` table: tokens ended by logout before their expiry.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::revoked_tokens;
use super::{db_run, Handle, Result};

pub async fn insert(
    db: impl Into<Handle<'_>>,
    token_id: &str,
    expires_at: NaiveDateTime,
) -> Result<()> {
    db_run!(db, |conn| {
        diesel::insert_into(revoked_tokens::table)
            .values((
                revoked_tokens::token_id.eq(token_id),
                revoked_tokens::expires_at.eq(expires_at),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await
    })?;
    Ok(())
}

/// Revoked tokens that have not expired yet; the expired ones are removed.
pub async fn unexpired(
    db: impl Into<Handle<'_>>,
    now: NaiveDateTime,
) -> Result<Vec<(String, NaiveDateTime)>> {
    let mut conn = db.into().hold().await?;
    db_run!(&mut conn, |conn| {
        diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.le(now)))
            .execute(conn)
            .await
    })?;
    Ok(db_run!(&mut conn, |conn| {
        revoked_tokens::table
            .select((revoked_tokens::token_id, revoked_tokens::expires_at))
            .load(conn)
            .await
    })?)
}
