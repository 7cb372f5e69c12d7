//! The rule on what a message may carry: uploads of its sender that no message
//! carries yet, each at most once. Checked by the writer under the stream's write
//! lock, where uploads are attached, so no two nodes can attach one twice.

use std::collections::{HashMap, HashSet};

use super::batch::{NewMessage, Write};
use super::jobs::Task;
use crate::db::attachments::{Attached, Attachment};
use crate::db::{self, DbConn, MessageId};
use crate::error::Error;

/// The uploads a batch's sends name, as they stand under the lock.
#[derive(Default)]
pub struct BatchUploads {
    rows: HashMap<String, Attachment>,
    /// The sender and client_id of each message that already carries one.
    carriers: HashMap<MessageId, (db::UserId, Option<String>)>,
    /// Attached by an earlier send of this batch.
    claimed: HashSet<String>,
}

impl BatchUploads {
    pub async fn load(tx: &mut DbConn<'_>, tasks: &[Task]) -> db::Result<Self> {
        let ids: Vec<&str> = tasks
            .iter()
            .filter_map(|task| match task {
                Task::Write(Write::Send(send)) => Some(&send.attachments),
                _ => None,
            })
            .flatten()
            .map(|id| id.as_str())
            .collect();
        if ids.is_empty() {
            return Ok(Self::default());
        }
        let rows = db::attachments::find_many(&mut *tx, &ids).await?;
        let carrying: Vec<MessageId> = rows.iter().filter_map(|row| row.message_id).collect();
        let carriers = if carrying.is_empty() {
            HashMap::new()
        } else {
            db::messages::find_many(&mut *tx, &carrying)
                .await?
                .into_iter()
                .map(|m| (m.id, (m.sender_id, m.client_id)))
                .collect()
        };
        Ok(Self {
            rows: rows.into_iter().map(|row| (row.id.clone(), row)).collect(),
            carriers,
            claimed: HashSet::new(),
        })
    }

    /// What `send` carries, or why it may not. A send again under the same
    /// client_id names uploads its first copy carries: that is allowed (it is
    /// answered as a duplicate and attaches nothing).
    pub fn check(&mut self, send: &NewMessage) -> Result<Vec<Attached>, Error> {
        let client_id = send.client_id.as_ref().map(|id| id.as_str());
        let mut attached = Vec::with_capacity(send.attachments.len());
        for id in &send.attachments {
            let refused = || Error::InvalidAttachment(id.to_string());
            let row = self.rows.get(id.as_str()).ok_or_else(refused)?;
            if row.uploader_id != send.sender || self.claimed.contains(id.as_str()) {
                return Err(refused());
            }
            if let Some(carrier) = row.message_id {
                let resent = self.carriers.get(&carrier).is_some_and(|(sender, sent)| {
                    *sender == send.sender && client_id.is_some() && sent.as_deref() == client_id
                });
                if !resent {
                    return Err(refused());
                }
            }
            attached.push(Attached::from(row));
        }
        self.claimed
            .extend(send.attachments.iter().map(ToString::to_string));
        Ok(attached)
    }
}
