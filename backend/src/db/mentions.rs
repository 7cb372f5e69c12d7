//! The `mentions` table: which room members each room message names, for the
//! unread mention counts. (What a message shows is its own `mentions` column.)

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{mentions, room_members};
use super::{db_run, Handle, MessageId, Result, RoomId, UserId};

/// Records that `message` of `room` mentions `users` (a few: see
/// `domain::mention::MAX_MENTIONS`), one row each.
pub async fn insert(
    db: impl Into<Handle<'_>>,
    room: RoomId,
    message: MessageId,
    users: &[UserId],
) -> Result<()> {
    let mut conn = db.into().hold().await?;
    for &user in users {
        db_run!(&mut conn, |conn| {
            diesel::insert_into(mentions::table)
                .values((
                    mentions::user_id.eq(user),
                    mentions::room_id.eq(room),
                    mentions::message_id.eq(message),
                ))
                .execute(conn)
                .await
        })?;
    }
    Ok(())
}

/// Forgets the mentions in `message` (it was deleted).
pub async fn delete_of(db: impl Into<Handle<'_>>, message: MessageId) -> Result<()> {
    db_run!(db, |conn| {
        diesel::delete(mentions::table.filter(mentions::message_id.eq(message)))
            .execute(conn)
            .await
    })?;
    Ok(())
}

/// Messages mentioning `user` after their read marker, per room among `rooms`.
pub async fn unread_counts(
    db: impl Into<Handle<'_>>,
    user: UserId,
    rooms: &[RoomId],
) -> Result<HashMap<RoomId, i64>> {
    let counts: Vec<(RoomId, i64)> = db_run!(db, |conn| {
        mentions::table
            .inner_join(
                room_members::table.on(room_members::room_id
                    .eq(mentions::room_id)
                    .and(room_members::user_id.eq(mentions::user_id))),
            )
            .filter(mentions::user_id.eq(user))
            .filter(mentions::room_id.eq_any(rooms))
            .filter(mentions::message_id.gt(room_members::read_up_to))
            .group_by(mentions::room_id)
            .select((mentions::room_id, count_star()))
            .load(conn)
            .await
    })?;
    Ok(counts.into_iter().collect())
}
