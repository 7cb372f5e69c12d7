-- Replies, reactions and mentions. What a message shows of each is kept on its
-- row as JSON (like its attachments), so every read of the row (routing, replay,
-- history, /events, other nodes) has it with no join; the writer keeps it true.

-- The message this one answers (no foreign key: a room's history limit may prune
-- the original and keep the reply), and the quote shown with it: the original's
-- sender and opening text, rewritten when the original is edited or deleted.
ALTER TABLE messages ADD COLUMN reply_to BIGINT;
ALTER TABLE messages ADD COLUMN quote TEXT;
CREATE INDEX messages_reply_to_idx ON messages (reply_to) WHERE reply_to IS NOT NULL;

-- A reaction is a stream row too ('reacted' or
-- 'unreacted', about its target).
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check CHECK (kind IN
    ('message', 'edit', 'delete', 'reacted', 'unreacted', 'joined', 'left', 'added', 'removed'));
-- Who reacted with what. The row's summary (counts and the first reactors per
-- emoji) is in messages.reactions.
ALTER TABLE messages ADD COLUMN reactions TEXT;
CREATE TABLE reactions (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    emoji TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
);

-- The members a room message names (@username), as a JSON list on the row and
-- one row each here, for the unread mention counts.
ALTER TABLE messages ADD COLUMN mentions TEXT;
CREATE TABLE mentions (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, room_id, message_id)
);
CREATE INDEX mentions_by_message ON mentions (message_id);
