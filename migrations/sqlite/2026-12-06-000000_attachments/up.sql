-- Uploaded files. A row is written once its bytes are in the store; it is
-- attached to at most one message (by the writer, under the stream's write lock).
-- A row marked deleted (its message deleted or pruned, or never attached in time)
-- has its objects removed from the store, then goes.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    uploader_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    has_thumbnail BOOLEAN NOT NULL,
    message_id INTEGER,
    created_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX attachments_by_uploader ON attachments (uploader_id) WHERE deleted_at IS NULL;
CREATE INDEX attachments_by_message ON attachments (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX attachments_unattached ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_deleted ON attachments (deleted_at) WHERE deleted_at IS NOT NULL;
-- What a message carries, as its frames show it (JSON; immutable but for a
-- delete, which clears it): read with the row, on every path, with no join.
ALTER TABLE messages ADD COLUMN attachments TEXT;
