//! The `messages` table: one stream of rows ordered by id. A row is a message (to
//! a user or to a room), an edit or delete event about an earlier one, or a room's
//! member event; a client that saw the stream up to some id can resume from there.
//! Delivery and read marks are in [`super::receipts`].

mod pages;
mod writes;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::attachments::Attached;
use super::json_column;
use super::schema::{messages, room_members, rooms};
use super::{db_run, Chat, Handle, Kind, MessageId, Result, RoomId, UserId};
use crate::domain::{Quote, Reactions};

pub use pages::{page_conversation, page_room, Window};
pub use writes::{
    clear_edits_of, find_message, find_sent, insert_event, insert_messages, requote, set_reactions,
    update_sent, NewRow, Rewrite,
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
    /// JSON: see [`Message::attachments`].
    pub attachments: Option<String>,
    /// The message this one answers.
    pub reply_to: Option<MessageId>,
    /// JSON: see [`Message::quote`].
    pub quote: Option<String>,
    /// JSON: see [`Message::reactions`].
    pub reactions: Option<String>,
    /// JSON: see [`Message::mentions`].
    pub mentions: Option<String>,
}

impl Message {
    pub fn chat(&self) -> Option<Chat> {
        Chat::of(self.recipient_id, self.room_id)
    }

    /// The files it carries; none once deleted.
    pub fn attachments(&self) -> Vec<Attached> {
        super::attachments::from_column(self.attachments.as_deref())
    }

    /// How a reply quotes it, as it reads now.
    pub fn as_quoted(&self) -> Quote {
        Quote::of(
            self.id,
            self.sender_id,
            &self.content,
            self.attachments().len(),
        )
    }

    /// What it shows of the message it answers, if it is a reply.
    pub fn quote(&self) -> Option<Quote> {
        json_column::read(self.quote.as_deref(), "quote")
    }

    /// Its reactions; none once deleted.
    pub fn reactions(&self) -> Reactions {
        json_column::read(self.reactions.as_deref(), "reactions")
    }

    /// The room members it mentions.
    pub fn mentions(&self) -> Vec<UserId> {
        json_column::read(self.mentions.as_deref(), "mentions")
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
    conn.transaction(async |mut conn| {
        // Their files go too, by the sweeper: marked here, in the same transaction.
        let at = crate::domain::time::now();
        super::attachments::discard_in_room_before(&mut conn, room, bound, at).await?;
        // One statement, so that an event and its target go together.
        let pruned = db_run!(&mut conn, |conn| {
            diesel::delete(messages::table)
                .filter(messages::room_id.eq(room))
                .filter(messages::id.lt(bound).or(messages::target_id.lt(bound)))
                .execute(conn)
                .await
        })?;
        db_run!(&mut conn, |conn| {
            diesel::update(rooms::table.find(room))
                .filter(rooms::pruned_before.lt(bound))
                .set(rooms::pruned_before.eq(bound))
                .execute(conn)
                .await
        })?;
        Ok(pruned)
    })
    .await
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
