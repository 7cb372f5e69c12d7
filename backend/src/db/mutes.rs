//! Muted chats: a direct conversation's in `muted_peers`, a room's on the
//! member's row. A mute lasts until its time; one that has passed is as none.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;

use super::schema::{muted_peers, room_members};
use super::{db_run, Chat, Handle, Result, UserId};

/// Mutes (`Some`) or unmutes `chat` for `user`. False when `user` is not a member
/// of the room.
pub async fn set(
    db: impl Into<Handle<'_>>,
    user: UserId,
    chat: Chat,
    until: Option<NaiveDateTime>,
) -> Result<bool> {
    let changed = match (chat, until) {
        (Chat::Room(room), until) => db_run!(db, |conn| {
            diesel::update(room_members::table.find((room, user)))
                .set(room_members::muted_until.eq(until))
                .execute(conn)
                .await
        })?,
        (Chat::Direct(peer), Some(until)) => db_run!(db, |conn| {
            diesel::insert_into(muted_peers::table)
                .values((
                    muted_peers::user_id.eq(user),
                    muted_peers::peer_id.eq(peer),
                    muted_peers::muted_until.eq(until),
                ))
                .on_conflict((muted_peers::user_id, muted_peers::peer_id))
                .do_update()
                .set(muted_peers::muted_until.eq(excluded(muted_peers::muted_until)))
                .execute(conn)
                .await
        })?,
        (Chat::Direct(peer), None) => {
            db_run!(db, |conn| {
                diesel::delete(muted_peers::table.find((user, peer)))
                    .execute(conn)
                    .await
            })?;
            1
        }
    };
    Ok(changed > 0)
}

/// Which of `users` have muted `chat` at `at`. For a direct message, `chat` is
/// as its recipient sees it: `Chat::Direct(sender)`.
pub async fn silenced(
    db: impl Into<Handle<'_>>,
    chat: Chat,
    users: &[UserId],
    at: NaiveDateTime,
) -> Result<HashSet<UserId>> {
    let muted: Vec<UserId> = match chat {
        Chat::Direct(sender) => db_run!(db, |conn| {
            muted_peers::table
                .filter(muted_peers::peer_id.eq(sender))
                .filter(muted_peers::user_id.eq_any(users))
                .filter(muted_peers::muted_until.gt(at))
                .select(muted_peers::user_id)
                .load(conn)
                .await
        })?,
        Chat::Room(room) => db_run!(db, |conn| {
            room_members::table
                .filter(room_members::room_id.eq(room))
                .filter(room_members::user_id.eq_any(users))
                .filter(room_members::muted_until.gt(at))
                .select(room_members::user_id)
                .load(conn)
                .await
        })?,
    };
    Ok(muted.into_iter().collect())
}

/// The peers `user` has muted at `at`, and until when.
pub async fn muted_peers(
    db: impl Into<Handle<'_>>,
    user: UserId,
    at: NaiveDateTime,
) -> Result<HashMap<UserId, NaiveDateTime>> {
    let muted: Vec<(UserId, NaiveDateTime)> = db_run!(db, |conn| {
        muted_peers::table
            .filter(muted_peers::user_id.eq(user))
            .filter(muted_peers::muted_until.gt(at))
            .select((muted_peers::peer_id, muted_peers::muted_until))
            .load(conn)
            .await
    })?;
    Ok(muted.into_iter().collect())
}
