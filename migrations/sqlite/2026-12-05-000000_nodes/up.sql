-- The same tables as on PostgreSQL, so that one schema serves both; one process
-- serves a SQLite database, which leaves them empty (the hub knows who is online).
CREATE TABLE nodes (
    id INTEGER PRIMARY KEY,
    heartbeat_at TIMESTAMP NOT NULL
);
CREATE TABLE node_users (
    node_id INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (node_id, user_id)
);
CREATE INDEX node_users_by_user ON node_users (user_id);
