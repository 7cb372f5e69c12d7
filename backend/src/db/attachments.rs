//! The `attachments` table: uploaded files, who uploaded them, and the message that
//! carries each (set once, by the writer, under the stream's write lock). A row
//! marked deleted has its objects removed from the store by the sweeper, then goes.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};

use super::schema::{attachments, messages};
use super::{db_run, Handle, MessageId, Result, RoomId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
pub struct Attachment {
    pub id: String,
    pub uploader_id: UserId,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub has_thumbnail: bool,
    pub message_id: Option<MessageId>,
    pub created_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// What a message row keeps of each of its attachments (as JSON, in
/// `messages.attachments`), so that every read of the row has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attached {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub thumbnail: bool,
}

impl From<&Attachment> for Attached {
    fn from(row: &Attachment) -> Self {
        Self {
            id: row.id.clone(),
            name: row.name.clone(),
            content_type: row.content_type.clone(),
            size: row.size,
            width: row.width,
            height: row.height,
            thumbnail: row.has_thumbnail,
        }
    }
}

/// The JSON stored with a message; `None` for none.
pub fn to_column(attached: &[Attached]) -> Option<String> {
    super::json_column::write(&attached, attached.is_empty())
}

/// Reads what [`to_column`] stored.
pub fn from_column(column: Option<&str>) -> Vec<Attached> {
    super::json_column::read(column, "attachments")
}

pub async fn insert(db: impl Into<Handle<'_>>, row: &Attachment) -> Result<()> {
    db_run!(db, |conn| {
        diesel::insert_into(attachments::table)
            .values(row)
            .execute(conn)
            .await
    })?;
    Ok(())
}

/// The rows of `ids` that are not deleted.
pub async fn find_many(db: impl Into<Handle<'_>>, ids: &[&str]) -> Result<Vec<Attachment>> {
    Ok(db_run!(db, |conn| {
        attachments::table
            .filter(attachments::id.eq_any(ids))
            .filter(attachments::deleted_at.is_null())
            .select(Attachment::as_select())
            .load(conn)
            .await
    })?)
}

pub async fn find(db: impl Into<Handle<'_>>, id: &str) -> Result<Option<Attachment>> {
    Ok(find_many(db, &[id]).await?.into_iter().next())
}

/// Marks `ids` as carried by `message`. Only the writer calls it, under the stream's
/// write lock, after checking that none is carried yet.
pub async fn attach(db: impl Into<Handle<'_>>, ids: &[&str], message: MessageId) -> Result<()> {
    db_run!(db, |conn| {
        diesel::update(attachments::table)
            .filter(attachments::id.eq_any(ids))
            .set(attachments::message_id.eq(message))
            .execute(conn)
            .await
    })?;
    Ok(())
}

/// The bytes `user`'s files take, counting those not attached yet.
pub async fn usage(db: impl Into<Handle<'_>>, user: UserId) -> Result<i64> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL; the cast reads alike on both.
    let total: Option<i64> = db_run!(db, |conn| {
        attachments::table
            .filter(attachments::uploader_id.eq(user))
            .filter(attachments::deleted_at.is_null())
            .select(sql::<Nullable<BigInt>>("CAST(SUM(size) AS BIGINT)"))
            .first(conn)
            .await
    })?;
    Ok(total.unwrap_or(0))
}

/// Marks the files of deleted `message` for the sweeper.
pub async fn discard_of(
    db: impl Into<Handle<'_>>,
    message: MessageId,
    at: NaiveDateTime,
) -> Result<usize> {
    Ok(db_run!(db, |conn| {
        diesel::update(attachments::table)
            .filter(attachments::message_id.eq(message))
            .filter(attachments::deleted_at.is_null())
            .set(attachments::deleted_at.eq(at))
            .execute(conn)
            .await
    })?)
}

/// Marks the files of `room`'s messages older than `bound` (about to be pruned).
pub async fn discard_in_room_before(
    db: impl Into<Handle<'_>>,
    room: RoomId,
    bound: MessageId,
    at: NaiveDateTime,
) -> Result<usize> {
    Ok(db_run!(db, |conn| {
        let pruned = messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::id.lt(bound))
            .select(messages::id.nullable());
        diesel::update(attachments::table)
            .filter(attachments::message_id.eq_any(pruned))
            .filter(attachments::deleted_at.is_null())
            .set(attachments::deleted_at.eq(at))
            .execute(conn)
            .await
    })?)
}

/// Marks uploads not attached to a message since before `cutoff`. Callers hold the
/// stream's write lock, so that none is being attached meanwhile.
pub async fn discard_unattached(
    db: impl Into<Handle<'_>>,
    cutoff: NaiveDateTime,
    at: NaiveDateTime,
) -> Result<usize> {
    Ok(db_run!(db, |conn| {
        diesel::update(attachments::table)
            .filter(attachments::message_id.is_null())
            .filter(attachments::created_at.lt(cutoff))
            .filter(attachments::deleted_at.is_null())
            .set(attachments::deleted_at.eq(at))
            .execute(conn)
            .await
    })?)
}

/// Up to `limit` files marked deleted, whose objects are to be removed.
pub async fn discarded(db: impl Into<Handle<'_>>, limit: i64) -> Result<Vec<Attachment>> {
    Ok(db_run!(db, |conn| {
        attachments::table
            .filter(attachments::deleted_at.is_not_null())
            .order(attachments::deleted_at.asc())
            .limit(limit)
            .select(Attachment::as_select())
            .load(conn)
            .await
    })?)
}

/// Forgets rows whose objects are gone.
pub async fn remove(db: impl Into<Handle<'_>>, ids: &[&str]) -> Result<()> {
    db_run!(db, |conn| {
        diesel::delete(attachments::table)
            .filter(attachments::id.eq_any(ids))
            .filter(attachments::deleted_at.is_not_null())
            .execute(conn)
            .await
    })?;
    Ok(())
}
