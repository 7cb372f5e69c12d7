//! Who is in which room, as the writer knows it, and the membership rules.
//!
//! Membership changes are stream rows, and the writer stores every row: so the
//! writer's view, loaded from the database on first use and updated as it commits,
//! is exact at every position of the stream. Routing a room's rows to its members
//! reads it without touching the database.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lru::LruCache;

use crate::db::{self, Action, DbConn, Handle, RoomId, RoomKind, UserId};
use crate::error::Error;

/// Whether someone sees a room: a private room does not exist for those outside
/// it. The one rule, for the writer's rooms and for rooms read from the database.
pub fn may_see(kind: RoomKind, is_member: bool) -> bool {
    kind == RoomKind::Public || is_member
}

/// Whether `user` manages the room (adds and removes members, sets its history
/// limit): only its owner does.
pub fn manages(owner: UserId, user: UserId) -> bool {
    owner == user
}

/// A room's kind, owner and members (in the order they joined).
#[derive(Debug, Clone)]
pub struct RoomState {
    pub kind: RoomKind,
    pub owner: UserId,
    pub members: Vec<UserId>,
}

/// A membership change someone asks for.
#[derive(Debug, Clone, Copy)]
pub enum MemberRequest {
    Join,
    Leave,
    Add(UserId),
    Remove(UserId),
}

/// A change the rules allow: `user` is `action`ed, and `new_owner` takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub user: UserId,
    pub action: Action,
    pub new_owner: Option<UserId>,
}

impl RoomState {
    pub fn is_member(&self, user: UserId) -> bool {
        self.members.contains(&user)
    }

    /// A private room does not exist for those outside it.
    fn visible_to(&self, room: RoomId, user: UserId) -> Result<(), Error> {
        if may_see(self.kind, self.is_member(user)) {
            Ok(())
        } else {
            Err(Error::RoomNotFound(room.0))
        }
    }

    /// Whether `user` may post to (and read) the room.
    pub fn check_member(&self, room: RoomId, user: UserId) -> Result<(), Error> {
        self.visible_to(room, user)?;
        if self.is_member(user) {
            Ok(())
        } else {
            Err(Error::NotAMember)
        }
    }

    /// What `actor`'s request changes: `None` when it is already so.
    pub fn decide(
        &self,
        room: RoomId,
        actor: UserId,
        request: MemberRequest,
    ) -> Result<Option<Decision>, Error> {
        self.visible_to(room, actor)?;
        let decision = |user: UserId, action: Action| {
            // The longest-standing member takes over from an owner who goes.
            let new_owner = (user == self.owner && !action.is_entry())
                .then(|| self.members.iter().copied().find(|&m| m != user))
                .flatten();
            Some(Decision {
                user,
                action,
                new_owner,
            })
        };
        Ok(match request {
            MemberRequest::Join if self.is_member(actor) => None,
            MemberRequest::Join => decision(actor, Action::Joined),
            MemberRequest::Leave | MemberRequest::Remove(_) if !self.is_member(actor) => None,
            MemberRequest::Remove(user) if user == actor => decision(actor, Action::Left),
            MemberRequest::Leave => decision(actor, Action::Left),
            MemberRequest::Add(_) | MemberRequest::Remove(_) if self.kind == RoomKind::Public => {
                return Err(Error::RoomIsPublic)
            }
            MemberRequest::Add(_) | MemberRequest::Remove(_) if !manages(self.owner, actor) => {
                return Err(Error::NotRoomOwner)
            }
            MemberRequest::Add(user) if self.is_member(user) => None,
            MemberRequest::Add(user) => decision(user, Action::Added),
            MemberRequest::Remove(user) if !self.is_member(user) => {
                return Err(Error::MemberNotFound(user.0))
            }
            MemberRequest::Remove(user) => decision(user, Action::Removed),
        })
    }

    pub fn apply(&mut self, decision: Decision) {
        if decision.action.is_entry() {
            self.members.push(decision.user);
        } else {
            self.members.retain(|&m| m != decision.user);
        }
        if let Some(owner) = decision.new_owner {
            self.owner = owner;
        }
    }
}

/// The rooms the writer used last, at most `capacity` of them: a cache of the
/// database, read again when a room is needed after it was evicted.
pub struct Directory {
    rooms: Mutex<LruCache<RoomId, Arc<RoomState>>>,
}

