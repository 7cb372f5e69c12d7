//! The `push_subscriptions` table: where each user's browsers take Web Push
//! notifications. An endpoint is one browser's: subscribing it again, as any
//! user, makes it that user's.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::schema::push_subscriptions;
use super::{db_run, Handle, Result, UserId};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = push_subscriptions)]
pub struct Subscription {
    pub endpoint: String,
    pub user_id: UserId,
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    pub auth: String,
    pub created_at: NaiveDateTime,
}

/// Stores `subscription`, replacing the endpoint's keys and owner if it was
/// known; false when it was already stored as it is.
pub async fn upsert(db: impl Into<Handle<'_>>, subscription: &Subscription) -> Result<bool> {
    let mut conn = db.into().hold().await?;
    let endpoint = subscription.endpoint.as_str();
    let existing: Option<Subscription> = db_run!(&mut conn, |conn| {
        push_subscriptions::table
            .find(endpoint)
            .select(Subscription::as_select())
            .first(conn)
            .await
            .optional()
    })?;
    if existing.as_ref().is_some_and(|old| {
        (old.user_id, &old.p256dh, &old.auth)
            == (
                subscription.user_id,
                &subscription.p256dh,
                &subscription.auth,
            )
    }) {
        return Ok(false);
    }
    db_run!(&mut conn, |conn| {
        diesel::insert_into(push_subscriptions::table)
            .values(subscription)
            .on_conflict(push_subscriptions::endpoint)
            .do_update()
            .set((
                push_subscriptions::user_id.eq(excluded(push_subscriptions::user_id)),
                push_subscriptions::p256dh.eq(excluded(push_subscriptions::p256dh)),
                push_subscriptions::auth.eq(excluded(push_subscriptions::auth)),
                push_subscriptions::created_at.eq(excluded(push_subscriptions::created_at)),
            ))
            .execute(conn)
            .await
    })?;
    Ok(true)
}

/// Keeps `user`'s newest `keep` subscriptions and deletes the rest.
pub async fn keep_newest(db: impl Into<Handle<'_>>, user: UserId, keep: i64) -> Result<()> {
    let mut conn = db.into().hold().await?;
    let old: Vec<String> = db_run!(&mut conn, |conn| {
        push_subscriptions::table
            .filter(push_subscriptions::user_id.eq(user))
            .order(push_subscriptions::created_at.desc())
            .offset(keep)
            .select(push_subscriptions::endpoint)
            .load(conn)
            .await
    })?;
    if !old.is_empty() {
        db_run!(&mut conn, |conn| {
            diesel::delete(
                push_subscriptions::table.filter(push_subscriptions::endpoint.eq_any(&old)),
            )
            .execute(conn)
            .await
        })?;
    }
    Ok(())
}

/// Deletes `user`'s subscription at `endpoint`; false when there was none.
pub async fn delete(db: impl Into<Handle<'_>>, user: UserId, endpoint: &str) -> Result<bool> {
    let deleted = db_run!(db, |conn| {
        diesel::delete(
            push_subscriptions::table
                .filter(push_subscriptions::endpoint.eq(endpoint))
                .filter(push_subscriptions::user_id.eq(user)),
        )
        .execute(conn)
        .await
    })?;
    Ok(deleted > 0)
}

/// Forgets an endpoint its push service says is gone.
pub async fn forget(db: impl Into<Handle<'_>>, endpoint: &str) -> Result<()> {
    db_run!(db, |conn| {
        diesel::delete(push_subscriptions::table.find(endpoint))
            .execute(conn)
            .await
    })?;
    Ok(())
}

/// Every subscription of `users`.
pub async fn of_users(db: impl Into<Handle<'_>>, users: &[UserId]) -> Result<Vec<Subscription>> {
    Ok(db_run!(db, |conn| {
        push_subscriptions::table
            .filter(push_subscriptions::user_id.eq_any(users))
            .select(Subscription::as_select())
            .load(conn)
            .await
    })?)
}
