//! The `users` table.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::schema::users;
use super::{db_run, Handle, Result, UserId};
use crate::domain::time::now;
use crate::domain::Username;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: Option<NaiveDateTime>,
    /// Carried in the user's access tokens; a new key signs every one of them out.
    pub token_key: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    username: &'a str,
    password_hash: &'a str,
    created_at: NaiveDateTime,
}

/// A user as others see them.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Profile {
    pub id: UserId,
    pub username: String,
    /// When their last socket closed.
    pub last_seen_at: Option<NaiveDateTime>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Stores a new user with a fresh token key; `None` when the username is taken
/// (in any letter case).
pub async fn insert(
    db: impl Into<Handle<'_>>,
    username: &Username,
    password_hash: &str,
) -> Result<Option<Profile>> {
    let new = NewUser {
        username: username.as_str(),
        password_hash,
        created_at: now(),
    };
    let key = new_token_key();
    let inserted: std::result::Result<Profile, DieselError> = db_run!(db, |conn| {
        diesel::insert_into(users::table)
            .values((&new, users::token_key.eq(&key)))
            .returning(Profile::as_returning())
            .get_result(conn)
            .await
    });
    match inserted {
        Ok(profile) => Ok(Some(profile)),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Case-insensitive lookup, as at login.
pub async fn find_by_username(db: impl Into<Handle<'_>>, username: &str) -> Result<Option<User>> {
    if !super::storable(username) {
        return Ok(None);
    }
    let name = username.to_lowercase();
    Ok(db_run!(db, |conn| {
        users::table
            .filter(lower(users::username).eq(&name))
            .select(User::as_select())
            .first(conn)
            .await
            .optional()
    })?)
}

/// The users with these names (in any letter case), by lower-cased name.
pub async fn ids_by_username(
    db: impl Into<Handle<'_>>,
    names: &[String],
) -> Result<HashMap<String, UserId>> {
    let lowered: Vec<String> = names.iter().map(|name| name.to_lowercase()).collect();
    let found: Vec<(UserId, String)> = db_run!(db, |conn| {
        users::table
            .filter(lower(users::username).eq_any(&lowered))
            .select((users::id, users::username))
            .load(conn)
            .await
    })?;
    Ok(found
        .into_iter()
        .map(|(id, name)| (name.to_lowercase(), id))
        .collect())
}

pub async fn find_profile(db: impl Into<Handle<'_>>, id: UserId) -> Result<Option<Profile>> {
    Ok(db_run!(db, |conn| {
        users::table
            .find(id)
            .select(Profile::as_select())
            .first(conn)
            .await
            .optional()
    })?)
}

/// The user's current token key; `None` when there is no such user.
pub async fn token_key(db: impl Into<Handle<'_>>, id: UserId) -> Result<Option<String>> {
    Ok(db_run!(db, |conn| {
        users::table
            .find(id)
            .select(users::token_key)
            .first(conn)
            .await
            .optional()
    })?)
}

/// Gives the user a new token key, which signs out every token issued before
/// (a running server that did not make the change notices within seconds). Returns whether the user exists.
pub async fn rotate_token_key(db: impl Into<Handle<'_>>, id: UserId) -> Result<bool> {
    let key = new_token_key();
    let changed = db_run!(db, |conn| {
        diesel::update(users::table.find(id))
            .set(users::token_key.eq(&key))
            .execute(conn)
            .await
    })?;
    Ok(changed > 0)
}

/// 128 random bits, hex-encoded.
fn new_token_key() -> String {
    crate::domain::random_hex(16)
}

/// The profiles of `ids` that exist.
pub async fn find_profiles(db: impl Into<Handle<'_>>, ids: &[UserId]) -> Result<Vec<Profile>> {
    Ok(db_run!(db, |conn| {
        users::table
            .filter(users::id.eq_any(ids))
            .select(Profile::as_select())
            .load(conn)
            .await
    })?)
}

/// Which of `ids` are users.
pub async fn existing(db: impl Into<Handle<'_>>, ids: &[UserId]) -> Result<HashSet<UserId>> {
    let found: Vec<UserId> = db_run!(db, |conn| {
        users::table
            .filter(users::id.eq_any(ids))
            .select(users::id)
            .load(conn)
            .await
    })?;
    Ok(found.into_iter().collect())
}

/// Replaces the password hash of `username` (any letter case) and its token key,
/// so every token issued before is signed out; `None` when there is no such user.
pub async fn set_password_hash(
    db: impl Into<Handle<'_>>,
    username: &str,
    password_hash: &str,
) -> Result<Option<Profile>> {
    let mut conn = db.into().hold().await?;
    let Some(user) = find_by_username(&mut conn, username).await? else {
        return Ok(None);
    };
    Ok(db_run!(&mut conn, |conn| {
        diesel::update(users::table.find(user.id))
            .set((
                users::password_hash.eq(password_hash),
                users::token_key.eq(new_token_key()),
            ))
            .returning(Profile::as_returning())
            .get_result(conn)
            .await
            .optional()
    })?)
}

pub async fn set_last_seen(db: impl Into<Handle<'_>>, id: UserId, at: NaiveDateTime) -> Result<()> {
    db_run!(db, |conn| {
        diesel::update(users::table.find(id))
            .set(users::last_seen_at.eq(at))
            .execute(conn)
            .await
    })?;
    Ok(())
}

/// Everyone but `viewer`, ordered by name ignoring case, optionally only names
/// starting with `prefix`.
pub async fn list_others(
    db: impl Into<Handle<'_>>,
    viewer: UserId,
    prefix: Option<&str>,
) -> Result<Vec<Profile>> {
    if prefix.is_some_and(|p| !super::storable(p)) {
        return Ok(Vec::new());
    }
    let pattern = prefix.map(|p| format!("{}%", escape_like(&p.to_lowercase())));
    let mut profiles = db_run!(db, |conn| {
        let mut query = users::table
            .filter(users::id.ne(viewer))
            .select(Profile::as_select())
            .into_boxed();
        if let Some(pattern) = &pattern {
            query = query.filter(lower(users::username).like(pattern).escape('\\'));
        }
        query.load(conn).await
    })?;
    // Sorted here, not in SQL: PostgreSQL's order would follow the database's
    // collation, which differs between installations and from SQLite.
    profiles.sort_by_cached_key(|p| p.username.to_lowercase());
    Ok(profiles)
}

/// Makes `%`, `_` and `\` match themselves in a LIKE pattern.
pub(super) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(super::escape_like("a_b%c\\d"), "a\\_b\\%c\\\\d");
    }
}
