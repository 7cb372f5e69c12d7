//! The `messages` table: one stream of rows ordered by id. A row is a message (to
//! a user or to a room), an edit or delete event about an earlier one, or a room's
//! member event; a client that saw the stream up to some id can resume from there.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;

use super::rooms::{NewRoom, Room};
use super::schema::{messages, room_members, rooms};
use super::{
    db_run, Action, Chat, Handle, Kind, MessageId, Result, Role, RoomId, SqliteConn, UserId,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = messages)]
pub struct Message {
    pub id: MessageId,
    pub kind: Kind,
    pub target_id: Option<MessageId>,
    pub sender_id: UserId,
    pub recipient_id: Option<UserId>,
    pub room_id: Option<RoomId>,
    pub content: String,
    pub client_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub read_at: Option<NaiveDateTime>,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

impl Message {
    pub fn chat(&self) -> Option<Chat> {
        Chat::of(self.recipient_id, self.room_id)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
struct NewRow<'a> {
    kind: Kind,
    target_id: Option<MessageId>,
    sender_id: UserId,
    recipient_id: Option<UserId>,
    room_id: Option<RoomId>,
    content: &'a str,
    client_id: Option<&'a str>,
    created_at: NaiveDateTime,
}

/// A new message, as sent.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender: UserId,
    pub to: Chat,
    pub content: String,
    pub client_id: Option<String>,
    pub at: NaiveDateTime,
}

/// One change to the stream, stored by [`write_batch`].
#[derive(Debug, Clone)]
pub enum Write {
    Send(NewMessage),
    Change {
        editor: UserId,
        message: MessageId,
        change: Change,
        at: NaiveDateTime,
    },
    /// A room's membership changes; its rules were checked by the caller.
    Member(MemberChange),
    CreateRoom(NewRoom),
}

#[derive(Debug, Clone)]
pub struct MemberChange {
    pub room: RoomId,
    pub user: UserId,
    pub action: Action,
    pub at: NaiveDateTime,
    /// Takes the room over (when its owner leaves).
    pub new_owner: Option<UserId>,
}

impl Write {
    fn as_send(&self) -> Option<&NewMessage> {
        match self {
            Self::Send(send) => Some(send),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Change {
    Edit(String),
    Delete,
}

/// What became of a [`Write`].
#[derive(Debug)]
pub enum Written {
    /// Stored; or, when `duplicate`, found already stored under the same client_id.
    Sent {
        message: Message,
        duplicate: bool,
    },
    /// The message now reads as `message`; `event` is the edit or delete row.
    Changed {
        message: Message,
        event: Message,
    },
    /// Deleting what was already deleted changes nothing.
    Unchanged(Message),
    /// The member event stored for a [`Write::Member`].
    Member(Message),
    RoomCreated {
        room: Room,
        event: Message,
    },
    Refused(Refusal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such message in the caller's conversations.
    NotFound,
    /// Only the sender may change a message.
    NotSender,
    /// A deleted message cannot be edited.
    Deleted,
    /// Another public room has that name.
    NameTaken,
}

/// The statement (a macro: its type differs by connection kind).
macro_rules! insert_messages {
    ($rows:expr) => {
        diesel::insert_into(messages::table)
            .values($rows)
            .on_conflict_do_nothing()
            .returning(Message::as_returning())
    };
}

/// One multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` for new messages.
/// diesel renders a multi-row INSERT for SQLite only on its synchronous connection,
/// so on SQLite the statement runs on the connection's blocking thread; the
/// statement itself is written once, in `insert_messages!`.
trait InsertMessages {
    fn insert_messages(
        &mut self,
        sends: Vec<NewMessage>,
    ) -> BoxFuture<'_, QueryResult<Vec<Message>>>;
}

impl InsertMessages for AsyncPgConnection {
    fn insert_messages(
        &mut self,
        sends: Vec<NewMessage>,
    ) -> BoxFuture<'_, QueryResult<Vec<Message>>> {
        Box::pin(async move {
            let rows: Vec<NewRow> = sends.iter().map(NewRow::message).collect();
            insert_messages!(&rows).get_results(self).await
        })
    }
}

impl InsertMessages for SqliteConn {
    fn insert_messages(
        &mut self,
        sends: Vec<NewMessage>,
    ) -> BoxFuture<'_, QueryResult<Vec<Message>>> {
        self.spawn_blocking(move |conn| {
            let rows: Vec<NewRow> = sends.iter().map(NewRow::message).collect();
            diesel::RunQueryDsl::get_results(insert_messages!(&rows), conn)
        })
    }
}

impl<'a> NewRow<'a> {
    fn message(send: &'a NewMessage) -> Self {
        Self {
            kind: Kind::Message,
            target_id: None,
            sender_id: send.sender,
            recipient_id: send.to.recipient(),
            room_id: send.to.room(),
            content: &send.content,
            client_id: send.client_id.as_deref(),
            created_at: send.at,
        }
    }
}

/// Pairs each send with the row the INSERT returned for it; `None` where its
/// client_id was already taken. Both backends number the rows of one multi-row
/// INSERT in the order of its VALUES, so walking both in id order pairs them up;
/// a row left over means that did not hold, and the batch is refused rather than
/// answered with the wrong rows.
fn pair_inserted(
    sends: &[&NewMessage],
    mut inserted: Vec<Message>,
) -> std::result::Result<Vec<Option<Message>>, diesel::result::Error> {
    inserted.sort_unstable_by_key(|row| row.id);
    let mut rows = inserted.into_iter().peekable();
    let paired: Vec<Option<Message>> = sends
        .iter()
        .map(|send| rows.next_if(|row| is_row_of(row, send)))
        .collect();
    if rows.next().is_some() {
        return Err(diesel::result::Error::QueryBuilderError(
            "a multi-row INSERT returned rows out of order".into(),
        ));
    }
    Ok(paired)
}

fn is_row_of(row: &Message, send: &NewMessage) -> bool {
    row.sender_id == send.sender
        && row.chat() == Some(send.to)
        && row.client_id == send.client_id
        && row.content == send.content
}

/// Inserts one event row and returns it.
macro_rules! insert_event {
    ($conn:expr, $row:expr) => {
        diesel::insert_into(messages::table)
            .values($row)
            .returning(Message::as_returning())
            .get_result($conn)
            .await?
    };
}

/// Records `row` as the newest of its room (for the room list's order), and as its
/// newest message when it is one.
macro_rules! touch_room {
    ($conn:expr, $room:expr, $row:expr) => {{
        let row: &Message = $row;
        let room = rooms::table.find($room);
        if row.kind == Kind::Message {
            diesel::update(room)
                .set((
                    rooms::activity.eq(row.id),
                    rooms::last_message_id.eq(row.id),
                ))
                .execute($conn)
                .await?;
        } else {
            diesel::update(room)
                .set(rooms::activity.eq(row.id))
                .execute($conn)
                .await?;
        }
    }};
}

/// Stores `writes` in one transaction, in order; each row gets a stream position
/// above every earlier one. Recipients must exist (see `users::existing`), and
/// member changes must follow the room's rules (see `messaging::rooms`).
pub async fn write_batch(db: impl Into<Handle<'_>>, writes: &[Write]) -> Result<Vec<Written>> {
    Ok(db_run!(db, |conn| {
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            {
                let mut written = Vec::with_capacity(writes.len());
                let mut rest = writes;
                while let Some(write) = rest.first() {
                    match write {
                        Write::Send(_) => {
                            // Consecutive sends share one multi-row INSERT (group commit).
                            let sends: Vec<&NewMessage> =
                                rest.iter().map_while(Write::as_send).collect();
                            rest = &rest[sends.len()..];
                            let owned = sends.iter().map(|&send| send.clone()).collect();
                            let inserted = conn.insert_messages(owned).await?;
                            let mut newest: HashMap<RoomId, &Message> = HashMap::new();
                            let paired = pair_inserted(&sends, inserted)?;
                            for row in paired.iter().flatten() {
                                if let Some(room) = row.room_id {
                                    newest.insert(room, row);
                                }
                            }
                            for (room, row) in newest {
                                touch_room!(conn, room, row);
                            }
                            for (send, row) in sends.iter().zip(paired) {
                                written.push(match row {
                                    Some(message) => Written::Sent {
                                        message,
                                        duplicate: false,
                                    },
                                    // Only the (sender, client_id) key can conflict.
                                    None => Written::Sent {
                                        message: messages::table
                                            .filter(messages::sender_id.eq(send.sender))
                                            .filter(messages::client_id.eq(&send.client_id))
                                            .select(Message::as_select())
                                            .first(conn)
                                            .await?,
                                        duplicate: true,
                                    },
                                });
                            }
                        }
                        Write::Change {
                            editor,
                            message,
                            change,
                            at,
                        } => {
                            rest = &rest[1..];
                            let (kind, content, edited_at, deleted_at) = match change {
                                Change::Edit(content) => {
                                    (Kind::Edit, content.as_str(), Some(*at), None)
                                }
                                Change::Delete => (Kind::Delete, "", None, Some(*at)),
                            };
                            let editors_rooms = room_members::table
                                .filter(room_members::user_id.eq(editor))
                                .select(room_members::room_id.nullable());
                            // Writing first, not reading, keeps SQLite from having to
                            // upgrade a read lock inside the transaction.
                            let updated = diesel::update(messages::table)
                                .filter(messages::id.eq(message))
                                .filter(messages::kind.eq(Kind::Message))
                                .filter(messages::sender_id.eq(editor))
                                .filter(messages::deleted_at.is_null())
                                // A room message only while its sender is still a member.
                                .filter(
                                    messages::room_id
                                        .is_null()
                                        .or(messages::room_id.eq_any(editors_rooms)),
                                )
                                .set((
                                    messages::content.eq(content),
                                    messages::edited_at.eq(edited_at),
                                    messages::deleted_at.eq(deleted_at),
                                ))
                                .returning(Message::as_returning())
                                .get_result(conn)
                                .await
                                .optional()?;
                            written.push(match updated {
                                Some(message) => {
                                    if let Change::Delete = change {
                                        // Earlier edits carry the text too: it goes as well.
                                        diesel::update(messages::table)
                                            .filter(messages::target_id.eq(message.id))
                                            .filter(messages::kind.eq(Kind::Edit))
                                            .set(messages::content.eq(""))
                                            .execute(conn)
                                            .await?;
                                    }
                                    let event = NewRow {
                                        kind,
                                        target_id: Some(message.id),
                                        sender_id: message.sender_id,
                                        recipient_id: message.recipient_id,
                                        room_id: message.room_id,
                                        content,
                                        client_id: None,
                                        created_at: *at,
                                    };
                                    let event = insert_event!(conn, &event);
                                    Written::Changed { message, event }
                                }
                                None => {
                                    let current = messages::table
                                        .find(message)
                                        .filter(messages::kind.eq(Kind::Message))
                                        .select(Message::as_select())
                                        .first(conn)
                                        .await
                                        .optional()?;
                                    let in_room = match current.as_ref().and_then(|m| m.room_id) {
                                        Some(room) => room_members::table
                                            .find((room, editor))
                                            .select(room_members::user_id)
                                            .first::<UserId>(conn)
                                            .await
                                            .optional()?
                                            .is_some(),
                                        None => true,
                                    };
                                    unchangeable(current.filter(|_| in_room), *editor, change)
                                }
                            });
                        }
                        Write::Member(member) => {
                            rest = &rest[1..];
                            let event = NewRow {
                                kind: Kind::Member(member.action),
                                target_id: None,
                                sender_id: member.user,
                                recipient_id: None,
                                room_id: Some(member.room),
                                content: "",
                                client_id: None,
                                created_at: member.at,
                            };
                            let event = insert_event!(conn, &event);
                            if member.action.is_entry() {
                                diesel::insert_into(room_members::table)
                                    .values((
                                        room_members::room_id.eq(member.room),
                                        room_members::user_id.eq(member.user),
                                        room_members::role.eq(Role::Member),
                                        room_members::joined_at.eq(member.at),
                                        // What came before joining is not unread.
                                        room_members::read_up_to.eq(event.id),
                                    ))
                                    .execute(conn)
                                    .await?;
                            } else {
                                diesel::delete(
                                    room_members::table.find((member.room, member.user)),
                                )
                                .execute(conn)
                                .await?;
                            }
                            if let Some(owner) = member.new_owner {
                                diesel::update(rooms::table.find(member.room))
                                    .set(rooms::owner_id.eq(owner))
                                    .execute(conn)
                                    .await?;
                                diesel::update(room_members::table.find((member.room, owner)))
                                    .set(room_members::role.eq(Role::Owner))
                                    .execute(conn)
                                    .await?;
                            }
                            touch_room!(conn, member.room, &event);
                            written.push(Written::Member(event));
                        }
                        Write::CreateRoom(new) => {
                            rest = &rest[1..];
                            let room = diesel::insert_into(rooms::table)
                                .values(new)
                                .on_conflict_do_nothing()
                                .returning(Room::as_returning())
                                .get_result(conn)
                                .await
                                .optional()?;
                            let Some(room) = room else {
                                // Only the public name index can conflict.
                                written.push(Written::Refused(Refusal::NameTaken));
                                continue;
                            };
                            let event = NewRow {
                                kind: Kind::Member(Action::Joined),
                                target_id: None,
                                sender_id: room.owner_id,
                                recipient_id: None,
                                room_id: Some(room.id),
                                content: "",
                                client_id: None,
                                created_at: room.created_at,
                            };
                            let event = insert_event!(conn, &event);
                            diesel::insert_into(room_members::table)
                                .values((
                                    room_members::room_id.eq(room.id),
                                    room_members::user_id.eq(room.owner_id),
                                    room_members::role.eq(Role::Owner),
                                    room_members::joined_at.eq(room.created_at),
                                    room_members::read_up_to.eq(event.id),
                                ))
                                .execute(conn)
                                .await?;
                            touch_room!(conn, room.id, &event);
                            written.push(Written::RoomCreated { room, event });
                        }
                    }
                }
                Ok(written)
            }
        })
        .await
    })?)
}

/// Why a change matched no row.
fn unchangeable(current: Option<Message>, editor: UserId, change: &Change) -> Written {
    match current {
        Some(message) if message.sender_id == editor => match change {
            Change::Delete => Written::Unchanged(message),
            Change::Edit(_) => Written::Refused(Refusal::Deleted),
        },
        Some(message) if message.recipient_id == Some(editor) || message.room_id.is_some() => {
            Written::Refused(Refusal::NotSender)
        }
        _ => Written::Refused(Refusal::NotFound),
    }
}

pub async fn find(db: impl Into<Handle<'_>>, id: MessageId) -> Result<Option<Message>> {
    Ok(db_run!(db, |conn| {
        messages::table
            .find(id)
            .select(Message::as_select())
            .first(conn)
            .await
            .optional()
    })?)
}

pub async fn find_many(db: impl Into<Handle<'_>>, ids: &[MessageId]) -> Result<Vec<Message>> {
    Ok(db_run!(db, |conn| {
        messages::table
            .filter(messages::id.eq_any(ids))
            .select(Message::as_select())
            .load(conn)
            .await
    })?)
}

/// Up to `limit` messages between `a` and `b` older than `before`, oldest first.
///
/// Each direction is one range scan of `messages_conversation_idx` reading at most
/// `limit` rows; the two are merged here, so the cost does not grow with history.
pub async fn page_conversation(
    db: impl Into<Handle<'_>>,
    a: UserId,
    b: UserId,
    before: Option<MessageId>,
    limit: i64,
) -> Result<Vec<Message>> {
    let before = before.unwrap_or(MessageId(i64::MAX));
    let mut conn = db.into().hold().await?;
    let mut page = Vec::new();
    for (sender, recipient) in [(a, b), (b, a)] {
        page.extend(db_run!(&mut conn, |conn| {
            messages::table
                .filter(messages::sender_id.eq(sender))
                .filter(messages::recipient_id.eq(recipient))
                .filter(messages::kind.eq(Kind::Message))
                .filter(messages::id.lt(before))
                .order(messages::id.desc())
                .limit(limit)
                .select(Message::as_select())
                .load(conn)
                .await
        })?);
    }
    page.sort_unstable_by_key(|m| std::cmp::Reverse(m.id));
    page.truncate(usize::try_from(limit).unwrap_or(0));
    page.reverse();
    Ok(page)
}

/// The rooms `user` is a member of.
#[diesel::dsl::auto_type]
fn rooms_of(user: UserId) -> _ {
    room_members::table
        .filter(room_members::user_id.eq(user))
        .select(room_members::room_id.nullable())
}

/// The next `limit` rows of `user`'s stream after `after`, in order: what they
/// received, what they sent or what happened to them (member events are the
/// sender's), and the rooms they are in. Three index range scans, merged.
pub async fn stream_for(
    db: impl Into<Handle<'_>>,
    user: UserId,
    after: MessageId,
    limit: i64,
) -> Result<Vec<Message>> {
    let mut conn = db.into().hold().await?;
    let mut rows = db_run!(&mut conn, |conn| {
        messages::table
            .filter(messages::recipient_id.eq(user))
            .filter(messages::id.gt(after))
            .order(messages::id.asc())
            .limit(limit)
            .select(Message::as_select())
            .load(conn)
            .await
    })?;
    rows.extend(db_run!(&mut conn, |conn| {
        messages::table
            .filter(messages::sender_id.eq(user))
            .filter(messages::id.gt(after))
            .order(messages::id.asc())
            .limit(limit)
            .select(Message::as_select())
            .load(conn)
            .await
    })?);
    rows.extend(db_run!(&mut conn, |conn| {
        messages::table
            // Spelled out, so that the partial room index is chosen.
            .filter(messages::room_id.is_not_null())
            .filter(messages::room_id.eq_any(rooms_of(user)))
            .filter(messages::id.gt(after))
            .order(messages::id.asc())
            .limit(limit)
            .select(Message::as_select())
            .load(conn)
            .await
    })?);
    rows.sort_unstable_by_key(|m| m.id);
    // The user's own room rows are found by two of the scans.
    rows.dedup_by_key(|m| m.id);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(rows)
}

/// The newest stream position involving `user` (0 when there is none).
pub async fn latest_position(db: impl Into<Handle<'_>>, user: UserId) -> Result<MessageId> {
    let mut conn = db.into().hold().await?;
    let received: Option<MessageId> = db_run!(&mut conn, |conn| {
        messages::table
            .filter(messages::recipient_id.eq(user))
            .select(max(messages::id))
            .first(conn)
            .await
    })?;
    let sent: Option<MessageId> = db_run!(&mut conn, |conn| {
        messages::table
            .filter(messages::sender_id.eq(user))
            .select(max(messages::id))
            .first(conn)
            .await
    })?;
    let rooms: Option<MessageId> = db_run!(&mut conn, |conn| {
        messages::table
            // Spelled out, so that the partial room index is chosen.
            .filter(messages::room_id.is_not_null())
            .filter(messages::room_id.eq_any(rooms_of(user)))
            .select(max(messages::id))
            .first(conn)
            .await
    })?;
    Ok(received.max(sent).max(rooms).unwrap_or(MessageId(0)))
}

/// Up to `limit` messages and member events of `room` older than `before`, oldest
/// first (one range scan of `messages_room_stream_idx`).
pub async fn page_room(
    db: impl Into<Handle<'_>>,
    room: RoomId,
    before: Option<MessageId>,
    limit: i64,
) -> Result<Vec<Message>> {
    let before = before.unwrap_or(MessageId(i64::MAX));
    let mut page = db_run!(db, |conn| {
        messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::kind.eq_any(Kind::HISTORY))
            .filter(messages::id.lt(before))
            .order(messages::id.desc())
            .limit(limit)
            .select(Message::as_select())
            .load(conn)
            .await
    })?;
    page.reverse();
    Ok(page)
}

