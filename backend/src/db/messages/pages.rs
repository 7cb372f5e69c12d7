//! Pages of a chat's history: the newest rows before a point, the oldest after
//! one, or those around one message (to jump to it). Each side is one range scan
//! of an index reading at most `limit` rows, so the cost does not grow with
//! history.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::Message;
use crate::db::schema::messages;
use crate::db::{db_run, Handle, Kind, MessageId, Result, RoomId, UserId};

/// Which rows of a chat a page holds; every page is oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The newest rows older than this id (all of them: the newest rows).
    Before(Option<MessageId>),
    /// The oldest rows newer than this id.
    After(MessageId),
    /// This row, with about half the page older and half newer.
    Around(MessageId),
}

/// Loads `query`'s rows on `side` of its bound, nearest first (a macro: the
/// query's type differs by chat and by connection kind).
macro_rules! load_side {
    ($query:expr, $side:expr, $conn:expr) => {
        match $side {
            Side::Older(before) => {
                $query
                    .filter(messages::id.lt(before))
                    .order(messages::id.desc())
                    .load($conn)
                    .await
            }
            Side::Newer(after) => {
                $query
                    .filter(messages::id.gt(after))
                    .order(messages::id.asc())
                    .load($conn)
                    .await
            }
        }
    };
}

/// Which way a scan reads from its bound.
#[derive(Clone, Copy)]
enum Side {
    Older(MessageId),
    Newer(MessageId),
}

impl Window {
    /// The scans that make the page, with how many rows each reads.
    fn sides(self, limit: i64) -> Vec<(Side, i64)> {
        match self {
            Self::Before(before) => {
                vec![(Side::Older(before.unwrap_or(MessageId(i64::MAX))), limit)]
            }
            Self::After(after) => vec![(Side::Newer(after), limit)],
            Self::Around(id) => {
                let newer = limit / 2;
                let mut sides = vec![(
                    Side::Older(MessageId(id.0.saturating_add(1))),
                    limit - newer,
                )];
                if newer > 0 {
                    sides.push((Side::Newer(id), newer));
                }
                sides
            }
        }
    }
}

/// Up to `limit` messages between `a` and `b` in `window`, oldest first: per
/// side, one scan of `messages_conversation_idx` in each direction, merged.
pub async fn page_conversation(
    db: impl Into<Handle<'_>>,
    a: UserId,
    b: UserId,
    window: Window,
    limit: i64,
) -> Result<Vec<Message>> {
    let mut conn = db.into().hold().await?;
    let mut page = Vec::new();
    for (side, limit) in window.sides(limit) {
        let mut rows = Vec::new();
        for (sender, recipient) in [(a, b), (b, a)] {
            rows.extend(db_run!(&mut conn, |conn| {
                let query = messages::table
                    .filter(messages::sender_id.eq(sender))
                    .filter(messages::recipient_id.eq(recipient))
                    .filter(messages::kind.eq(Kind::Message))
                    .select(Message::as_select())
                    .limit(limit);
                load_side!(query, side, conn)
            })?);
        }
        page.extend(nearest(rows, side, limit));
    }
    page.sort_unstable_by_key(|m| m.id);
    Ok(page)
}

/// Up to `limit` messages and member events of `room` in `window`, oldest first
/// (per side, one range scan of `messages_room_stream_idx`).
pub async fn page_room(
    db: impl Into<Handle<'_>>,
    room: RoomId,
    window: Window,
    limit: i64,
) -> Result<Vec<Message>> {
    let mut conn = db.into().hold().await?;
    let mut page = Vec::new();
    for (side, limit) in window.sides(limit) {
        page.extend(db_run!(&mut conn, |conn| {
            let query = messages::table
                .filter(messages::room_id.eq(room))
                .filter(messages::kind.eq_any(Kind::HISTORY))
                .select(Message::as_select())
                .limit(limit);
            load_side!(query, side, conn)
        })?);
    }
    page.sort_unstable_by_key(|m| m.id);
    Ok(page)
}

/// The `limit` rows of `rows` nearest the side's bound.
fn nearest(mut rows: Vec<Message>, side: Side, limit: i64) -> Vec<Message> {
    match side {
        Side::Older(_) => rows.sort_unstable_by_key(|m| std::cmp::Reverse(m.id)),
        Side::Newer(_) => rows.sort_unstable_by_key(|m| m.id),
    }
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    rows
}
