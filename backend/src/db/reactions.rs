//! The `reactions` table: who reacted to which message with which emoji. What a
//! message shows of them is its summary (`messages.reactions`, kept by the
//! writer); this is the full record the summary is checked and refilled from.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::reactions;
use super::{db_run, Handle, MessageId, Result, UserId};
use crate::domain::Emoji;

/// Records `user`'s reaction; false when it was already there.
pub async fn insert(
    db: impl Into<Handle<'_>>,
    message: MessageId,
    emoji: &Emoji,
    user: UserId,
    at: NaiveDateTime,
) -> Result<bool> {
    let inserted = db_run!(db, |conn| {
        diesel::insert_into(reactions::table)
            .values((
                reactions::message_id.eq(message),
                reactions::emoji.eq(emoji.as_str()),
                reactions::user_id.eq(user),
                reactions::created_at.eq(at),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await
    })?;
    Ok(inserted > 0)
}

/// Takes `user`'s reaction back; false when there was none.
pub async fn delete(
    db: impl Into<Handle<'_>>,
    message: MessageId,
    emoji: &Emoji,
    user: UserId,
) -> Result<bool> {
    let deleted = db_run!(db, |conn| {
        diesel::delete(reactions::table.find((message, emoji.as_str(), user)))
            .execute(conn)
            .await
    })?;
    Ok(deleted > 0)
}

/// The earliest reactor of `emoji` on `message` who is not in `named`.
pub async fn next_reactor(
    db: impl Into<Handle<'_>>,
    message: MessageId,
    emoji: &Emoji,
    named: &[UserId],
) -> Result<Option<UserId>> {
    Ok(db_run!(db, |conn| {
        reactions::table
            .filter(reactions::message_id.eq(message))
            .filter(reactions::emoji.eq(emoji.as_str()))
            .filter(reactions::user_id.ne_all(named))
            .order((reactions::created_at.asc(), reactions::user_id.asc()))
            .select(reactions::user_id)
            .first(conn)
            .await
            .optional()
    })?)
}

/// Forgets every reaction to `message` (it was deleted).
pub async fn delete_of(db: impl Into<Handle<'_>>, message: MessageId) -> Result<()> {
    db_run!(db, |conn| {
        diesel::delete(reactions::table.filter(reactions::message_id.eq(message)))
            .execute(conn)
            .await
    })?;
    Ok(())
}
