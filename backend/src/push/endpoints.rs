//! Which push endpoints a subscription may name. The server POSTs to these URLs
//! on its own, so a user could aim it anywhere (SSRF): only `https` URLs of the
//! push services on `PUSH_ENDPOINT_ALLOWLIST` are taken (plain `http` only with the
//! tests' `PUSH_ALLOW_HTTP`), and redirects are never followed.

use reqwest::Url;

/// The longest endpoint URL accepted (real ones are a few hundred bytes).
const MAX_ENDPOINT_BYTES: usize = 1024;

#[derive(Debug, Clone)]
pub struct Allowlist {
    /// Exact host names, and `*.domain` for any subdomain of `domain`.
    hosts: Vec<String>,
    allow_http: bool,
}

impl Allowlist {
    pub fn new(hosts: &[String], allow_http: bool) -> Self {
        Self {
            hosts: hosts
                .iter()
                .map(|host| host.trim().to_ascii_lowercase())
                .filter(|host| !host.is_empty())
                .collect(),
            allow_http,
        }
    }

    /// The endpoint, if it may be pushed to.
    pub fn check(&self, endpoint: &str) -> Option<Url> {
        if endpoint.len() > MAX_ENDPOINT_BYTES {
            return None;
        }
        let url = Url::parse(endpoint).ok()?;
        let scheme_ok = url.scheme() == "https" || (self.allow_http && url.scheme() == "http");
        let plain =
            url.username().is_empty() && url.password().is_none() && url.fragment().is_none();
        let host = url.host_str()?.to_ascii_lowercase();
        (scheme_ok && plain && self.allows(&host)).then_some(url)
    }

    fn allows(&self, host: &str) -> bool {
        self.hosts
            .iter()
            .any(|allowed| match allowed.strip_prefix("*.") {
                Some(domain) => host
                    .strip_suffix(domain)
                    .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
                None => host == allowed,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> Allowlist {
        Allowlist::new(
            &["fcm.googleapis.com".into(), "*.notify.windows.com".into()],
            false,
        )
    }

    #[test]
    fn push_services_on_the_list_over_https() {
        let list = list();
        assert!(list
            .check("https://fcm.googleapis.com/fcm/send/abc:def")
            .is_some());
        assert!(list.check("https://FCM.googleapis.com/x").is_some());
        assert!(list
            .check("https://wns2-par02p.notify.windows.com/w/?token=x")
            .is_some());
    }

    #[test]
    fn nothing_else() {
        let list = list();
        for endpoint in [
            "http://fcm.googleapis.com/x",
            "https://fcm.googleapis.com.evil.example/x",
            "https://evilfcm.googleapis.com/x",
            "https://notify.windows.com/x",
            "https://evilnotify.windows.com/x",
            "https://user:pw@fcm.googleapis.com/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "file:///etc/passwd",
            "not a url",
            "",
        ] {
            assert!(list.check(endpoint).is_none(), "{endpoint}");
        }
        let long = format!("https://fcm.googleapis.com/{}", "a".repeat(2000));
        assert!(list.check(&long).is_none());
    }

    #[test]
    fn plain_http_only_when_told() {
        let list = Allowlist::new(&["127.0.0.1".into()], true);
        assert!(list.check("http://127.0.0.1:9999/push/1").is_some());
        assert!(list.check("http://localhost:9999/push/1").is_none());
    }
}
