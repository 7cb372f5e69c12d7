//! The `rooms` and `room_members` tables. Membership changes are stream rows too
//! (member events): the writer (`messaging`) makes them with the writes here,
//! in the same transaction as the event.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::messages::Message;
use super::schema::{messages, room_members, rooms, users};
use super::users::{escape_like, lower};
use super::{db_run, Handle, Kind, MessageId, Result, Role, RoomId, RoomKind, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rooms)]
pub struct Room {
    pub id: RoomId,
    pub name: String,
    pub kind: RoomKind,
    pub owner_id: UserId,
    pub created_at: NaiveDateTime,
    /// `None`: the server's default.
    pub history_limit: Option<i64>,
    pub last_message_id: Option<MessageId>,
    /// Every row of the room below this position was pruned.
    pub pruned_before: MessageId,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = room_members)]
pub struct Member {
    pub room_id: RoomId,
    pub user_id: UserId,
    pub role: Role,
    pub joined_at: NaiveDateTime,
    pub read_up_to: MessageId,
    /// Notifications from the room stop until then.
    pub muted_until: Option<NaiveDateTime>,
}

/// A room as created.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = rooms)]
pub struct NewRoom {
    pub name: String,
    pub kind: RoomKind,
    pub owner_id: UserId,
    pub created_at: NaiveDateTime,
}

/// Stores a new room; `None` when its name is taken (only the public name index
/// can conflict).
pub async fn insert(db: impl Into<Handle<'_>>, new: &NewRoom) -> Result<Option<Room>> {
    Ok(db_run!(db, |conn| {
        diesel::insert_into(rooms::table)
            .values(new)
            .on_conflict_do_nothing()
            .returning(Room::as_returning())
            .get_result(conn)
            .await
            .optional()
    })?)
}

/// Records `row` as the newest of its room (for the room list's order), and as its
/// newest message when it is one.
pub async fn touch(db: impl Into<Handle<'_>>, room: RoomId, row: &Message) -> Result<()> {
    let message = (row.kind == Kind::Message).then_some(row.id);
    db_run!(db, |conn| {
        let room = rooms::table.find(room);
        match message {
            Some(id) => {
                diesel::update(room)
                    .set((rooms::activity.eq(id), rooms::last_message_id.eq(id)))
                    .execute(conn)
                    .await
            }
            None => {
                diesel::update(room)
                    .set(rooms::activity.eq(row.id))
                    .execute(conn)
                    .await
            }
        }
    })?;
    Ok(())
}

/// Makes `user` a member of `room` with `role`; what came before `read_up_to` is
/// not unread for them.
pub async fn add_member(
    db: impl Into<Handle<'_>>,
    room: RoomId,
    user: UserId,
    role: Role,
    joined_at: NaiveDateTime,
    read_up_to: MessageId,
) -> Result<()> {
    db_run!(db, |conn| {
        diesel::insert_into(room_members::table)
            .values((
                room_members::room_id.eq(room),
                room_members::user_id.eq(user),
                room_members::role.eq(role),
                room_members::joined_at.eq(joined_at),
                room_members::read_up_to.eq(read_up_to),
            ))
            .execute(conn)
            .await
    })?;
    Ok(())
}

pub async fn remove_member(db: impl Into<Handle<'_>>, room: RoomId, user: UserId) -> Result<()> {
    db_run!(db, |conn| {
        diesel::delete(room_members::table.find((room, user)))
            .execute(conn)
            .await
    })?;
    Ok(())
}

/// Makes `owner` (a member) the room's owner.
pub async fn hand_over(db: impl Into<Handle<'_>>, room: RoomId, owner: UserId) -> Result<()> {
    let mut conn = db.into().hold().await?;
    db_run!(&mut conn, |conn| {
        diesel::update(rooms::table.find(room))
            .set(rooms::owner_id.eq(owner))
            .execute(conn)
            .await
    })?;
    db_run!(&mut conn, |conn| {
        diesel::update(room_members::table.find((room, owner)))
            .set(room_members::role.eq(Role::Owner))
            .execute(conn)
            .await
    })?;
    Ok(())
}

pub async fn find(db: impl Into<Handle<'_>>, id: RoomId) -> Result<Option<Room>> {
    Ok(db_run!(db, |conn| {
        rooms::table
            .find(id)
            .select(Room::as_select())
            .first(conn)
            .await
            .optional()
    })?)
}

pub async fn find_many(db: impl Into<Handle<'_>>, ids: &[RoomId]) -> Result<Vec<Room>> {
    Ok(db_run!(db, |conn| {
        rooms::table
            .filter(rooms::id.eq_any(ids))
            .select(Room::as_select())
            .load(conn)
            .await
    })?)
}

/// The members of `rooms`, each room's in the order they joined.
pub async fn members_in_join_order(
    db: impl Into<Handle<'_>>,
    ids: &[RoomId],
) -> Result<Vec<Member>> {
    Ok(db_run!(db, |conn| {
        room_members::table
            .filter(room_members::room_id.eq_any(ids))
            .order((
                room_members::room_id,
                room_members::joined_at,
                room_members::user_id,
            ))
            .select(Member::as_select())
            .load(conn)
            .await
    })?)
}

pub async fn membership(
    db: impl Into<Handle<'_>>,
    room: RoomId,
    user: UserId,
) -> Result<Option<Member>> {
    Ok(db_run!(db, |conn| {
        room_members::table
            .find((room, user))
            .select(Member::as_select())
            .first(conn)
            .await
            .optional()
    })?)
}

