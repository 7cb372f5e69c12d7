//! Typed ids, so a user id can never be passed where a message id is meant.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, AsExpression, FromSqlRow, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = BigInt)]
        pub struct $name(pub i64);

        impl<DB: Backend> ToSql<BigInt, DB> for $name
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB: Backend> FromSql<BigInt, DB> for $name
        where
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A user's id.
    UserId
);
id_type!(
    /// A message's id: its position in the server's single, strictly increasing stream.
    MessageId
);
id_type!(
    /// A room's id.
    RoomId
);

/// Where a message goes: one user, or every member of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chat {
    Direct(UserId),
    Room(RoomId),
}

impl Chat {
    /// The chat a stored row belongs to. The table's CHECK constraint gives every
    /// row exactly one of the two.
    pub fn of(recipient: Option<UserId>, room: Option<RoomId>) -> Option<Self> {
        match (recipient, room) {
            (Some(user), None) => Some(Self::Direct(user)),
            (None, Some(room)) => Some(Self::Room(room)),
            _ => None,
        }
    }

    pub fn recipient(self) -> Option<UserId> {
        match self {
            Self::Direct(user) => Some(user),
            Self::Room(_) => None,
        }
    }

    pub fn room(self) -> Option<RoomId> {
        match self {
            Self::Direct(_) => None,
            Self::Room(room) => Some(room),
        }
    }
}
