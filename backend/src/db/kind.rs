//! What a row of the message stream is.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

/// A message, or an event about an earlier message (its `target_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum Kind {
    Message,
    /// The target's new content.
    Edit,
    /// The target was deleted.
    Delete,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Edit => "edit",
            Self::Delete => "delete",
        }
    }
}

impl<DB: Backend> ToSql<Text, DB> for Kind
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

impl<DB: Backend> FromSql<Text, DB> for Kind
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        match String::from_sql(bytes)?.as_str() {
            "message" => Ok(Self::Message),
            "edit" => Ok(Self::Edit),
            "delete" => Ok(Self::Delete),
            other => Err(format!("unknown message kind `{other}`").into()),
        }
    }
}
