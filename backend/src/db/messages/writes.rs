//! Writing message rows: new messages (many in one statement), events, and
//! rewrites of a message's text. Only the writer (`messaging`) calls these, inside
//! its batch's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::future::BoxFuture;

use super::Message;
use crate::db::attachments::{self, Attached};
use crate::db::json_column;
use crate::db::schema::{messages, room_members};
use crate::db::{db_run, Chat, Handle, Kind, MessageId, Result, RoomId, SqliteConn, UserId};
use crate::domain::{Quote, Reactions};

/// A row to insert: a message, or an event about a message or a room.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = messages, treat_none_as_default_value = false)]
pub struct NewRow {
    pub kind: Kind,
    pub target_id: Option<MessageId>,
    pub sender_id: UserId,
    pub recipient_id: Option<UserId>,
    pub room_id: Option<RoomId>,
    pub content: String,
    pub client_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub attachments: Option<String>,
    pub reply_to: Option<MessageId>,
    pub quote: Option<String>,
    pub mentions: Option<String>,
}

impl NewRow {
    /// A message; what it carries, answers and mentions is added by the
    /// methods below.
    pub fn message(
        sender: UserId,
        to: Chat,
        content: String,
        client_id: Option<String>,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            kind: Kind::Message,
            target_id: None,
            sender_id: sender,
            recipient_id: to.recipient(),
            room_id: to.room(),
            content,
            client_id,
            created_at: at,
            attachments: None,
            reply_to: None,
            quote: None,
            mentions: None,
        }
    }

    pub fn carrying(self, attached: &[Attached]) -> Self {
        Self {
            attachments: attachments::to_column(attached),
            ..self
        }
    }

    /// A reply to the message `quote` quotes.
    pub fn quoting(self, quote: Option<&Quote>) -> Self {
        Self {
            reply_to: quote.map(|quote| quote.id),
            quote: quote.and_then(|quote| json_column::write(quote, false)),
            ..self
        }
    }

    pub fn mentioning(self, users: &[UserId]) -> Self {
        Self {
            mentions: json_column::write(&users, users.is_empty()),
            ..self
        }
    }

    /// An event with no text of its own (a member event) or about `target`.
    fn event(kind: Kind, sender: UserId, chat: Chat, content: String, at: NaiveDateTime) -> Self {
        Self {
            kind,
            ..Self::message(sender, chat, content, None, at)
        }
    }

    /// A member event of `room`: `user` joined, left, was added or removed.
    pub fn member_event(room: RoomId, user: UserId, kind: Kind, at: NaiveDateTime) -> Self {
        Self::event(kind, user, Chat::Room(room), String::new(), at)
    }

    /// An event about `target` by `actor` (an edit or delete by its sender, or a
    /// reaction by either side or any member), in the target's conversation: for
    /// a direct message, to the side that is not `actor`.
    pub fn event_about(
        target: &Message,
        actor: UserId,
        kind: Kind,
        content: &str,
        at: NaiveDateTime,
    ) -> Option<Self> {
        let chat = match target.chat()? {
            Chat::Direct(recipient) if recipient == actor => Chat::Direct(target.sender_id),
            chat => chat,
        };
        Some(Self {
            target_id: Some(target.id),
            ..Self::event(kind, actor, chat, content.to_owned(), at)
        })
    }
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
    fn insert_messages(&mut self, rows: Vec<NewRow>) -> BoxFuture<'_, QueryResult<Vec<Message>>>;
}

impl InsertMessages for AsyncPgConnection {
    fn insert_messages(&mut self, rows: Vec<NewRow>) -> BoxFuture<'_, QueryResult<Vec<Message>>> {
        Box::pin(async move { insert_messages!(&rows).get_results(self).await })
    }
}

impl InsertMessages for SqliteConn {
    fn insert_messages(&mut self, rows: Vec<NewRow>) -> BoxFuture<'_, QueryResult<Vec<Message>>> {
        self.spawn_blocking(move |conn| {
            diesel::RunQueryDsl::get_results(insert_messages!(&rows), conn)
        })
    }
}

/// Inserts `rows` (messages) in one statement; for each, the row stored, or `None`
/// where its sender had already used its client_id.
pub async fn insert_messages(
    db: impl Into<Handle<'_>>,
    rows: &[NewRow],
) -> Result<Vec<Option<Message>>> {
    let inserted = db_run!(db, |conn| conn.insert_messages(rows.to_vec()).await)?;
    Ok(pair_inserted(rows, inserted)?)
}

/// Pairs each row with the one the INSERT returned for it; `None` where its
/// client_id was already taken. Both backends number the rows of one multi-row
/// INSERT in the order of its VALUES, so walking both in id order pairs them up;
/// a row left over means that did not hold, and the batch is refused rather than
/// answered with the wrong rows.
fn pair_inserted(
    rows: &[NewRow],
    mut inserted: Vec<Message>,
) -> std::result::Result<Vec<Option<Message>>, diesel::result::Error> {
    inserted.sort_unstable_by_key(|row| row.id);
    let mut returned = inserted.into_iter().peekable();
    let paired: Vec<Option<Message>> = rows
        .iter()
        .map(|row| returned.next_if(|stored| is_row_of(stored, row)))
        .collect();
    if returned.next().is_some() {
        return Err(diesel::result::Error::QueryBuilderError(
            "a multi-row INSERT returned rows out of order".into(),
        ));
    }
    Ok(paired)
}

