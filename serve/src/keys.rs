//! The keys file: one access key per tenant, mapped to an organisation of the scenario.
//!
//! ```toml
//! [keys.AKIAORRERYACME000001]
//! secret = "…"                # the secret access key (never printed)
//! organisation = "acme"       # a `[[organisations]]` name of the scenario
//! admin = true                # may advance simulated time (POST /orrery/advance)
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

/// A secret access key. Its `Debug` and `Display` print a placeholder, so no log, error or
/// audit line can show it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for computing a signing key only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One access key's entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// The secret access key.
    pub secret: Secret,
    /// The organisation the key acts for.
    pub organisation: String,
    /// Whether the key may use the admin endpoint (advancing simulated time).
    #[serde(default)]
    pub admin: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysToml {
    keys: BTreeMap<String, KeyEntry>,
}

/// Every tenant's access key.
#[derive(Debug, Clone)]
pub struct Keys {
    keys: BTreeMap<String, KeyEntry>,
}

impl Keys {
    /// Reads a keys file; `organisations` are the names keys may map to. The error names the
    /// file and the key at fault, never a secret.
    pub fn load(
        path: &Path,
        organisations: &[String],
    ) -> Result<Keys, orrery_engine::error::InputError> {
        let text = orrery_engine::input::read_text(
            path,
            "keys file",
            orrery_engine::input::MAX_CONFIG_BYTES,
            "--keys names a TOML file of [keys.ACCESS_KEY_ID] tables (docs/serve.md)",
        )?;
        Keys::parse(&text, organisations)
            .map_err(|e| orrery_engine::error::InputError::file(path, e))
    }

    /// Parses the text of a keys file (see [`Keys::load`]).
    pub fn parse(text: &str, organisations: &[String]) -> Result<Keys, String> {
        // toml's messages quote the offending line, which may hold a secret: only its
        // position and kind are kept.
        let parsed: KeysToml = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start].matches('\n').count() + 1;
                    format!(" at line {line}")
                })
                .unwrap_or_default();
            format!("not a valid keys file{at}: expected [keys.ACCESS_KEY_ID] tables with secret, organisation and optionally admin")
        })?;
        if parsed.keys.is_empty() {
            return Err("no [keys.ACCESS_KEY_ID] table: nobody could sign a request".into());
        }
        for (id, entry) in &parsed.keys {
            if id.len() < 16 || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!(
                    "access key id `{id}` must be 16 to 128 letters and digits"
                ));
            }
            if entry.secret.0.len() < 16 {
                return Err(format!(
                    "the secret of `{id}` is shorter than 16 characters"
                ));
            }
            if !organisations.contains(&entry.organisation) {
                return Err(format!(
                    "`{id}` acts for organisation `{}`, which the scenario does not declare (its organisations: {})",
                    entry.organisation,
                    organisations.join(", ")
                ));
            }
        }
        Ok(Keys { keys: parsed.keys })
    }

    /// The entry of access key `id`.
    pub fn get(&self, id: &str) -> Option<&KeyEntry> {
        self.keys.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORGS: &[&str] = &["acme", "default"];

    fn orgs() -> Vec<String> {
        ORGS.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_keys_file_maps_ids_to_organisations() {
        let keys = Keys::parse(
            "[keys.AKIAACME0000000001]\nsecret = \"0123456789abcdefXYZ\"\norganisation = \"acme\"\nadmin = true\n",
            &orgs(),
        )
        .unwrap();
        let e = keys.get("AKIAACME0000000001").unwrap();
        assert_eq!(e.organisation, "acme");
        assert!(e.admin);
        assert_eq!(e.secret.expose(), "0123456789abcdefXYZ");
        assert!(keys.get("AKIAOTHER000000001").is_none());
    }

    #[test]
    fn errors_never_show_the_secret() {
        for text in [
            "[keys.AKIAACME0000000001]\nsecret = \"sup3rs3cretvalue!!\"\norganisation = \"nobody\"\n",
            "[keys.AKIAACME0000000001]\nsecret = \"sup3rs3cretvalue!!\"\norganisation = 3\n",
            "[keys.AKIAACME0000000001]\nsecret = \"sup3rs3cretvalue!!\nbroken",
        ] {
            let e = Keys::parse(text, &orgs()).unwrap_err();
            assert!(!e.contains("sup3rs3cret"), "{e}");
        }
        let keys = Keys::parse(
            "[keys.AKIAACME0000000001]\nsecret = \"sup3rs3cretvalue!!\"\norganisation = \"acme\"\n",
            &orgs(),
        )
        .unwrap();
        assert!(!format!("{keys:?}").contains("sup3rs3cret"));
    }

    #[test]
    fn bad_ids_and_short_secrets_are_refused() {
        assert!(Keys::parse(
            "[keys.short]\nsecret = \"0123456789abcdefXYZ\"\norganisation = \"acme\"\n",
            &orgs()
        )
        .is_err());
        assert!(Keys::parse(
            "[keys.AKIAACME0000000001]\nsecret = \"short\"\norganisation = \"acme\"\n",
            &orgs()
        )
        .is_err());
        assert!(Keys::parse("keys = {}\n", &orgs()).is_err());
    }
}
