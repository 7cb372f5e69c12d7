//! Who a room message mentions: the members its `@name`s name, other than its
//! sender, resolved by the writer against the room as the batch leaves it.

use std::collections::HashMap;

use super::batch::{NewMessage, Write};
use super::jobs::Task;
use super::rooms::RoomState;
use crate::db::{self, Chat, DbConn, UserId};
use crate::domain::mention::mentioned_names;

/// The users a batch's room messages name, by lower-cased name.
#[derive(Default)]
pub struct BatchMentions {
    users: HashMap<String, UserId>,
}

impl BatchMentions {
    pub async fn load(tx: &mut DbConn<'_>, tasks: &[Task]) -> db::Result<Self> {
        let mut names: Vec<String> = tasks
            .iter()
            .filter_map(|task| match task {
                Task::Write(Write::Send(send)) if send.to.room().is_some() => Some(send),
                _ => None,
            })
            .flat_map(|send| mentioned_names(send.content.as_str()))
            .map(str::to_lowercase)
            .collect();
        if names.is_empty() {
            return Ok(Self::default());
        }
        names.sort_unstable();
        names.dedup();
        Ok(Self {
            users: db::users::ids_by_username(&mut *tx, &names).await?,
        })
    }

    /// The members `send` mentions, in the order it names them.
    pub fn resolve(&self, send: &NewMessage, room: &RoomState) -> Vec<UserId> {
        if !matches!(send.to, Chat::Room(_)) {
            return Vec::new();
        }
        let mut mentioned = Vec::new();
        for name in mentioned_names(send.content.as_str()) {
            let Some(&user) = self.users.get(&name.to_lowercase()) else {
                continue;
            };
            if user != send.sender && room.members.contains(&user) && !mentioned.contains(&user) {
                mentioned.push(user);
            }
        }
        mentioned
    }
}
