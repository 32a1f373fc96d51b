//! Deterministic identifiers in EC2's formats, hashed (SipHash-1-3, 128 bits, fixed keys) from
//! what they name: the same run and the same requests give the same ids on any machine.

use std::hash::Hasher;

use siphasher::sip128::{Hasher128, SipHasher13};

/// 128 bits hashed from `parts` (each length-prefixed, so no two lists of parts collide by
/// concatenation).
fn hash128(parts: &[&str]) -> u128 {
    let mut h = SipHasher13::new_with_keys(0x6f72_7265_7279_2d73, 0x6572_7665_2d69_6473);
    for p in parts {
        h.write_u64(p.len() as u64);
        h.write(p.as_bytes());
    }
    h.finish128().as_u128()
}

/// 17 lower-case hexadecimal digits (68 bits) of `parts`' hash: the body of EC2's long ids.
pub fn hex17(parts: &[&str]) -> String {
    format!("{:017x}", hash128(parts) >> 60)
}

/// An EC2 id: `prefix-` and 17 hexadecimal digits hashed from `parts`.
pub fn id(prefix: &str, parts: &[&str]) -> String {
    format!("{prefix}-{}", hex17(parts))
}

/// The AMI id of image `name` (independent of the run: an image keeps its id).
pub fn image_id(name: &str) -> String {
    id("ami", &["image", name])
}

/// A 12-digit account id for organisation `name` (EC2's `ownerId`).
pub fn account_id(name: &str) -> String {
    format!("{:012}", hash128(&["account", name]) % 1_000_000_000_000)
}

/// A request id in UUID form, hashed from the run and the request's number.
pub fn request_id(run: &str, n: u64) -> String {
    let h = hash128(&["request", run, &n.to_string()]);
    let s = format!("{h:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..]
    )
}

/// Whether `s` is an id of `prefix`'s form: `prefix-` then 8 or 17 hexadecimal digits.
pub fn well_formed(prefix: &str, s: &str) -> bool {
    s.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|hex| {
            matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_ec2_forms_and_depend_on_every_part() {
        let a = id("i", &["run#1", "0"]);
        assert_eq!(a.len(), 19);
        assert!(well_formed("i", &a));
        assert_eq!(a, id("i", &["run#1", "0"]));
        assert_ne!(a, id("i", &["run#1", "1"]));
        assert_ne!(id("i", &["ab", "c"]), id("i", &["a", "bc"]));
        assert!(well_formed("ami", &image_id("ubuntu")));
        assert_eq!(account_id("acme").len(), 12);
        let r = request_id("run", 7);
        assert_eq!(r.len(), 36);
        assert_ne!(r, request_id("run", 8));
    }

    #[test]
    fn malformed_ids_are_told_apart() {
        assert!(well_formed("i", "i-0123abcd"));
        assert!(!well_formed("i", "i-0123abcg"));
        assert!(!well_formed("i", "i-0123"));
        assert!(!well_formed("i", "ami-0123abcd"));
        assert!(!well_formed("i", "i0123abcd"));
        assert!(!well_formed("i", ""));
    }
}