fn is_row_of(stored: &Message, row: &NewRow) -> bool {
    stored.sender_id == row.sender_id
        && stored.recipient_id == row.recipient_id
        && stored.room_id == row.room_id
        && stored.client_id == row.client_id
        && stored.content == row.content
}

/// The message `sender` sent under `client_id`.
pub async fn find_sent(
    db: impl Into<Handle<'_>>,
    sender: UserId,
    client_id: Option<&str>,
) -> Result<Message> {
    Ok(db_run!(db, |conn| {
        messages::table
            .filter(messages::sender_id.eq(sender))
            .filter(messages::client_id.eq(client_id))
            .select(Message::as_select())
            .first(conn)
            .await
    })?)
}

/// Inserts one event row and returns it.
pub async fn insert_event(db: impl Into<Handle<'_>>, row: &NewRow) -> Result<Message> {
    Ok(db_run!(db, |conn| {
        diesel::insert_into(messages::table)
            .values(row)
            .returning(Message::as_returning())
            .get_result(conn)
            .await
    })?)
}

/// A message's new text and marks, set by [`update_sent`].
pub struct Rewrite<'a> {
    pub content: &'a str,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

/// The columns a [`Rewrite`] sets (`Some(None)`: to NULL; `None`: left alone). A
/// deleted message carries no files, reactions or mentions.
#[derive(AsChangeset)]
#[diesel(table_name = messages)]
struct Rewritten<'a> {
    content: &'a str,
    edited_at: Option<Option<NaiveDateTime>>,
    deleted_at: Option<Option<NaiveDateTime>>,
    attachments: Option<Option<String>>,
    reactions: Option<Option<String>>,
    mentions: Option<Option<String>>,
}

impl<'a> From<Rewrite<'a>> for Rewritten<'a> {
    fn from(rewrite: Rewrite<'a>) -> Self {
        Self {
            content: rewrite.content,
            edited_at: Some(rewrite.edited_at),
            deleted_at: Some(rewrite.deleted_at),
            attachments: rewrite.deleted_at.map(|_| None),
            reactions: rewrite.deleted_at.map(|_| None),
            mentions: rewrite.deleted_at.map(|_| None),
        }
    }
}

/// Rewrites message `id` if `editor` sent it, it is not deleted, and (in a room)
/// `editor` is still a member; the message as it now reads, or `None`.
pub async fn update_sent(
    db: impl Into<Handle<'_>>,
    editor: UserId,
    id: MessageId,
    rewrite: Rewrite<'_>,
) -> Result<Option<Message>> {
    Ok(db_run!(db, |conn| {
        let editors_rooms = room_members::table
            .filter(room_members::user_id.eq(editor))
            .select(room_members::room_id.nullable());
        // Writing first, not reading, keeps SQLite from having to upgrade a read
        // lock inside the writer's transaction.
        diesel::update(messages::table)
            .filter(messages::id.eq(id))
            .filter(messages::kind.eq(Kind::Message))
            .filter(messages::sender_id.eq(editor))
            .filter(messages::deleted_at.is_null())
            .filter(
                messages::room_id
                    .is_null()
                    .or(messages::room_id.eq_any(editors_rooms)),
            )
            .set(Rewritten::from(rewrite))
            .returning(Message::as_returning())
            .get_result(conn)
            .await
            .optional()
    })?)
}

/// Clears the text of the edit events about `id` (when it is deleted).
pub async fn clear_edits_of(db: impl Into<Handle<'_>>, id: MessageId) -> Result<()> {
    db_run!(db, |conn| {
        diesel::update(messages::table)
            .filter(messages::target_id.eq(id))
            .filter(messages::kind.eq(Kind::Edit))
            .set(messages::content.eq(""))
            .execute(conn)
            .await
    })?;
    Ok(())
}

/// Message `id`, if it is a message (not an event).
pub async fn find_message(db: impl Into<Handle<'_>>, id: MessageId) -> Result<Option<Message>> {
    Ok(db_run!(db, |conn| {
        messages::table
            .find(id)
            .filter(messages::kind.eq(Kind::Message))
            .select(Message::as_select())
            .first(conn)
            .await
            .optional()
    })?)
}

/// Sets the reaction summary of message `id`; the message as it now reads.
pub async fn set_reactions(
    db: impl Into<Handle<'_>>,
    id: MessageId,
    reactions: &Reactions,
) -> Result<Message> {
    let column = json_column::write(reactions, reactions.is_empty());
    Ok(db_run!(db, |conn| {
        diesel::update(messages::table.find(id))
            .set(messages::reactions.eq(&column))
            .returning(Message::as_returning())
            .get_result(conn)
            .await
    })?)
}

/// Rewrites the quote in every reply to `quote`'s original (it was edited or
/// deleted).
pub async fn requote(db: impl Into<Handle<'_>>, quote: &Quote) -> Result<()> {
    let column = json_column::write(quote, false);
    db_run!(db, |conn| {
        diesel::update(messages::table)
            .filter(messages::reply_to.eq(quote.id))
            .set(messages::quote.eq(&column))
            .execute(conn)
            .await
    })?;
    Ok(())
}
