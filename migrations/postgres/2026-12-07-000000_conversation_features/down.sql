DROP TABLE mentions;
ALTER TABLE messages DROP COLUMN mentions;
DROP TABLE reactions;
DELETE FROM messages WHERE kind IN ('reacted', 'unreacted');
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('message', 'edit', 'delete', 'joined', 'left', 'added', 'removed'));
ALTER TABLE messages DROP COLUMN reactions;
DROP INDEX messages_reply_to_idx;
ALTER TABLE messages DROP COLUMN quote;
ALTER TABLE messages DROP COLUMN reply_to;
