-- Replies, reactions and mentions. What a message shows of each is kept on its
-- row as JSON (like its attachments), so every read of the row (routing, replay,
-- history, /events, other nodes) has it with no join; the writer keeps it true.
-- Reactions are stream rows too (kinds 'reacted' and 'unreacted'): SQLite cannot
-- change a CHECK in place, so the table is rebuilt, as in the rooms migration.
CREATE TABLE messages_new (
    id           INTEGER   PRIMARY KEY AUTOINCREMENT,
    sender_id    INTEGER   NOT NULL REFERENCES users (id),
    recipient_id INTEGER   REFERENCES users (id),
    room_id      INTEGER   REFERENCES rooms (id),
    content      TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    -- Member events: the kind is what happened to the row's sender (its subject).
    kind         TEXT      NOT NULL DEFAULT 'message'
        CHECK (kind IN ('message', 'edit', 'delete', 'reacted', 'unreacted', 'joined', 'left', 'added', 'removed')),
    target_id    INTEGER   REFERENCES messages_new (id),
    client_id    TEXT,
    read_at      TIMESTAMP,
    edited_at    TIMESTAMP,
    deleted_at   TIMESTAMP,
    attachments  TEXT,
    -- The message this one answers (no foreign key: a room's history limit may
    -- prune the original and keep the reply), and the quote shown with it: the
    -- original's sender and opening text, rewritten when the original is edited
    -- or deleted.
    reply_to     INTEGER,
    quote        TEXT,
    -- The row's reaction summary (counts, first reactors); the full record is
    -- the reactions table.
    reactions    TEXT,
    -- The room members it names (@username), as a JSON list.
    mentions     TEXT,
    CHECK ((recipient_id IS NULL) <> (room_id IS NULL))
);
INSERT INTO messages_new (id, sender_id, recipient_id, room_id, content, created_at, delivered_at,
                          kind, target_id, client_id, read_at, edited_at, deleted_at, attachments)
    SELECT id, sender_id, recipient_id, room_id, content, created_at, delivered_at,
           kind, target_id, client_id, read_at, edited_at, deleted_at, attachments
    FROM messages;
-- Stream positions keep counting from where they were.
DELETE FROM sqlite_sequence WHERE name = 'messages_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'messages_new', seq FROM sqlite_sequence WHERE name = 'messages';
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;

CREATE INDEX messages_conversation_idx ON messages (sender_id, recipient_id, id);
CREATE UNIQUE INDEX messages_sender_client_id_key ON messages (sender_id, client_id);
CREATE INDEX messages_recipient_stream_idx ON messages (recipient_id, id);
CREATE INDEX messages_sender_stream_idx ON messages (sender_id, id);
CREATE INDEX messages_unread_idx ON messages (recipient_id, sender_id)
    WHERE read_at IS NULL AND kind = 'message';
CREATE INDEX messages_undelivered_idx ON messages (recipient_id, id)
    WHERE delivered_at IS NULL AND kind = 'message';
-- Room history pages, replay and pruning.
CREATE INDEX messages_room_stream_idx ON messages (room_id, id) WHERE room_id IS NOT NULL;
CREATE INDEX messages_reply_to_idx ON messages (reply_to) WHERE reply_to IS NOT NULL;

-- Who reacted with what.
CREATE TABLE reactions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
);

-- One row per member a room message mentions, for the unread mention counts.
CREATE TABLE mentions (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id, message_id)
);
CREATE INDEX mentions_by_message ON mentions (message_id);