/// `user`'s memberships among `ids`.
pub async fn memberships_of(
    db: impl Into<Handle<'_>>,
    user: UserId,
    ids: &[RoomId],
) -> Result<Vec<Member>> {
    Ok(db_run!(db, |conn| {
        room_members::table
            .filter(room_members::user_id.eq(user))
            .filter(room_members::room_id.eq_any(ids))
            .select(Member::as_select())
            .load(conn)
            .await
    })?)
}

/// A room's members with their usernames, the owner first, then in join order.
pub async fn members_with_names(
    db: impl Into<Handle<'_>>,
    room: RoomId,
) -> Result<Vec<(Member, String)>> {
    let mut members: Vec<(Member, String)> = db_run!(db, |conn| {
        room_members::table
            .inner_join(users::table.on(users::id.eq(room_members::user_id)))
            .filter(room_members::room_id.eq(room))
            .order((room_members::joined_at, room_members::user_id))
            .select((Member::as_select(), users::username))
            .load(conn)
            .await
    })?;
    members.sort_by_key(|(member, _)| member.role != Role::Owner);
    Ok(members)
}

/// Public rooms and the private ones `user` belongs to (only those they belong
/// to when `joined_only`), whose name contains `search` (any letter case), most
/// recently active first.
pub async fn visible_to(
    db: impl Into<Handle<'_>>,
    user: UserId,
    joined_only: bool,
    search: Option<&str>,
    limit: i64,
) -> Result<Vec<Room>> {
    if search.is_some_and(|q| !super::storable(q)) {
        return Ok(Vec::new());
    }
    let pattern = search.map(|q| format!("%{}%", escape_like(&q.to_lowercase())));
    // Not a public kind to match when only the user's rooms are wanted.
    let open_kind = (!joined_only).then_some(RoomKind::Public);
    Ok(db_run!(db, |conn| {
        let mine = room_members::table
            .filter(room_members::user_id.eq(user))
            .select(room_members::room_id);
        let mut query = rooms::table
            .filter(
                rooms::kind
                    .nullable()
                    .eq(open_kind)
                    .or(rooms::id.eq_any(mine)),
            )
            .order((rooms::activity.desc(), rooms::id.desc()))
            .limit(limit)
            .select(Room::as_select())
            .into_boxed();
        if let Some(pattern) = &pattern {
            query = query.filter(lower(rooms::name).like(pattern).escape('\\'));
        }
        query.load(conn).await
    })?)
}

pub async fn member_counts(
    db: impl Into<Handle<'_>>,
    ids: &[RoomId],
) -> Result<HashMap<RoomId, i64>> {
    let counts: Vec<(RoomId, i64)> = db_run!(db, |conn| {
        room_members::table
            .filter(room_members::room_id.eq_any(ids))
            .group_by(room_members::room_id)
            .select((room_members::room_id, count_star()))
            .load(conn)
            .await
    })?;
    Ok(counts.into_iter().collect())
}

/// Messages from others after `user`'s read marker, per room among `ids`: one
/// range scan of `messages_room_stream_idx` per room, from the marker.
pub async fn unread_counts(
    db: impl Into<Handle<'_>>,
    user: UserId,
    ids: &[RoomId],
) -> Result<HashMap<RoomId, i64>> {
    let counts: Vec<(RoomId, i64)> = db_run!(db, |conn| {
        room_members::table
            .inner_join(messages::table.on(messages::room_id.eq(room_members::room_id.nullable())))
            .filter(room_members::user_id.eq(user))
            .filter(room_members::room_id.eq_any(ids))
            .filter(messages::room_id.is_not_null())
            .filter(messages::id.gt(room_members::read_up_to))
            .filter(messages::kind.eq(Kind::Message))
            .filter(messages::sender_id.ne(user))
            .filter(messages::deleted_at.is_null())
            .group_by(room_members::room_id)
            .select((room_members::room_id, count_star()))
            .load(conn)
            .await
    })?;
    Ok(counts.into_iter().collect())
}

pub async fn set_history_limit(
    db: impl Into<Handle<'_>>,
    room: RoomId,
    limit: Option<i64>,
) -> Result<Room> {
    Ok(db_run!(db, |conn| {
        diesel::update(rooms::table.find(room))
            .set(rooms::history_limit.eq(limit))
            .returning(Room::as_returning())
            .get_result(conn)
            .await
    })?)
}

/// Moves `user`'s read marker in `room` forward to `up_to`, but never past the
/// room's newest row. `None` when they are not a member; otherwise the marker as
/// it now stands, if it moved.
pub async fn mark_read(
    db: impl Into<Handle<'_>>,
    room: RoomId,
    user: UserId,
    up_to: MessageId,
) -> Result<Option<Option<MessageId>>> {
    let mut conn = db.into().hold().await?;
    let newest: Option<MessageId> = db_run!(&mut conn, |conn| {
        messages::table
            .filter(messages::room_id.eq(room))
            .select(diesel::dsl::max(messages::id))
            .first(conn)
            .await
    })?;
    let up_to = up_to.min(newest.unwrap_or(MessageId(0)));
    let moved = db_run!(&mut conn, |conn| {
        diesel::update(room_members::table.find((room, user)))
            .filter(room_members::read_up_to.lt(up_to))
            .set(room_members::read_up_to.eq(up_to))
            .execute(conn)
            .await
    })?;
    if moved > 0 {
        return Ok(Some(Some(up_to)));
    }
    Ok(membership(&mut conn, room, user).await?.map(|_| None))
}
