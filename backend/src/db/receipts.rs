//! Delivery and read marks on messages, and the unread counts they give.
//! (A room's read marker is its member row's: see [`super::rooms::mark_read`].)

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::messages::Message;
use super::schema::messages;
use super::{db_run, Handle, Kind, MessageId, Result, UserId};

/// The next `limit` messages to `recipient` not yet written to any of their sockets,
/// in id order, after `after` (read through `messages_undelivered_idx`).
pub async fn undelivered_for(
    db: impl Into<Handle<'_>>,
    recipient: UserId,
    after: MessageId,
    limit: i64,
) -> Result<Vec<Message>> {
    Ok(db_run!(db, |conn| {
        messages::table
            .filter(messages::recipient_id.eq(recipient))
            .filter(messages::delivered_at.is_null())
            .filter(messages::kind.eq(Kind::Message))
            .filter(messages::id.gt(after))
            .order(messages::id.asc())
            .limit(limit)
            .select(Message::as_select())
            .load(conn)
            .await
    })?)
}

/// Records that these messages reached one of their recipient's sockets; returns
/// the ones that were not delivered before, with their senders.
pub async fn mark_delivered(
    db: impl Into<Handle<'_>>,
    ids: &[MessageId],
    at: NaiveDateTime,
) -> Result<Vec<(MessageId, UserId)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(db_run!(db, |conn| {
        diesel::update(messages::table)
            .filter(messages::id.eq_any(ids))
            .filter(messages::delivered_at.is_null())
            .set(messages::delivered_at.eq(at))
            .returning((messages::id, messages::sender_id))
            .load(conn)
            .await
    })?)
}

/// The messages `reader` received from `peer` with ids up to `up_to`.
#[diesel::dsl::auto_type]
fn received_up_to(reader: UserId, peer: UserId, up_to: MessageId) -> _ {
    let message: Kind = Kind::Message;
    messages::recipient_id
        .eq(reader)
        .and(messages::sender_id.eq(peer))
        .and(messages::kind.eq(message))
        .and(messages::id.le(up_to))
}

/// Marks what `reader` received from `peer` up to `up_to` as delivered, as reading
/// it implies; returns the messages that were not delivered before.
pub async fn mark_delivered_up_to(
    db: impl Into<Handle<'_>>,
    reader: UserId,
    peer: UserId,
    up_to: MessageId,
    at: NaiveDateTime,
) -> Result<Vec<(MessageId, UserId)>> {
    Ok(db_run!(db, |conn| {
        diesel::update(messages::table)
            .filter(received_up_to(reader, peer, up_to))
            .filter(messages::delivered_at.is_null())
            .set(messages::delivered_at.eq(at))
            .returning((messages::id, messages::sender_id))
            .load(conn)
            .await
    })?)
}

/// Marks everything `reader` received from `peer` up to `up_to` as read. Returns
/// how many messages were newly read: markers only move forward.
pub async fn mark_read(
    db: impl Into<Handle<'_>>,
    reader: UserId,
    peer: UserId,
    up_to: MessageId,
    at: NaiveDateTime,
) -> Result<usize> {
    Ok(db_run!(db, |conn| {
        diesel::update(messages::table)
            .filter(received_up_to(reader, peer, up_to))
            .filter(messages::read_at.is_null())
            .set(messages::read_at.eq(at))
            .execute(conn)
            .await
    })?)
}

/// Unread messages to `user`, per sender (through `messages_unread_idx`).
pub async fn unread_counts(
    db: impl Into<Handle<'_>>,
    user: UserId,
) -> Result<HashMap<UserId, i64>> {
    let counts: Vec<(UserId, i64)> = db_run!(db, |conn| {
        messages::table
            .filter(messages::recipient_id.eq(user))
            .filter(messages::kind.eq(Kind::Message))
            .filter(messages::read_at.is_null())
            .filter(messages::deleted_at.is_null())
            .group_by(messages::sender_id)
            .select((messages::sender_id, count_star()))
            .load(conn)
            .await
    })?;
    Ok(counts.into_iter().collect())
}
