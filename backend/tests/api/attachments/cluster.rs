//! Several nodes on one PostgreSQL sharing one bucket: a file uploaded through
//! one node is served by another, and deleted through either.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{
    assert_serves, fetch, fetch_bytes, id, link, png, send_frame, sha256_hex, upload, TestStore,
};
use crate::attachments::{assert_carries, Store};
use crate::helpers::{expect_error, start, test_config, TestApp};

/// Two nodes on one fresh PostgreSQL database, storing in one fresh bucket.
async fn two_nodes_on_one_bucket() -> (TestApp, TestApp, TestStore) {
    let database_url = crate::postgres::fresh_database().await;
    let store = TestStore::new(Store::S3).await;
    let mut nodes = Vec::new();
    // One after the other: the first migrates the database.
    for _ in 0..2 {
        let mut config = test_config(database_url.clone());
        store.configure(&mut config);
        nodes.push(start(config, None).await);
    }
    let b = nodes.pop().unwrap();
    let a = nodes.pop().unwrap();
    eprintln!("node a on port {}, node b on port {}", a.port, b.port);
    (a, b, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_uploaded_through_one_node_is_served_by_another() {
    let (a, b, store) = two_nodes_on_one_bucket().await;
    let alice = a.signup("alice").await;
    let bob = b.signup("bob").await;
    let eve = b.signup("eve").await;
    let mut alice_socket = a.connect(&alice).await;
    let mut bob_socket = b.connect(&bob).await;

    let photo = upload(&a, &alice, "photo.png", &png(500, 250)).await;
    let ack = send_frame(
        &mut alice_socket,
        json!({"recipient_id": bob.id}),
        "from node a",
        &[id(&photo)],
        "c-1",
    )
    .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let frame = bob_socket.next_json().await;
    assert_eq!(frame["id"], ack["message_id"], "{frame}");
    let carried = assert_carries(&frame, &[&photo]);

    // Node b serves what node a stored: by the signed links it sent, and with
    // bob's token; eve still gets nothing.
    assert_serves(&b, &link(&carried[0], "url"), &photo).await;
    fetch_bytes(&b, &link(&carried[0], "thumbnail_url")).await;
    let response = b
        .get(&format!("/attachments/{}", id(&photo)), &bob.token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let got = response.bytes().await.unwrap();
    assert_eq!(sha256_hex(&got), photo["sha256"].as_str().unwrap());
    let response = b
        .get(&format!("/attachments/{}", id(&photo)), &eve.token)
        .await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "attachment_not_found",
        "eve on node b",
    )
    .await;
    // Links signed by one node are good on the other: one secret.
    assert_serves(&a, &link(&carried[0], "url"), &photo).await;

    // Deleted through node b: gone from the bucket, and from node a.
    let response = b
        .call(
            &alice,
            Method::DELETE,
            &format!("/messages/{}", ack["message_id"]),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    crate::helpers::wait_until(
        std::time::Duration::from_secs(30),
        "the files gone from the bucket",
        || async { store.keys().await.is_empty() },
    )
    .await;
    let response = fetch(&a, &link(&photo, "url")).await;
    expect_error(
        response,
        StatusCode::NOT_FOUND,
        "attachment_not_found",
        "node a, deleted",
    )
    .await;
}
