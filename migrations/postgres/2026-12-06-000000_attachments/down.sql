ALTER TABLE messages DROP COLUMN attachments;
DROP TABLE attachments;
