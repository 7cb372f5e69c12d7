//! The tables, with column types every backend shares (written by hand: ids are
//! `BigInt` on both, SQLite's INTEGER being 64-bit).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        last_seen_at -> Nullable<Timestamp>,
        token_key -> Text,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        sender_id -> BigInt,
        recipient_id -> Nullable<BigInt>,
        room_id -> Nullable<BigInt>,
        content -> Text,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        kind -> Text,
        target_id -> Nullable<BigInt>,
        client_id -> Nullable<Text>,
        read_at -> Nullable<Timestamp>,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        attachments -> Nullable<Text>,
        reply_to -> Nullable<BigInt>,
        quote -> Nullable<Text>,
        reactions -> Nullable<Text>,
        mentions -> Nullable<Text>,
    }
}

diesel::table! {
    reactions (message_id, emoji, user_id) {
        message_id -> BigInt,
        emoji -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mentions (user_id, room_id, message_id) {
        user_id -> BigInt,
        room_id -> BigInt,
        message_id -> BigInt,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        uploader_id -> BigInt,
        name -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        has_thumbnail -> Bool,
        message_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    push_subscriptions (endpoint) {
        endpoint -> Text,
        user_id -> BigInt,
        p256dh -> Text,
        auth -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    revoked_tokens (token_id) {
        token_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    rooms (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        owner_id -> BigInt,
        created_at -> Timestamp,
        history_limit -> Nullable<BigInt>,
        last_message_id -> Nullable<BigInt>,
        activity -> BigInt,
        pruned_before -> BigInt,
    }
}

diesel::table! {
    room_members (room_id, user_id) {
        room_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        joined_at -> Timestamp,
        read_up_to -> BigInt,
        muted_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    muted_peers (user_id, peer_id) {
        user_id -> BigInt,
        peer_id -> BigInt,
        muted_until -> Timestamp,
    }
}

diesel::table! {
    nodes (id) {
        id -> BigInt,
        heartbeat_at -> Timestamp,
    }
}

diesel::table! {
    node_users (node_id, user_id) {
        node_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    messages,
    rooms,
    room_members,
    attachments,
    reactions,
    mentions
);
diesel::allow_tables_to_appear_in_same_query!(nodes, node_users);
