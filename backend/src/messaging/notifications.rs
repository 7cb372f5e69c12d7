//! Web Push for people who are away: when a direct message, or a room message
//! that mentions someone, is committed, its recipients who have no socket open
//! anywhere and have not muted the chat get one push per browser.
//!
//! **Once, on any number of nodes.** Each row is committed by exactly one node's
//! writer, and only that node's writer hands it here (after routing it), so one
//! node considers each row, once. **Coalesced.** A user's arrivals within
//! [`WINDOW`] of the first become one push (the newest names the chat, `count`
//! says how many); whether they are online is asked when the window closes, so a
//! user who comes back meanwhile is not pushed at all. Across nodes, arrivals are
//! coalesced per node.
//!
//! Nothing here blocks the writer: it hands rows over with `try_send` to a
//! bounded queue (a full one drops them, logged), one task coalesces, and pushes
//! go out on their own tasks, at most [`IN_FLIGHT`] at once, each bounded in time
//! and tries (see `push`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use crate::db::messages::Message;
use crate::db::{self, Chat, Db, Kind, RoomId, UserId};
use crate::live::hub::Hub;
use crate::live::presence;
use crate::push::{Delivery, Payload, Push};

/// Arrivals for one user within this long of the first make one push.
const WINDOW: Duration = Duration::from_secs(2);
/// Batches of rows waiting to be looked at; beyond this, new ones are dropped.
const QUEUE: usize = 1024;
/// Users with a push pending at once; beyond this, new arrivals are dropped.
const MAX_PENDING: usize = 10_000;
/// Pushes being sent at once, all users together.
const IN_FLIGHT: usize = 16;
/// The most characters of a message a push shows.
const PREVIEW_CHARS: usize = 100;

/// The writer's end: hands committed rows over.
#[derive(Clone)]
pub struct Notifications {
    queue: Option<mpsc::Sender<Vec<Message>>>,
}

/// Who wrote and where, by id, for a round of pushes (a missing name reads as
/// "Someone", or the room's is left out).
struct Names {
    users: HashMap<UserId, String>,
    rooms: HashMap<RoomId, String>,
}

/// Someone's pending push.
struct Pending {
    /// When it goes out.
    due: Instant,
    count: u32,
    /// The newest message for them.
    latest: Message,
}

struct Coalescer {
    db: Db,
    hub: web::Data<Hub>,
    push: Arc<Push>,
    pending: HashMap<UserId, Pending>,
    slots: Arc<Semaphore>,
}

impl Notifications {
    /// Starts the coalescing task; with no `push`, nothing is ever sent.
    pub fn start(db: Db, hub: web::Data<Hub>, push: Option<Arc<Push>>) -> Self {
        let Some(push) = push else {
            return Self { queue: None };
        };
        let (queue, rows) = mpsc::channel(QUEUE);
        let coalescer = Coalescer {
            db,
            hub,
            push,
            pending: HashMap::new(),
            slots: Arc::new(Semaphore::new(IN_FLIGHT)),
        };
        tokio::spawn(coalescer.run(rows));
        Self { queue: Some(queue) }
    }

    /// Rows this node just committed and routed: the messages among them that
    /// may notify someone are looked at, later.
    pub fn committed<'a>(&self, rows: impl Iterator<Item = &'a Message>) {
        let Some(queue) = &self.queue else { return };
        let notable: Vec<Message> = rows
            .filter(|row| row.kind == Kind::Message)
            .filter(|row| row.recipient_id.is_some() || row.mentions.is_some())
            .cloned()
            .collect();
        if notable.is_empty() {
            return;
        }
        if queue.try_send(notable).is_err() {
            log::warn!("web push: the notification queue is full; some pushes are dropped");
        }
    }
}

impl Coalescer {
    async fn run(mut self, mut rows: mpsc::Receiver<Vec<Message>>) {
        loop {
            let next_due = self.pending.values().map(|p| p.due).min();
            tokio::select! {
                batch = rows.recv() => match batch {
                    Some(batch) => self.arrived(batch).await,
                    None => return,
                },
                () = sleep_until(next_due) => self.flush_due().await,
            }
        }
    }

    /// Adds each message to the pushes of the people it is for, unless they
    /// muted its chat.
    async fn arrived(&mut self, batch: Vec<Message>) {
        for message in batch {
            let (chat, users) = match (message.recipient_id, message.room_id) {
                // As the recipient sees it: the chat with the sender.
                (Some(recipient), _) => (Chat::Direct(message.sender_id), vec![recipient]),
                (None, Some(room)) => (Chat::Room(room), message.mentions()),
                (None, None) => continue,
            };
            let users: Vec<UserId> = users
                .into_iter()
                .filter(|&u| u != message.sender_id)
                .collect();
            if users.is_empty() {
                continue;
            }
            let muted = match db::mutes::silenced(&self.db, chat, &users, message.created_at).await
            {
                Ok(muted) => muted,
                Err(e) => {
                    log::warn!("web push: reading mutes: {e}; not pushing");
                    continue;
                }
            };
            for user in users.into_iter().filter(|user| !muted.contains(user)) {
                self.add(user, &message);
            }
        }
    }

