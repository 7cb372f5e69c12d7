-- Rooms: public channels and private groups. Their messages and member events are
-- rows of the one message stream, addressed to a room instead of a recipient.

CREATE TABLE rooms (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT      NOT NULL,
    kind            TEXT      NOT NULL CHECK (kind IN ('public', 'private')),
    owner_id        BIGINT    NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    -- NULL: the server's default.
    history_limit   BIGINT    CHECK (history_limit > 0),
    -- The newest message, and the newest row of any kind (the list's order).
    last_message_id BIGINT,
    activity        BIGINT    NOT NULL DEFAULT 0,
    -- Every row of the room below this position was pruned by the history limit.
    pruned_before   BIGINT    NOT NULL DEFAULT 0
);
-- Public names are unique case-insensitively; private group names need not be.
CREATE UNIQUE INDEX rooms_public_name_key ON rooms (lower(name)) WHERE kind = 'public';

CREATE TABLE room_members (
    room_id    BIGINT    NOT NULL REFERENCES rooms (id),
    user_id    BIGINT    NOT NULL REFERENCES users (id),
    role       TEXT      NOT NULL CHECK (role IN ('owner', 'member')),
    joined_at  TIMESTAMP NOT NULL,
    read_up_to BIGINT    NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user_idx ON room_members (user_id, room_id);

ALTER TABLE messages ALTER COLUMN recipient_id DROP NOT NULL;
ALTER TABLE messages ADD COLUMN room_id BIGINT REFERENCES rooms (id);
ALTER TABLE messages ADD CONSTRAINT messages_one_audience
    CHECK ((recipient_id IS NULL) <> (room_id IS NULL));
-- Member events: the kind is what happened to the row's sender (its subject).
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('message', 'edit', 'delete', 'joined', 'left', 'added', 'removed'));
-- Room history pages, replay and pruning.
CREATE INDEX messages_room_stream_idx ON messages (room_id, id) WHERE room_id IS NOT NULL;
