//! The `nodes` and `node_users` tables: which processes serve the database, and
//! which users have a socket on each (PostgreSQL). A user is online while some node
//! holds a row for them. Each node renews its heartbeat; a node whose heartbeat is
//! stale died without cleaning up, and the first node to sweep it removes its rows.
//! Times are the database's, so the nodes' clocks need not agree.
//!
//! On SQLite one process serves the database and its hub knows who is online:
//! every function here does nothing there.

use std::collections::HashSet;
use std::time::Duration;

use diesel::dsl::{exists, now, IntervalDsl};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::pooled_connection::deadpool::Object;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::{node_users, nodes};
use super::{Conn, Db, Pools, Result, UserId};

/// The high bits of the advisory lock keys of users' presence ("pr").
const PRESENCE_LOCKS: i64 = 0x7072 << 48;

diesel::define_sql_function!(fn pg_advisory_xact_lock(key: BigInt));

/// A connection, when the database is PostgreSQL.
async fn postgres(db: &Db) -> Result<Option<Object<AsyncPgConnection>>> {
    match db.pools() {
        Pools::Postgres(pool) => Ok(Some(db.checkout(pool).await?)),
        Pools::Sqlite(_) => Ok(None),
    }
}

/// Renews `node`'s heartbeat; false when its row was gone (it was swept, having
/// been silent too long) and is written anew: its users must be written again.
pub async fn beat(db: &Db, node: i64) -> Result<bool> {
    let Some(mut conn) = postgres(db).await? else {
        return Ok(true);
    };
    let renewed = diesel::update(nodes::table.find(node))
        .set(nodes::heartbeat_at.eq(now))
        .execute(&mut conn)
        .await?;
    if renewed > 0 {
        return Ok(true);
    }
    diesel::insert_into(nodes::table)
        .values((nodes::id.eq(node), nodes::heartbeat_at.eq(now)))
        .on_conflict_do_nothing()
        .execute(&mut conn)
        .await?;
    Ok(false)
}

/// `users` have a socket on `node` (again, after [`beat`] found it swept); true
/// when no other node has one of theirs, so that they just came online.
pub async fn joined(db: &Db, node: i64, users: &[UserId]) -> Result<bool> {
    if !db.is_shared() {
        return Ok(true);
    }
    db.transaction(async |mut tx| {
        let Conn::Postgres(conn) = tx.conn() else {
            return Ok(true);
        };
        for &user in users {
            lock_presence(conn, user).await?;
        }
        let rows: Vec<_> = users
            .iter()
            .map(|&user| (node_users::node_id.eq(node), node_users::user_id.eq(user)))
            .collect();
        diesel::insert_into(node_users::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let elsewhere = node_users::table
            .filter(node_users::user_id.eq_any(users))
            .filter(node_users::node_id.ne(node));
        Ok(!diesel::select(exists(elsewhere))
            .get_result::<bool>(conn)
            .await?)
    })
    .await
}

/// `user`'s last socket on `node` closed; true when no node has one left.
pub async fn left(db: &Db, node: i64, user: UserId) -> Result<bool> {
    if !db.is_shared() {
        return Ok(true);
    }
    db.transaction(async |mut tx| {
        let Conn::Postgres(conn) = tx.conn() else {
            return Ok(true);
        };
        lock_presence(conn, user).await?;
        diesel::delete(node_users::table.find((node, user)))
            .execute(conn)
            .await?;
        let rows = node_users::table.filter(node_users::user_id.eq(user));
        Ok(!diesel::select(exists(rows))
            .get_result::<bool>(conn)
            .await?)
    })
    .await
}

/// Serialises the presence changes of `user` across nodes until the transaction
/// ends: two nodes where `user` opens (or closes) sockets at once would otherwise
/// each see the other's row, and neither would announce the change.
async fn lock_presence(conn: &mut AsyncPgConnection, user: UserId) -> Result<()> {
    // Its own key space: the stream's lock is a 48-bit constant.
    let key = PRESENCE_LOCKS | (user.0 & 0xFFFF_FFFF_FFFF);
    diesel::select(pg_advisory_xact_lock(key))
        .execute(conn)
        .await?;
    Ok(())
}

/// Which of `users` have a socket on some node.
pub async fn online_among(db: &Db, users: &[UserId]) -> Result<HashSet<UserId>> {
    let Some(mut conn) = postgres(db).await? else {
        return Ok(HashSet::new());
    };
    let online: Vec<UserId> = node_users::table
        .filter(node_users::user_id.eq_any(users))
        .select(node_users::user_id)
        .distinct()
        .load(&mut conn)
        .await?;
    Ok(online.into_iter().collect())
}

/// Removes every node silent for longer than `stale` and its rows; returns the
/// users who had a socket on one of them and on no other node (now offline).
///
/// The stale rows are locked and skipped by a concurrent sweep, so each dead node
/// is swept, and each of its users announced, once; a node that beats while being
/// swept waits, finds its row gone and writes itself and its users again.
pub async fn sweep(db: &Db, stale: Duration) -> Result<Vec<UserId>> {
    if !db.is_shared() {
        return Ok(Vec::new());
    }
    let stale_ms = i64::try_from(stale.as_millis()).unwrap_or(i64::MAX);
    let mut gone: Vec<UserId> = db
        .transaction(async |mut tx| {
            let Conn::Postgres(conn) = tx.conn() else {
                return Ok(Vec::new());
            };
            let dead: Vec<i64> = nodes::table
                .filter(nodes::heartbeat_at.lt(now - stale_ms.milliseconds()))
                .select(nodes::id)
                .for_update()
                .skip_locked()
                .load(conn)
                .await?;
            if dead.is_empty() {
                return Ok(Vec::new());
            }
            let users = diesel::delete(node_users::table.filter(node_users::node_id.eq_any(&dead)))
                .returning(node_users::user_id)
                .get_results(conn)
                .await?;
            diesel::delete(nodes::table.filter(nodes::id.eq_any(&dead)))
                .execute(conn)
                .await?;
            Ok(users)
        })
        .await?;
    gone.sort_unstable();
    gone.dedup();
    let still = online_among(db, &gone).await?;
    gone.retain(|user| !still.contains(user));
    Ok(gone)
}
