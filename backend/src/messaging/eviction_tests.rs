//! The writer with caches of one room and one user: every room and user is
//! evicted and read again between uses, and every answer stays the same.

use std::num::NonZeroUsize;

use actix_web::web;

use super::notifications::Notifications;
use super::rooms::MemberRequest;
use super::{AfterCommit, Capacity, Draft, Messaging, Router, UserRates};
use crate::db::{self, Chat, Db, RoomKind, UserId};
use crate::domain::Username;
use crate::limits::Rate;
use crate::live::hub::{Hub, Outbound};
use crate::live::typing::Typing;
use crate::media::links::Links;
use crate::media::sweeper::Sweeper;
use crate::metrics::Metrics;

const PLENTY: Rate = Rate {
    per_second: 1000.0,
    burst: 1000.0,
};

async fn start(db: &Db, hub: &web::Data<Hub>) -> Messaging {
    let rates = UserRates {
        send: PLENTY,
        room_create: PLENTY,
        membership: PLENTY,
    };
    let capacity = Capacity {
        rooms: NonZeroUsize::MIN,
        users: NonZeroUsize::MIN,
    };
    let typing = web::Data::new(Typing::default());
    let metrics = web::Data::new(Metrics::default());
    let newest = db::stream::newest(db).await.unwrap();
    let router = Router::new(
        db.clone(),
        hub.clone(),
        typing,
        metrics.clone(),
        capacity.rooms,
        newest,
        Links::new(b"test", std::time::Duration::from_secs(60)),
    );
    Messaging::start(
        db.clone(),
        web::Data::new(router),
        rates,
        1000,
        metrics,
        capacity,
        AfterCommit {
            sweeper: Sweeper::default(),
            notifications: Notifications::start(db.clone(), web::Data::new(Hub::new(1)), None),
        },
    )
}

async fn user(db: &Db, name: &str) -> UserId {
    let name = Username::parse(name).unwrap();
    db::users::insert(db, &name, "x").await.unwrap().unwrap().id
}

fn code<T>(result: Result<T, crate::error::Error>) -> &'static str {
    result.map_or_else(|e| e.code(), |_| "ok")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evicted_rooms_and_users_give_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&dir.path().join("t.db").to_string_lossy())
        .await
        .unwrap();
    let hub = web::Data::new(Hub::default());
    let messaging = start(&db, &hub).await;
    let [ann, bob, cat] = [
        user(&db, "ann").await,
        user(&db, "bob").await,
        user(&db, "cat").await,
    ];
    let mut bobs_inbox = hub.register(bob, "t").unwrap().inbox;

    let public = messaging
        .create_room(ann, "open", RoomKind::Public)
        .await
        .unwrap()
        .id;
    let private = messaging
        .create_room(bob, "closed", RoomKind::Private)
        .await
        .unwrap()
        .id;
    let join = messaging.change_membership(public, bob, MemberRequest::Join);
    assert!(join.await.unwrap().is_some());
    let add = messaging.change_membership(private, bob, MemberRequest::Add(ann));
    assert!(add.await.unwrap().is_some());

    for round in 0..2 {
        // Each step touches another room or user than the one before.
        let send = |from, to, text: &'static str| {
            let draft = Draft {
                content: text.into(),
                ..Draft::default()
            };
            messaging.send(from, None, to, draft)
        };
        assert_eq!(code(send(ann, Chat::Room(public), "hi").await), "ok");
        assert_eq!(
            code(send(cat, Chat::Room(private), "hi").await),
            "room_not_found"
        );
        assert_eq!(code(send(ann, Chat::Room(private), "hi").await), "ok");
        assert_eq!(
            code(send(cat, Chat::Room(public), "hi").await),
            "not_a_member"
        );
        assert_eq!(
            code(send(ann, Chat::Direct(UserId(999)), "hi").await),
            "user_not_found"
        );
        assert_eq!(
            code(send(UserId(998), Chat::Direct(ann), "hi").await),
            "invalid_token"
        );
        assert_eq!(code(send(cat, Chat::Direct(bob), "hi").await), "ok");
        let again = messaging.change_membership(public, bob, MemberRequest::Join);
        assert!(again.await.unwrap().is_none(), "round {round}");
        let outsider = messaging.change_membership(private, cat, MemberRequest::Join);
        assert_eq!(code(outsider.await), "room_not_found");
        let not_owner = messaging.change_membership(private, ann, MemberRequest::Add(cat));
        assert_eq!(code(not_owner.await), "not_room_owner");
        let unknown = messaging.change_membership(private, bob, MemberRequest::Add(UserId(999)));
        assert_eq!(code(unknown.await), "user_not_found");

        // Bob, a member of both rooms, got the three messages, in order.
        messaging.flush().await.unwrap();
        let mut chats = Vec::new();
        while let Ok(outbound) = bobs_inbox.try_recv() {
            if let Outbound::Stream(row) = outbound {
                let row: serde_json::Value = serde_json::from_str(&row.frame).unwrap();
                if row["type"] == "message" {
                    chats.push((row["room_id"].as_i64(), row["sender_id"].as_i64()));
                }
            }
        }
        let expected = vec![
            (Some(public.0), Some(ann.0)),
            (Some(private.0), Some(ann.0)),
            (None, Some(cat.0)),
        ];
        assert_eq!(chats, expected, "round {round}");
    }
}
