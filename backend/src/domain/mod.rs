//! What Parley's data is, below every layer: ids, the kinds of rows and rooms,
//! the rules on text, and time as stored. Imports nothing else of the crate.

mod attachment;
mod content;
mod credentials;
mod emoji;
mod hex;
mod ids;
mod invalid;
mod kind;
pub mod mention;
pub mod paging;
mod quote;
pub mod reactions;
pub mod text;
pub mod time;

pub use attachment::{AttachmentId, MAX_ATTACHMENTS};
pub use content::{ClientId, MessageContent, RoomName, TextError};
pub use credentials::{Password, Username};
pub use emoji::Emoji;
pub use hex::{hex, random_hex};
pub use ids::{Chat, MessageId, RoomId, UserId};
pub use invalid::Invalid;
pub use kind::{Action, Kind, Role, RoomKind};
pub use quote::Quote;
pub use reactions::{ReactionCount, Reactions};
