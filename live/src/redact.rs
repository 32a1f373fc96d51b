//! Credentials never reach a log. Each configured libvirt URI is parsed into its parts
//! ([`UriParts`]); its user name, password and secret query values are then cut out of every
//! message, log line and journal record by value, wherever they appear ([`Redactor`]). URIs
//! the config does not hold (in a library's message) are parsed the same way where they appear.

/// Query parameters whose values are hidden (matched as substrings of the lower-cased name).
const SECRET_PARAMS: &[&str] = &["pass", "pw", "secret", "token", "key", "auth", "cred"];

/// What stands in for a secret.
const MASK: &str = "***";

/// Secrets shorter than this are hidden only inside their URI: hiding a one-letter password
/// everywhere would mangle every message.
const MIN_LOOSE_SECRET: usize = 3;

/// A URI split as RFC 3986 reads `scheme://[userinfo@]host[:port][/path][?query]`, leniently:
/// a password may hold any character (`/`, `?`, `@`, `'`, a space), so the user information
/// runs to the last `@` that is followed by a well-formed host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriParts<'a> {
    /// `qemu+ssh`, `test`, ….
    pub scheme: &'a str,
    /// `user` or `user:password`, when present.
    pub userinfo: Option<&'a str>,
    /// Host and port (empty for a local URI such as `qemu:///system`).
    pub host: &'a str,
    /// The path, with its leading `/` (may be empty).
    pub path: &'a str,
    /// The query after `?`, when present.
    pub query: Option<&'a str>,
}

impl<'a> UriParts<'a> {
    /// Splits `uri`; `None` when it is not `scheme://…` with a well-formed scheme.
    pub fn parse(uri: &'a str) -> Option<UriParts<'a>> {
        let (scheme, rest) = uri.split_once("://")?;
        let mut chars = scheme.chars();
        if !chars.next()?.is_ascii_alphabetic()
            || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        {
            return None;
        }
        // The user information ends at the last `@` followed by a host, a port and then the
        // end, a path or a query.
        let userinfo_end = rest.match_indices('@').map(|(i, _)| i).rfind(|&i| {
            let after = &rest[i + 1..];
            let end = after.find(['/', '?']).unwrap_or(after.len());
            is_host(&after[..end])
        });
        let (userinfo, rest) = match userinfo_end {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (host, rest) = rest.split_at(host_end);
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        Some(UriParts {
            scheme,
            userinfo,
            host,
            path,
            query,
        })
    }

    /// The password in the user information (after its first `:`), if any.
    pub fn password(&self) -> Option<&'a str> {
        self.userinfo?.split_once(':').map(|(_, p)| p)
    }

    /// The values of query parameters that look secret (`password=`, `pw=`, `keyfile=`, …).
    pub fn secret_values(&self) -> Vec<&'a str> {
        self.query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, _)| is_secret(k))
            .map(|(_, v)| v)
            .collect()
    }

    /// The URI with its user information and secret query values masked.
    pub fn redacted(&self) -> String {
        let mut out = format!("{}://", self.scheme);
        if self.userinfo.is_some() {
            out.push_str(MASK);
            out.push('@');
        }
        out.push_str(self.host);
        out.push_str(self.path);
        if let Some(q) = self.query {
            out.push('?');
            let params: Vec<String> = q
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if is_secret(k) => format!("{k}={MASK}"),
                    _ => kv.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        out
    }
}

/// `host`, `host:port`, `[v6]:port` or empty.
fn is_host(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']' | '%'))
}

fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|s| name.contains(s))
}

/// Hides the credentials of a set of URIs in any text: each URI as written is replaced by its
/// redacted form, then each credential (as written and percent-decoded) wherever else it
/// appears, then the credentials of any other URI in the text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Each URI as written and redacted, longest first.
    uris: Vec<(String, String)>,
    /// Credentials, longest first.
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for these URIs (a host's configured URI, resolved or not).
    pub fn new<S: AsRef<str>>(uris: &[S]) -> Self {
        let mut r = Redactor::default();
        for uri in uris {
            let uri = uri.as_ref();
            let Some(parts) = UriParts::parse(uri) else {
                // Not a URI: hide it whole (the config check reports it without its text).
                if !uri.is_empty() {
                    r.uris.push((uri.to_string(), "(not a URI)".into()));
                }
                continue;
            };
            let redacted = parts.redacted();
            if redacted != uri {
                r.uris.push((uri.to_string(), redacted));
            }
            let values = parts
                .userinfo
                .into_iter()
                .chain(parts.password())
                .chain(parts.secret_values());
            for v in values {
                for form in [v.to_string(), percent_decode(v)] {
                    if form.len() >= MIN_LOOSE_SECRET && !r.secrets.contains(&form) {
                        r.secrets.push(form);
                    }
                }
            }
        }
        r.uris.sort_by_key(|(u, _)| std::cmp::Reverse(u.len()));
        r.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        r
    }

    /// `text` without any credential.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (uri, redacted) in &self.uris {
            if out.contains(uri.as_str()) {
                out = out.replace(uri.as_str(), redacted);
            }
        }
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        redact(&out)
    }

    /// `e` with its message redacted.
    pub fn error(&self, e: crate::hypervisor::DriverError) -> crate::hypervisor::DriverError {
        crate::hypervisor::DriverError {
            message: self.redact(&e.message),
            ..e
        }
    }
}

