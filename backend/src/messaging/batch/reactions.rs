//! Setting and taking back a reaction: the full record in `reactions`, the
//! message's summary on its row, and the reaction event in the stream, in the
//! writer's transaction. Setting what is set, or taking back what is not, stores
//! nothing.

use super::{NewReaction, Refusal, Written};
use crate::db::messages::{Message, NewRow};
use crate::db::{self, DbConn, Kind, UserId};
use crate::domain::reactions::TooManyEmoji;

pub async fn react(conn: &mut DbConn<'_>, reaction: &NewReaction) -> db::Result<Written> {
    let NewReaction {
        user,
        message: id,
        ref emoji,
        on,
        at,
    } = *reaction;
    let Some(message) = db::messages::find_message(&mut *conn, id).await? else {
        return Ok(Written::Refused(Refusal::NotFound));
    };
    if !can_see(conn, &message, user).await? {
        return Ok(Written::Refused(Refusal::NotFound));
    }
    if message.deleted_at.is_some() {
        return Ok(Written::Refused(Refusal::Deleted));
    }
    let mut summary = message.reactions();
    let changed = if on {
        if let Err(TooManyEmoji) = summary.admits(emoji) {
            return Ok(Written::Refused(Refusal::TooManyReactions));
        }
        let added = db::reactions::insert(&mut *conn, id, emoji, user, at).await?;
        if added {
            summary.add(emoji, user);
        }
        added
    } else {
        let removed = db::reactions::delete(&mut *conn, id, emoji, user).await?;
        if removed {
            if let Some(named) = summary.remove(emoji, user) {
                let next = db::reactions::next_reactor(&mut *conn, id, emoji, &named).await?;
                if let Some(next) = next {
                    summary.name(emoji, next);
                }
            }
        }
        removed
    };
    if !changed {
        return Ok(Written::Unchanged(message));
    }
    let message = db::messages::set_reactions(&mut *conn, id, &summary).await?;
    let kind = if on { Kind::Reacted } else { Kind::Unreacted };
    let Some(event) = NewRow::event_about(&message, user, kind, emoji.as_str(), at) else {
        return Ok(Written::Refused(Refusal::NotFound));
    };
    let event = db::messages::insert_event(&mut *conn, &event).await?;
    Ok(Written::Reacted { message, event })
}

/// Whether `user` is in the chat of `message`: a side of the direct message,
/// or a member of its room now.
async fn can_see(conn: &mut DbConn<'_>, message: &Message, user: UserId) -> db::Result<bool> {
    Ok(match message.room_id {
        Some(room) => db::rooms::membership(&mut *conn, room, user)
            .await?
            .is_some(),
        None => message.sender_id == user || message.recipient_id == Some(user),
    })
}
