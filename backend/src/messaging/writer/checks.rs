//! The rules a batch is checked against under the stream's write lock: its
//! rooms as the batch leaves them, and what its sends carry, answer and mention.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::db::{Chat, RoomId, UserId};
use crate::error::Error;
use crate::messaging::attaching::BatchUploads;
use crate::messaging::batch::{MemberChange, NewMessage, Write};
use crate::messaging::jobs::Task;
use crate::messaging::mentioning::BatchMentions;
use crate::messaging::quoting::BatchQuotes;
use crate::messaging::rooms::RoomState;

/// The rooms a batch is checked against: as loaded, and as the batch changes them.
pub struct BatchRooms {
    pub loaded: HashMap<RoomId, Arc<RoomState>>,
    pub changed: HashMap<RoomId, RoomState>,
}

impl BatchRooms {
    fn state(&self, room: RoomId) -> Result<&RoomState, Error> {
        match self.changed.get(&room) {
            Some(state) => Ok(state),
            None => self
                .loaded
                .get(&room)
                .map(|state| &**state)
                .ok_or(Error::RoomNotFound(room.0)),
        }
    }

    /// The room's state for the batch to change.
    fn changing(&mut self, room: RoomId) -> Result<&mut RoomState, Error> {
        match self.changed.entry(room) {
            Entry::Occupied(entry) => Ok(entry.into_mut()),
            Entry::Vacant(entry) => {
                let loaded = self.loaded.get(&room).ok_or(Error::RoomNotFound(room.0))?;
                Ok(entry.insert(RoomState::clone(loaded)))
            }
        }
    }
}

/// What a batch's sends are checked against, besides their rooms.
pub struct BatchSends {
    pub uploads: BatchUploads,
    pub quotes: BatchQuotes,
    pub mentions: BatchMentions,
}

impl BatchSends {
    /// `send` as it is to be stored, or why it may not be.
    fn check(&mut self, send: &NewMessage, rooms: &BatchRooms) -> Result<NewMessage, Error> {
        let mentions = match send.to {
            Chat::Room(room) => {
                let state = rooms.state(room)?;
                state.check_member(room, send.sender)?;
                self.mentions.resolve(send, state)
            }
            Chat::Direct(_) => Vec::new(),
        };
        let quote = self.quotes.check(send)?;
        Ok(NewMessage {
            attached: self.uploads.check(send)?,
            quote,
            mentions,
            ..send.clone()
        })
    }
}

/// The write a task makes, if the rules allow it; `None` when it is already so.
pub fn check(
    task: &Task,
    users: &HashSet<UserId>,
    rooms: &mut BatchRooms,
    sends: &mut BatchSends,
) -> Result<Option<Write>, Error> {
    if task.actor().is_some_and(|actor| !users.contains(&actor)) {
        return Err(Error::InvalidToken);
    }
    let unknown = task.user().filter(|user| !users.contains(user));
    match task {
        Task::Write(write) => {
            if let Some(user) = unknown {
                return Err(Error::UserNotFound(user.0));
            }
            if let Write::Send(send) = &write {
                return Ok(Some(Write::Send(sends.check(send, rooms)?)));
            }
            Ok(Some(write.clone()))
        }
        Task::Member {
            room,
            actor,
            request,
            at,
        } => {
            let state = rooms.changing(*room)?;
            let Some(decision) = state.decide(*room, *actor, *request)? else {
                return Ok(None);
            };
            // Only someone allowed to add learns whether the user exists.
            if let Some(user) = unknown {
                return Err(Error::UserNotFound(user.0));
            }
            state.apply(decision);
            Ok(Some(Write::Member(MemberChange {
                room: *room,
                user: decision.user,
                action: decision.action,
                at: *at,
                new_owner: decision.new_owner,
            })))
        }
        Task::Flush => Ok(None),
    }
}
