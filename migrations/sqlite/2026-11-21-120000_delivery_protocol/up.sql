-- Protocol v2: one stream of events (messages, edits, deletes) ordered by id,
-- idempotent sends, receipts, edits and deletes, presence, revoked tokens.

ALTER TABLE users ADD COLUMN last_seen_at TIMESTAMP;

-- A row is a message, or an event about an earlier message (`target_id`):
-- an edit (its new content) or a delete. Events share the message id sequence,
-- so the id is a position in one stream that clients can resume from.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message'
    CHECK (kind IN ('message', 'edit', 'delete'));
ALTER TABLE messages ADD COLUMN target_id INTEGER REFERENCES messages (id);
ALTER TABLE messages ADD COLUMN client_id TEXT;
ALTER TABLE messages ADD COLUMN read_at TIMESTAMP;
ALTER TABLE messages ADD COLUMN edited_at TIMESTAMP;
ALTER TABLE messages ADD COLUMN deleted_at TIMESTAMP;

-- A client_id is unique per sender: a re-sent frame finds its original.
CREATE UNIQUE INDEX messages_sender_client_id_key ON messages (sender_id, client_id);
-- Replay: everything a user received, or sent, after a cursor.
CREATE INDEX messages_recipient_stream_idx ON messages (recipient_id, id);
CREATE INDEX messages_sender_stream_idx ON messages (sender_id, id);
-- Unread counts per peer.
CREATE INDEX messages_unread_idx ON messages (recipient_id, sender_id)
    WHERE read_at IS NULL AND kind = 'message';
-- Only messages (not edit or delete events) wait for delivery.
DROP INDEX messages_undelivered_idx;
CREATE INDEX messages_undelivered_idx ON messages (recipient_id, id)
    WHERE delivered_at IS NULL AND kind = 'message';

-- Tokens revoked by logout, kept until they would have expired anyway.
CREATE TABLE revoked_tokens (
    token_id   TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
