DROP TABLE muted_peers;
ALTER TABLE room_members DROP COLUMN muted_until;
