//! The `messages` table: direct messages, each with its delivery state.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::schema::messages;
use super::{db_run, Db, MessageId, Result, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = messages)]
pub struct Message {
    pub id: MessageId,
    pub sender_id: UserId,
    pub recipient_id: UserId,
    pub content: String,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage<'a> {
    pub sender_id: UserId,
    pub recipient_id: UserId,
    pub content: &'a str,
    pub created_at: NaiveDateTime,
}

/// Stores a message, undelivered; returns the stored row, committed. `None` when the
/// sender or recipient does not exist.
pub async fn insert(db: &Db, new: NewMessage<'_>) -> Result<Option<Message>> {
    let inserted = db_run!(db, |conn| {
        diesel::insert_into(messages::table)
            .values(&new)
            .returning(Message::as_returning())
            .get_result(conn)
            .await
    });
    match inserted {
        Ok(message) => Ok(Some(message)),
        Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Up to `limit` messages between `a` and `b` older than `before`, oldest first.
///
/// Each direction is one range scan of `messages_conversation_idx` reading at most
/// `limit` rows; the two are merged here, so the cost does not grow with history.
pub async fn page_conversation(
    db: &Db,
    a: UserId,
    b: UserId,
    before: Option<MessageId>,
    limit: i64,
) -> Result<Vec<Message>> {
    let before = before.unwrap_or(MessageId(i64::MAX));
    let mut page = Vec::new();
    for (sender, recipient) in [(a, b), (b, a)] {
        page.extend(db_run!(db, |conn| {
            messages::table
                .filter(messages::sender_id.eq(sender))
                .filter(messages::recipient_id.eq(recipient))
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

/// The next `limit` messages to `recipient` not yet written to any of their sockets,
/// in id order, after `after` (read through `messages_undelivered_idx`).
pub async fn undelivered_for(
    db: &Db,
    recipient: UserId,
    after: MessageId,
    limit: i64,
) -> Result<Vec<Message>> {
    Ok(db_run!(db, |conn| {
        messages::table
            .filter(messages::recipient_id.eq(recipient))
            .filter(messages::delivered_at.is_null())
            .filter(messages::id.gt(after))
            .order(messages::id.asc())
            .limit(limit)
            .select(Message::as_select())
            .load(conn)
            .await
    })?)
}

/// Records that these messages reached one of their recipient's sockets. The first
/// delivery time is kept.
pub async fn mark_delivered(db: &Db, ids: &[MessageId], at: NaiveDateTime) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    db_run!(db, |conn| {
        diesel::update(messages::table)
            .filter(messages::id.eq_any(ids))
            .filter(messages::delivered_at.is_null())
            .set(messages::delivered_at.eq(at))
            .execute(conn)
            .await
    })?;
    Ok(())
}
