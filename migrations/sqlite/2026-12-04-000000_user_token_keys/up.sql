-- A random key per user, carried in each access token and checked against this
-- row: a token outlives neither its user nor a key rotation, and cannot pass for
-- a new user who reuses the id (after a restore). Tokens issued before this
-- migration carry no key: everyone logs in again once.
ALTER TABLE users ADD COLUMN token_key TEXT NOT NULL DEFAULT '';
UPDATE users SET token_key = lower(hex(randomblob(16)));
