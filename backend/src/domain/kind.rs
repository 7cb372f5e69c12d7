//! The enums stored as text: what a stream row is, what kind a room is, and a
//! member's role.

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use serde::{Deserialize, Serialize};

/// Stores an enum as its name: `as_str` writes it, `parse` reads it back.
macro_rules! text_column {
    ($name:ident) => {
        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB>
            for $name
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB>
            for $name
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Self::parse(&text).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($name), " `{}`"), text).into()
                })
            }
        }
    };
}

/// A message, an event about an earlier message (its `target_id`), or a member
/// event about the row's sender in its room. A reaction event's sender is who
/// reacted, and its content the emoji.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Kind {
    Message,
    /// The target's new content.
    Edit,
    /// The target was deleted.
    Delete,
    /// The sender reacted to the target with the emoji in the content.
    Reacted,
    /// The sender took that reaction back.
    Unreacted,
    Member(Action),
}

/// What happened to a room member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Joined,
    Left,
    /// Added by the owner.
    Added,
    /// Removed by the owner.
    Removed,
}

impl Kind {
    /// The kinds a history page shows: messages and member events.
    pub const HISTORY: [Kind; 5] = [
        Kind::Message,
        Kind::Member(Action::Joined),
        Kind::Member(Action::Left),
        Kind::Member(Action::Added),
        Kind::Member(Action::Removed),
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Edit => "edit",
            Self::Delete => "delete",
            Self::Reacted => "reacted",
            Self::Unreacted => "unreacted",
            Self::Member(Action::Joined) => "joined",
            Self::Member(Action::Left) => "left",
            Self::Member(Action::Added) => "added",
            Self::Member(Action::Removed) => "removed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "message" => Self::Message,
            "edit" => Self::Edit,
            "delete" => Self::Delete,
            "reacted" => Self::Reacted,
            "unreacted" => Self::Unreacted,
            "joined" => Self::Member(Action::Joined),
            "left" => Self::Member(Action::Left),
            "added" => Self::Member(Action::Added),
            "removed" => Self::Member(Action::Removed),
            _ => return None,
        })
    }
}
text_column!(Kind);

impl Action {
    /// Whether the subject is a member afterwards.
    pub fn is_entry(self) -> bool {
        matches!(self, Self::Joined | Self::Added)
    }
}

/// A public channel anyone can join, or a private group whose owner adds members.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    AsExpression,
    FromSqlRow,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum RoomKind {
    Public,
    Private,
}

impl RoomKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "public" => Some(Self::Public),
            "private" => Some(Self::Private),
            _ => None,
        }
    }
}
text_column!(RoomKind);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, AsExpression, FromSqlRow, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Role {
    Owner,
    Member,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Member => "member",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "owner" => Some(Self::Owner),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}
text_column!(Role);
