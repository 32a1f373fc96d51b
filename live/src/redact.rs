//! Credentials never reach a log: user names, passwords and secret query parameters are cut out
//! of every URI in a message before it is printed or journaled.

/// Query parameters whose values are hidden (matched as substrings of the lower-cased name).
const SECRET_PARAMS: &[&str] = &["pass", "secret", "token", "key", "auth", "cred"];

/// `text` with every URI's `user[:password]@` replaced by `***@` and the values of secret-looking
/// query parameters (`password=`, `keyfile=`, `authfile=`, …) replaced by `***`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '>' | ')'))
            .unwrap_or(rest.len());
        out.push_str(&redact_uri_tail(&rest[..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Redacts what follows `scheme://` up to the end of one URI.
fn redact_uri_tail(tail: &str) -> String {
    let authority_end = tail.find(['/', '?']).unwrap_or(tail.len());
    let (authority, path) = tail.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("***@{}", &authority[at + 1..]),
        None => authority.to_string(),
    };
    let path = match path.split_once('?') {
        None => path.to_string(),
        Some((p, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if is_secret(k) => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{p}?{}", params.join("&"))
        }
    };
    authority + &path
}

fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|s| name.contains(s))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn user_and_password_are_cut_from_every_uri() {
        assert_eq!(
            redact("cannot connect to qemu+ssh://root:hunter2@kvm1.example/system: refused"),
            "cannot connect to qemu+ssh://***@kvm1.example/system: refused"
        );
        assert_eq!(
            redact("a qemu+tls://admin@h1/system and 'qemu+ssh://u:p@h2:2222/system'"),
            "a qemu+tls://***@h1/system and 'qemu+ssh://***@h2:2222/system'"
        );
    }

    #[test]
    fn secret_query_values_are_hidden_and_others_kept() {
        assert_eq!(
            redact("qemu+ssh://h/system?keyfile=/root/.ssh/id&no_verify=1&password=x"),
            "qemu+ssh://h/system?keyfile=***&no_verify=1&password=***"
        );
    }

    #[test]
    fn text_without_credentials_is_unchanged() {
        for s in ["test:///tmp/host0.xml", "qemu:///system", "no uri here", ""] {
            assert_eq!(redact(s), s);
        }
    }
}
