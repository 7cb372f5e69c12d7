//! Limits on the text people send, shared by every way in (REST and socket).

pub const MAX_CONTENT_CHARS: usize = 4000;
pub const MAX_CLIENT_ID_CHARS: usize = 64;
pub const MAX_ROOM_NAME_CHARS: usize = 64;

/// Whether both backends can store and look up `text`: PostgreSQL's `text` cannot
/// hold U+0000 (SQLite's can), and a query binding it fails. Text to be stored is
/// refused before it gets here; lookups by such text find nothing.
pub fn storable(text: &str) -> bool {
    !text.contains('\0')
}