    fn add(&mut self, user: UserId, message: &Message) {
        if let Some(pending) = self.pending.get_mut(&user) {
            pending.count += 1;
            pending.latest = message.clone();
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            log::warn!("web push: {MAX_PENDING} users have pushes pending; dropping one");
            return;
        }
        self.pending.insert(
            user,
            Pending {
                due: Instant::now() + WINDOW,
                count: 1,
                latest: message.clone(),
            },
        );
    }

    /// Sends the pushes whose window has closed, to users still away.
    async fn flush_due(&mut self) {
        let now = Instant::now();
        let due: Vec<UserId> = self
            .pending
            .iter()
            .filter(|(_, pending)| pending.due <= now)
            .map(|(&user, _)| user)
            .collect();
        let due: Vec<(UserId, Pending)> = due
            .into_iter()
            .filter_map(|user| Some((user, self.pending.remove(&user)?)))
            .collect();
        let users: Vec<UserId> = due.iter().map(|(user, _)| *user).collect();
        let online = presence::online_among(&self.db, &self.hub, &users).await;
        let away: Vec<(UserId, Pending)> = due
            .into_iter()
            .filter(|(user, _)| !online.contains(user))
            .collect();
        if away.is_empty() {
            return;
        }
        let users: Vec<UserId> = away.iter().map(|(user, _)| *user).collect();
        let subscriptions = match db::push_subscriptions::of_users(&self.db, &users).await {
            Ok(subscriptions) => subscriptions,
            Err(e) => {
                log::warn!("web push: reading subscriptions: {e}; not pushing");
                return;
            }
        };
        let names = self
            .names(away.iter().map(|(_, pending)| &pending.latest))
            .await;
        for (user, pending) in away {
            let theirs: Vec<_> = subscriptions
                .iter()
                .filter(|s| s.user_id == user)
                .cloned()
                .collect();
            if theirs.is_empty() {
                continue;
            }
            let payload = self.payload(&pending, &names);
            for subscription in theirs {
                let (push, db, slots) = (self.push.clone(), self.db.clone(), self.slots.clone());
                let payload = payload.clone();
                tokio::spawn(async move {
                    let Ok(_slot) = slots.acquire().await else {
                        return;
                    };
                    if push.deliver(&subscription, &payload).await == Delivery::Gone {
                        if let Err(e) =
                            db::push_subscriptions::forget(&db, &subscription.endpoint).await
                        {
                            log::warn!("web push: forgetting a gone subscription: {e}");
                        }
                    }
                });
            }
        }
    }

    /// The senders' and rooms' names for these messages: one query each.
    async fn names<'a>(&self, messages: impl Iterator<Item = &'a Message>) -> Names {
        let (mut senders, mut rooms) = (Vec::new(), Vec::new());
        for message in messages {
            senders.push(message.sender_id);
            rooms.extend(message.room_id);
        }
        let users = db::users::find_profiles(&self.db, &senders).await;
        let rooms = db::rooms::find_many(&self.db, &rooms).await;
        Names {
            users: users
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.id, p.username))
                .collect(),
            rooms: rooms
                .unwrap_or_default()
                .into_iter()
                .map(|r| (r.id, r.name))
                .collect(),
        }
    }

    /// What the push says: who wrote, where, and (with previews) what.
    fn payload(&self, pending: &Pending, names: &Names) -> Payload {
        let message = &pending.latest;
        let sender = names
            .users
            .get(&message.sender_id)
            .cloned()
            .unwrap_or_else(|| "Someone".to_owned());
        let (title, chat) = match message.room_id {
            Some(room) => {
                let title = match names.rooms.get(&room) {
                    Some(name) => format!("{sender} in {name}"),
                    None => sender,
                };
                (title, format!("room:{}", room.0))
            }
            None => (sender, format!("user:{}", message.sender_id.0)),
        };
        let body = if self.push.previews() {
            let preview = preview(message);
            match pending.count {
                1 => preview,
                n => format!("{preview} (and {} more)", n - 1),
            }
        } else {
            match pending.count {
                1 => "New message".to_owned(),
                n => format!("{n} new messages"),
            }
        };
        Payload {
            title,
            body,
            chat,
            count: pending.count,
        }
    }
}

/// The message's first words, or what it carries.
fn preview(message: &Message) -> String {
    let text = message.content.trim();
    if !text.is_empty() {
        let mut preview: String = text.chars().take(PREVIEW_CHARS).collect();
        if text.chars().count() > PREVIEW_CHARS {
            preview.push('…');
        }
        return preview;
    }
    match message.attachments().as_slice() {
        [] => String::new(),
        [one] if one.content_type.starts_with("image/") => "Photo".to_owned(),
        [_] => "File".to_owned(),
        many => format!("{} files", many.len()),
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}
