//! The rule on replies: a reply answers a message of its own chat that is not
//! deleted, and shows a quote of it. Checked by the writer under the stream's
//! write lock, where a delete of the original would also be stored, so a reply
//! never quotes a message deleted before it.

use std::collections::{HashMap, HashSet};

use super::batch::{NewMessage, Write};
use super::jobs::Task;
use crate::db::messages::Message;
use crate::db::{self, Chat, DbConn, Kind, MessageId, UserId};
use crate::domain::Quote;
use crate::error::Error;

/// The originals a batch's replies name, as they stand under the lock.
#[derive(Default)]
pub struct BatchQuotes {
    originals: HashMap<MessageId, Message>,
    /// Sends already stored under their client_id: a resend is answered as a
    /// duplicate even if its original has gone since.
    stored: HashSet<(UserId, String)>,
}

impl BatchQuotes {
    pub async fn load(tx: &mut DbConn<'_>, tasks: &[Task]) -> db::Result<Self> {
        let replies: Vec<&NewMessage> = tasks
            .iter()
            .filter_map(|task| match task {
                Task::Write(Write::Send(send)) if send.reply_to.is_some() => Some(send),
                _ => None,
            })
            .collect();
        if replies.is_empty() {
            return Ok(Self::default());
        }
        let ids: Vec<MessageId> = replies.iter().filter_map(|send| send.reply_to).collect();
        let originals: HashMap<MessageId, Message> = db::messages::find_many(&mut *tx, &ids)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let mut quotes = Self {
            originals,
            stored: HashSet::new(),
        };
        for send in replies {
            if let (Err(_), Some(client_id)) = (quotes.quote(send), &send.client_id) {
                let sent = db::messages::find_sent(&mut *tx, send.sender, Some(client_id.as_str()));
                if sent.await.is_ok() {
                    quotes.stored.insert((send.sender, client_id.to_string()));
                }
            }
        }
        Ok(quotes)
    }

    /// The quote `send` shows, or why it may not be sent.
    pub fn check(&self, send: &NewMessage) -> Result<Option<Quote>, Error> {
        match self.quote(send) {
            Err(_) if self.is_stored(send) => Ok(None),
            quoted => quoted,
        }
    }

    fn quote(&self, send: &NewMessage) -> Result<Option<Quote>, Error> {
        let Some(id) = send.reply_to else {
            return Ok(None);
        };
        let original = self
            .originals
            .get(&id)
            .filter(|m| m.kind == Kind::Message && m.deleted_at.is_none())
            .filter(|m| same_chat(m, send.sender, send.to))
            .ok_or(Error::ReplyTargetNotFound(id.0))?;
        Ok(Some(original.as_quoted()))
    }

    fn is_stored(&self, send: &NewMessage) -> bool {
        send.client_id
            .as_ref()
            .is_some_and(|client_id| self.stored.contains(&(send.sender, client_id.to_string())))
    }
}

/// Whether `message` is in the chat that `sender` sends to as `to`.
fn same_chat(message: &Message, sender: UserId, to: Chat) -> bool {
    match to {
        Chat::Room(room) => message.room_id == Some(room),
        Chat::Direct(peer) => {
            let pair = (message.sender_id, message.recipient_id);
            pair == (sender, Some(peer)) || pair == (peer, Some(sender))
        }
    }
}
