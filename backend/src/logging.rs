//! Log output: env_logger's readable lines, or one JSON object per line for log
//! collectors. `RUST_LOG` filters either way.

use std::io::Write;

use crate::config::LogFormat;

/// Installs the logger; call once, at startup.
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if format == LogFormat::Json {
        builder.format(|buf, record| {
            let ts = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            writeln!(buf, "{}", json_line(&ts, record))
        });
    }
    builder.init();
}

/// `{"ts","level","target","msg"}`; serde_json escapes quotes and newlines, so
/// a message can never break the line apart.
fn json_line(ts: &str, record: &log::Record<'_>) -> String {
    serde_json::json!({
        "ts": ts,
        "level": record.level().as_str(),
        "target": record.target(),
        "msg": record.args().to_string(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_is_one_object() {
        let line = json_line(
            "2026-01-02T03:04:05.678Z",
            &log::Record::builder()
                .level(log::Level::Warn)
                .target("parley::ws")
                .args(format_args!("user 1 said \"hi\"\nthen left"))
                .build(),
        );
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "ts": "2026-01-02T03:04:05.678Z",
                "level": "WARN",
                "target": "parley::ws",
                "msg": "user 1 said \"hi\"\nthen left",
            })
        );
    }
}