impl Directory {
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self {
            rooms: Mutex::new(LruCache::new(capacity)),
        }
    }

    pub fn get(&self, room: RoomId) -> Option<Arc<RoomState>> {
        self.lock().get(&room).cloned()
    }

    /// Only the writer sets a room's state, after it is committed.
    pub(super) fn set(&self, room: RoomId, state: RoomState) -> Arc<RoomState> {
        let state = Arc::new(state);
        self.lock().put(room, state.clone());
        state
    }

    /// Drops a room that changed elsewhere; it is read again when next needed.
    pub(super) fn forget(&self, room: RoomId) {
        self.lock().pop(&room);
    }

    /// The states of the rooms of `ids` that exist: those here, and the others read
    /// (the writer loads under the stream's write lock, so no change can commit
    /// between the read and the insert). The caller keeps what it gets: a later
    /// load may evict it.
    pub(super) async fn load(
        &self,
        conn: &mut DbConn<'_>,
        ids: &[RoomId],
    ) -> db::Result<HashMap<RoomId, Arc<RoomState>>> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let mut rooms = self.lock();
            for &id in ids {
                match rooms.get(&id) {
                    Some(state) => {
                        found.insert(id, state.clone());
                    }
                    None => missing.push(id),
                }
            }
        }
        if !missing.is_empty() {
            for (id, state) in read(&mut *conn, &missing).await? {
                found.insert(id, self.set(id, state));
            }
        }
        Ok(found)
    }

    /// The room's state: the writer's if loaded, else as stored now.
    pub async fn current(
        &self,
        db: impl Into<Handle<'_>>,
        room: RoomId,
    ) -> db::Result<Option<Arc<RoomState>>> {
        if let Some(state) = self.get(room) {
            return Ok(Some(state));
        }
        Ok(read(db, &[room]).await?.remove(&room).map(Arc::new))
    }

    fn lock(&self) -> MutexGuard<'_, LruCache<RoomId, Arc<RoomState>>> {
        // Every update is one insert: the map is consistent even after a panic.
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn read(db: impl Into<Handle<'_>>, ids: &[RoomId]) -> db::Result<HashMap<RoomId, RoomState>> {
    let mut conn = db.into().hold().await?;
    let mut states: HashMap<RoomId, RoomState> = db::rooms::find_many(&mut conn, ids)
        .await?
        .into_iter()
        .map(|room| {
            let state = RoomState {
                kind: room.kind,
                owner: room.owner_id,
                members: Vec::new(),
            };
            (room.id, state)
        })
        .collect();
    for member in db::rooms::members_in_join_order(&mut conn, ids).await? {
        if let Some(state) = states.get_mut(&member.room_id) {
            state.members.push(member.user_id);
        }
    }
    Ok(states)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: RoomId = RoomId(1);
    const OWNER: UserId = UserId(1);
    const BOB: UserId = UserId(2);
    const CAROL: UserId = UserId(3);

    fn room(kind: RoomKind) -> RoomState {
        RoomState {
            kind,
            owner: OWNER,
            members: vec![OWNER, BOB],
        }
    }

    fn code(result: Result<Option<Decision>, Error>) -> &'static str {
        result.map_or_else(|e| e.code(), |_| "ok")
    }

    #[test]
    fn private_rooms_are_invisible_to_outsiders() {
        let group = room(RoomKind::Private);
        for request in [
            MemberRequest::Join,
            MemberRequest::Leave,
            MemberRequest::Add(CAROL),
            MemberRequest::Remove(BOB),
        ] {
            assert_eq!(code(group.decide(ROOM, CAROL, request)), "room_not_found");
        }
        assert_eq!(
            group.check_member(ROOM, CAROL).map_err(|e| e.code()),
            Err("room_not_found")
        );
        assert_eq!(
            room(RoomKind::Public)
                .check_member(ROOM, CAROL)
                .map_err(|e| e.code()),
            Err("not_a_member")
        );
    }

    #[test]
    fn only_the_owner_manages_a_private_group() {
        let group = room(RoomKind::Private);
        assert_eq!(
            code(group.decide(ROOM, BOB, MemberRequest::Add(CAROL))),
            "not_room_owner"
        );
        assert_eq!(
            code(group.decide(ROOM, BOB, MemberRequest::Remove(OWNER))),
            "not_room_owner"
        );
        assert_eq!(
            code(group.decide(ROOM, OWNER, MemberRequest::Remove(CAROL))),
            "member_not_found"
        );
        assert_eq!(
            group
                .decide(ROOM, OWNER, MemberRequest::Add(CAROL))
                .ok()
                .flatten(),
            Some(Decision {
                user: CAROL,
                action: Action::Added,
                new_owner: None
            })
        );
        assert_eq!(
            group
                .decide(ROOM, OWNER, MemberRequest::Add(BOB))
                .ok()
                .flatten(),
            None
        );
        // Removing oneself is leaving.
        assert_eq!(
            group
                .decide(ROOM, BOB, MemberRequest::Remove(BOB))
                .ok()
                .flatten(),
            Some(Decision {
                user: BOB,
                action: Action::Left,
                new_owner: None
            })
        );
    }

    #[test]
    fn public_rooms_are_joined_not_managed() {
        let channel = room(RoomKind::Public);
        assert_eq!(
            channel
                .decide(ROOM, CAROL, MemberRequest::Join)
                .ok()
                .flatten(),
            Some(Decision {
                user: CAROL,
                action: Action::Joined,
                new_owner: None
            })
        );
        assert_eq!(
            channel
                .decide(ROOM, BOB, MemberRequest::Join)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            channel
                .decide(ROOM, CAROL, MemberRequest::Leave)
                .ok()
                .flatten(),
            None
        );
        assert_eq!(
            code(channel.decide(ROOM, OWNER, MemberRequest::Add(CAROL))),
            "room_is_public"
        );
        assert_eq!(
            code(channel.decide(ROOM, OWNER, MemberRequest::Remove(BOB))),
            "room_is_public"
        );
    }

    #[test]
    fn a_leaving_owner_hands_over_to_the_longest_standing_member() {
        let mut group = room(RoomKind::Private);
        group.members.push(CAROL);
        let decision = group
            .decide(ROOM, OWNER, MemberRequest::Leave)
            .ok()
            .flatten();
        assert_eq!(decision.and_then(|d| d.new_owner), Some(BOB));
        group.apply(decision.expect("the owner can leave"));
        assert_eq!(
            (group.owner, group.members.clone()),
            (BOB, vec![BOB, CAROL])
        );
    }
}
