//! What a file is, judged from its bytes (never from what the client says), and
//! how it is named and shown.

/// Bytes enough to recognise every format `infer` knows.
pub const SNIFF_BYTES: usize = 8192;
/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 200;

/// The content type of a file that starts with `head`.
pub fn content_type(head: &[u8]) -> String {
    if let Some(known) = infer::get(head) {
        return known.mime_type().to_owned();
    }
    if looks_like_text(head) {
        return "text/plain; charset=utf-8".to_owned();
    }
    "application/octet-stream".to_owned()
}

/// Valid UTF-8 (allowing a character cut at the end of `head`) with no NUL.
fn looks_like_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    valid && !head.contains(&0)
}

/// Whether browsers may show the file in the page: raster images, audio and
/// video. Everything else (HTML and SVG above all, which run scripts) is served
/// as a download, sandboxed.
pub fn is_inline(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/jpeg" | "image/png" | "image/webp" | "image/gif"
    ) || content_type.starts_with("audio/")
        || content_type.starts_with("video/")
}

/// The name a client gave, made safe to keep and show: no directories, no
/// control characters, at most 200 characters; `file` if nothing is left.
pub fn file_name(given: Option<&str>) -> String {
    let given = given.unwrap_or_default();
    let base = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        "file".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(content_type(png), "image/png");
        assert_eq!(content_type(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(
            content_type("héllo\n".as_bytes()),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type(b"\0\x01\x02\xff"), "application/octet-stream");
        assert_eq!(
            content_type(&"é".as_bytes()[..1]),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn only_media_is_shown_inline() {
        assert!(is_inline("image/png"));
        assert!(is_inline("video/mp4"));
        assert!(!is_inline("image/svg+xml"));
        assert!(!is_inline("text/html"));
        assert!(!is_inline("text/plain; charset=utf-8"));
    }

    #[test]
    fn names_lose_directories_and_control_characters() {
        assert_eq!(file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(file_name(Some("C:\\Users\\me\\photo.jpg")), "photo.jpg");
        assert_eq!(file_name(Some("a\"b\r\nc.txt")), "a\"bc.txt");
        assert_eq!(file_name(Some(" ")), "file");
        assert_eq!(file_name(None), "file");
        assert_eq!(file_name(Some("..")), "file");
        assert_eq!(file_name(Some(&"x".repeat(300))).chars().count(), 200);
    }
}
