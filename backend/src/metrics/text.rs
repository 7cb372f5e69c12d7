//! Writing the Prometheus text exposition format (version 0.0.4).

use std::fmt::{Display, Write};

/// The `Content-Type` of a scrape.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Label pairs of one series.
pub struct Labels<'a>(&'a [(&'a str, &'a str)]);

impl<'a> Labels<'a> {
    pub fn none() -> Self {
        Self(&[])
    }

    pub fn of(pairs: &'a [(&'a str, &'a str)]) -> Self {
        Self(pairs)
    }
}

/// A scrape being written.
#[derive(Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// The `# HELP` and `# TYPE` lines that head a metric's samples.
    pub fn header(&mut self, name: &str, kind: &str, help: &str) {
        // Writing to a String cannot fail.
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    pub fn sample(&mut self, name: &str, labels: &Labels<'_>, value: impl Display) {
        self.line(name, labels.0.iter().copied(), value);
    }

    /// A sample with one more label (a histogram bucket's `le`).
    pub fn sample_with(
        &mut self,
        name: &str,
        labels: &Labels<'_>,
        extra: (&str, &str),
        value: impl Display,
    ) {
        self.line(name, labels.0.iter().copied().chain([extra]), value);
    }

    /// One metric without labels: its header and its sample.
    pub fn single(&mut self, name: &str, kind: &str, help: &str, value: impl Display) {
        self.header(name, kind, help);
        self.sample(name, &Labels::none(), value);
    }

    pub fn finish(self) -> String {
        self.text
    }

    fn line<'a>(
        &mut self,
        name: &str,
        labels: impl Iterator<Item = (&'a str, &'a str)>,
        value: impl Display,
    ) {
        self.text.push_str(name);
        let mut first = true;
        for (label, value) in labels {
            self.text.push(if first { '{' } else { ',' });
            first = false;
            let _ = write!(self.text, "{label}=\"");
            escape_into(&mut self.text, value);
            self.text.push('"');
        }
        if !first {
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// Label values escape backslash, double quote and line feed.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_quote_and_escape_label_values() {
        let mut out = Exposition::default();
        out.header("requests_total", "counter", "Requests.");
        out.sample(
            "requests_total",
            &Labels::of(&[("route", "/a/{id}"), ("odd", "q\"b\\n\n")]),
            3,
        );
        out.single("up", "gauge", "Up.", 1);
        assert_eq!(
            out.finish(),
            "# HELP requests_total Requests.\n# TYPE requests_total counter\n\
             requests_total{route=\"/a/{id}\",odd=\"q\\\"b\\\\n\\n\"} 3\n\
             # HELP up Up.\n# TYPE up gauge\nup 1\n"
        );
    }
}
