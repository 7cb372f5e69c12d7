CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT      NOT NULL,
    password_hash TEXT      NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
-- Usernames are unique case-insensitively; lookups and prefix search use this index.
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));

CREATE TABLE messages (
    id           BIGSERIAL PRIMARY KEY,
    sender_id    BIGINT    NOT NULL REFERENCES users (id),
    recipient_id BIGINT    NOT NULL REFERENCES users (id),
    content      TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
-- One direction of a conversation, newest first: a history page is two range scans.
CREATE INDEX messages_conversation_idx ON messages (sender_id, recipient_id, id);
-- The offline flush reads only what is still undelivered.
CREATE INDEX messages_undelivered_idx ON messages (recipient_id, id) WHERE delivered_at IS NULL;

-- Server-wide secrets (the generated JWT key when JWT_SECRET is unset).
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
