-- Muted chats: notifications stop until a time (far in the future for "until
-- I unmute"). A room's is its member row's, gone when the member leaves.
ALTER TABLE room_members ADD COLUMN muted_until TIMESTAMP;
CREATE TABLE muted_peers (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    peer_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    muted_until TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, peer_id)
);