/// Deletes up to `batch` of `room`'s oldest rows beyond its newest `keep`
/// messages and member events, with the edit and delete events about them.
/// Returns how many rows went; 0 when the room is within its limit.
pub async fn prune_room(
    db: impl Into<Handle<'_>>,
    room: RoomId,
    keep: i64,
    batch: i64,
) -> Result<usize> {
    let mut conn = db.into().hold().await?;
    // The oldest row that stays.
    let oldest_kept: Option<MessageId> = db_run!(&mut conn, |conn| {
        messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::kind.eq_any(Kind::HISTORY))
            .order(messages::id.desc())
            .offset(keep - 1)
            .select(messages::id)
            .first(conn)
            .await
            .optional()
    })?;
    let Some(oldest_kept) = oldest_kept else {
        return Ok(0);
    };
    // This round's bound: the oldest `batch` rows at most.
    let beyond_batch: Option<MessageId> = db_run!(&mut conn, |conn| {
        messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::id.lt(oldest_kept))
            .order(messages::id.asc())
            .offset(batch)
            .select(messages::id)
            .first(conn)
            .await
            .optional()
    })?;
    let bound = beyond_batch.unwrap_or(oldest_kept).min(oldest_kept);
    Ok(db_run!(&mut conn, |conn| {
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            // One statement, so that an event and its target go together.
            let pruned = diesel::delete(messages::table)
                .filter(messages::room_id.eq(room))
                .filter(messages::id.lt(bound).or(messages::target_id.lt(bound)))
                .execute(conn)
                .await?;
            diesel::update(rooms::table.find(room))
                .filter(rooms::pruned_before.lt(bound))
                .set(rooms::pruned_before.eq(bound))
                .execute(conn)
                .await?;
            Ok(pruned)
        })
        .await
    })?)
}

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