/// `%XX` sequences decoded (invalid ones kept as written).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(a), Some(b)) if hex(a).is_some() && hex(b).is_some() => {
                out.push((hex(a).unwrap_or(0) * 16 + hex(b).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with the credentials of every URI in it masked: each `scheme://` starts a URI that
/// runs to the next white space or quote, and is parsed as [`UriParts`]. For text from outside
/// the config (a library's message); configured URIs go through a [`Redactor`], which also
/// finds credentials that hold white space or quotes.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        // The scheme: the letters, digits and `+-.` just before `://`.
        let start = rest[..i]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |(j, c)| j + c.len_utf8());
        let end = rest[i + 3..]
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '>' | '<'))
            .map_or(rest.len(), |j| i + 3 + j);
        out.push_str(&rest[..start]);
        let candidate = &rest[start..end];
        match UriParts::parse(candidate) {
            Some(parts) => out.push_str(&parts.redacted()),
            None => out.push_str(candidate),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uri_splits_into_its_parts_with_any_password() {
        let p =
            UriParts::parse("qemu+ssh://root:pa/ss9@kvm1.example:2222/system?no_verify=1").unwrap();
        assert_eq!(p.scheme, "qemu+ssh");
        assert_eq!(p.userinfo, Some("root:pa/ss9"));
        assert_eq!(p.password(), Some("pa/ss9"));
        assert_eq!(p.host, "kvm1.example:2222");
        assert_eq!(p.path, "/system");
        assert_eq!(p.query, Some("no_verify=1"));
        let local = UriParts::parse("qemu:///system").unwrap();
        assert_eq!(
            (local.userinfo, local.host, local.path),
            (None, "", "/system")
        );
        assert_eq!(UriParts::parse("not a uri"), None);
        assert_eq!(UriParts::parse("1abc://h/"), None);
    }

    /// Every form a password can take in a configured URI, and where it may reappear.
    #[test]
    fn configured_credentials_never_survive_in_any_form() {
        let forms = [
            ("qemu+ssh://root:pa/ss9@kvm1/system", "pa/ss9"),
            ("qemu+ssh://root:pa)ss@kvm1/system", "pa)ss"),
            ("qemu+ssh://root:it's@kvm1/system", "it's"),
            ("qemu+ssh://root:wh?at@kvm1/system", "wh?at"),
            ("qemu+ssh://root:two words@kvm1/system", "two words"),
            ("qemu+ssh://root:p@ss@kvm1/system", "p@ss"),
            ("qemu+ssh://root:p%40ss%2F@kvm1/system", "p@ss/"),
            ("qemu+tcp://kvm1/system?pw=s3cret&no_verify=1", "s3cret"),
            ("qemu+tcp://kvm1/system?password=s3cr3t", "s3cr3t"),
            (
                "qemu+ssh://kvm1/system?keyfile=/root/.ssh/id_rsa",
                "/root/.ssh/id_rsa",
            ),
            (
                "qemu+tls://admin:hunter2@kvm1/system?pkipath=/etc/pki",
                "hunter2",
            ),
        ];
        for (uri, secret) in forms {
            let r = Redactor::new(&[uri]);
            let decoded = percent_decode(secret);
            for message in [
                format!("cannot connect to {uri}: refused"),
                format!("'{uri}'"),
                format!("authentication failed for password {secret}"),
                format!("authentication failed for password {decoded}"),
                format!("uri={uri}\nagain: {uri}"),
            ] {
                let out = r.redact(&message);
                assert!(!out.contains(secret), "{uri}: {message} -> {out}");
                assert!(!out.contains(&decoded), "{uri}: {message} -> {out}");
            }
            // The host stays readable.
            let out = r.redact(&format!("cannot connect to {uri}"));
            assert!(out.contains("kvm1"), "{out}");
        }
    }

    #[test]
    fn user_and_password_are_cut_from_unconfigured_uris() {
        assert_eq!(
            redact("cannot connect to qemu+ssh://root:hunter2@kvm1.example/system: refused"),
            "cannot connect to qemu+ssh://***@kvm1.example/system: refused"
        );
        assert_eq!(
            redact("a qemu+tls://admin@h1/system and 'qemu+ssh://u:p/q@h2:2222/system'"),
            "a qemu+tls://***@h1/system and 'qemu+ssh://***@h2:2222/system'"
        );
        assert_eq!(
            redact("qemu+ssh://h/system?keyfile=/root/.ssh/id&no_verify=1&pw=x"),
            "qemu+ssh://h/system?keyfile=***&no_verify=1&pw=***"
        );
    }

    /// A fuzzer's find: a multi-byte character right before a scheme.
    #[test]
    fn a_scheme_after_any_character_is_found() {
        assert_eq!(
            redact("ڏqemu+ssh://root:pw@h/system"),
            "ڏqemu+ssh://***@h/system"
        );
        assert_eq!(redact("é://x"), "é://x");
    }

    #[test]
    fn text_without_credentials_is_unchanged() {
        let r = Redactor::new(&["test:///tmp/host0.xml", "qemu+tcp://10.0.0.1/system"]);
        for s in [
            "test:///tmp/host0.xml",
            "qemu:///system",
            "no uri here",
            "",
            "qemu+tcp://10.0.0.1/system: timed out",
        ] {
            assert_eq!(redact(s), s);
            assert_eq!(r.redact(s), s);
        }
    }
}
