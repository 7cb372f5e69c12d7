-- A random key per user, carried in each access token and checked against this
-- row: a token outlives neither its user nor a key rotation, and cannot pass for
-- a new user who reuses the id (after a restore). Tokens issued before this
-- migration carry no key: everyone logs in again once.
-- A volatile default is evaluated per existing row; new rows get theirs from the server.
ALTER TABLE users ADD COLUMN token_key TEXT NOT NULL
    DEFAULT md5(random()::text || clock_timestamp()::text);
ALTER TABLE users ALTER COLUMN token_key DROP DEFAULT;