/// Everyone `user` has exchanged messages with, and the newest message with each,
/// most recent first.
pub async fn conversation_heads(
    db: impl Into<Handle<'_>>,
    user: UserId,
) -> Result<Vec<(UserId, MessageId)>> {
    let mut conn = db.into().hold().await?;
    let sent: Vec<(Option<UserId>, Option<MessageId>)> = db_run!(&mut conn, |conn| {
        messages::table
            .filter(messages::sender_id.eq(user))
            .filter(messages::kind.eq(Kind::Message))
            .filter(messages::recipient_id.is_not_null())
            .group_by(messages::recipient_id)
            .select((messages::recipient_id, max(messages::id)))
            .load(conn)
            .await
    })?;
    let received: Vec<(Option<UserId>, Option<MessageId>)> = db_run!(&mut conn, |conn| {
        messages::table
            .filter(messages::recipient_id.eq(user))
            .filter(messages::kind.eq(Kind::Message))
            .group_by(messages::sender_id)
            .select((messages::sender_id.nullable(), max(messages::id)))
            .load(conn)
            .await
    })?;
    let mut heads: HashMap<UserId, MessageId> = HashMap::new();
    for (peer, last) in sent.into_iter().chain(received) {
        if let (Some(peer), Some(last)) = (peer, last) {
            let head = heads.entry(peer).or_insert(last);
            *head = (*head).max(last);
        }
    }
    let mut heads: Vec<_> = heads.into_iter().collect();
    heads.sort_unstable_by_key(|(_, last)| std::cmp::Reverse(*last));
    Ok(heads)
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
