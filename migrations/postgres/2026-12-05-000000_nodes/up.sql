-- The processes serving this database, and which users have sockets on each: a
-- user is online while some node holds a row for them. Each node renews its
-- heartbeat; the others sweep a node whose heartbeat is stale (it died).
CREATE TABLE nodes (
    id BIGINT PRIMARY KEY,
    heartbeat_at TIMESTAMP NOT NULL
);
CREATE TABLE node_users (
    node_id BIGINT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (node_id, user_id)
);
CREATE INDEX node_users_by_user ON node_users (user_id);
