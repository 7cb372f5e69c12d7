-- Web Push subscriptions: where to push a user's notifications (a push
-- service's URL, one per browser) and the keys to encrypt them for it.
CREATE TABLE push_subscriptions (
    endpoint TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX push_subscriptions_by_user ON push_subscriptions (user_id, created_at);
