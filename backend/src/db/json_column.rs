//! What a message shows of its files, quote, reactions and mentions is kept on
//! its row as JSON text: written here, read back here, the same on every backend.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The column's text for `value`; `None` (NULL) when there is nothing to keep.
pub fn write<T: Serialize>(value: &T, is_empty: bool) -> Option<String> {
    if is_empty {
        return None;
    }
    // Plain strings and numbers: serialising cannot fail.
    serde_json::to_string(value).ok()
}

/// Reads what [`write`] stored; NULL, or text that does not read (logged), is
/// the default.
pub fn read<T: DeserializeOwned + Default>(column: Option<&str>, what: &str) -> T {
    column.map_or_else(T::default, |json| {
        serde_json::from_str(json).unwrap_or_else(|e| {
            log::error!("a message's {what} could not be read: {e}");
            T::default()
        })
    })
}
