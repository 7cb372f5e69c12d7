-- Rooms: public channels and private groups. Their messages and member events are
-- rows of the one message stream, addressed to a room instead of a recipient.

CREATE TABLE rooms (
    id              INTEGER   PRIMARY KEY AUTOINCREMENT,
    name            TEXT      NOT NULL,
    kind            TEXT      NOT NULL CHECK (kind IN ('public', 'private')),
    owner_id        INTEGER   NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    -- NULL: the server's default.
    history_limit   INTEGER   CHECK (history_limit > 0),
    -- The newest message, and the newest row of any kind (the list's order).
    last_message_id INTEGER,
    activity        INTEGER   NOT NULL DEFAULT 0,
    -- Every row of the room below this position was pruned by the history limit.
    pruned_before   INTEGER   NOT NULL DEFAULT 0
);
-- Public names are unique case-insensitively; private group names need not be.
CREATE UNIQUE INDEX rooms_public_name_key ON rooms (lower(name)) WHERE kind = 'public';

CREATE TABLE room_members (
    room_id    INTEGER   NOT NULL REFERENCES rooms (id),
    user_id    INTEGER   NOT NULL REFERENCES users (id),
    role       TEXT      NOT NULL CHECK (role IN ('owner', 'member')),
    joined_at  TIMESTAMP NOT NULL,
    read_up_to INTEGER   NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user_idx ON room_members (user_id, room_id);

-- SQLite cannot drop a NOT NULL or change a CHECK in place: the table is rebuilt.
-- Its only foreign key reference is its own, which the rename carries over.
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
        CHECK (kind IN ('message', 'edit', 'delete', 'joined', 'left', 'added', 'removed')),
    target_id    INTEGER   REFERENCES messages_new (id),
    client_id    TEXT,
    read_at      TIMESTAMP,
    edited_at    TIMESTAMP,
    deleted_at   TIMESTAMP,
    CHECK ((recipient_id IS NULL) <> (room_id IS NULL))
);
INSERT INTO messages_new (id, sender_id, recipient_id, content, created_at, delivered_at,
                          kind, target_id, client_id, read_at, edited_at, deleted_at)
    SELECT id, sender_id, recipient_id, content, created_at, delivered_at,
           kind, target_id, client_id, read_at, edited_at, deleted_at
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
