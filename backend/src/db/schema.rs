//! The tables, with column types every backend shares (written by hand: ids are
//! `BigInt` on both, SQLite's INTEGER being 64-bit).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        last_seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        sender_id -> BigInt,
        recipient_id -> BigInt,
        content -> Text,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        kind -> Text,
        target_id -> Nullable<BigInt>,
        client_id -> Nullable<Text>,
        read_at -> Nullable<Timestamp>,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
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

diesel::allow_tables_to_appear_in_same_query!(users, messages);
