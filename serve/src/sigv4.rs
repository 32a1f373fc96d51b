//! AWS Signature Version 4, the pure arithmetic: the canonical request, the string to sign, the
//! signing key and the signature, as AWS's "Signature Version 4 signing process" specifies them
//! (and as botocore computes them for services other than S3). [`crate::auth`] reads them off an
//! HTTP request and decides.

use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

/// The only algorithm AWS's SigV4 names.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`) is encoded.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// As [`STRICT`], with `/` kept (the path's separators).
const PATH: &AsciiSet = &STRICT.remove(b'/');

/// The lower-case hexadecimal SHA-256 of `bytes` (the payload hash, the canonical request's
/// hash).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The canonical URI of a request path as the client sent it (percent-encoded): dot segments
/// and empty segments removed, then every byte but unreserved ones and `/` encoded again
/// (services other than S3 sign the path encoded twice).
pub fn canonical_uri(raw_path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in raw_path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut path = format!("/{}", segments.join("/"));
    if raw_path.ends_with('/') && path.len() > 1 {
        path.push('/');
    }
    utf8_percent_encode(&path, PATH).to_string()
}

/// Decodes one `application/x-www-form-urlencoded`-style component without turning `+` into a
/// space (a query string in SigV4 is percent-decoded only).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The canonical query string: every `name=value` pair decoded, encoded again strictly, sorted
/// by name then value, joined by `&` (a name without `=` has an empty value).
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                utf8_percent_encode(&percent_decode(k), STRICT).to_string(),
                utf8_percent_encode(&percent_decode(v), STRICT).to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header value in canonical form: trimmed, runs of spaces inside folded to one.
fn canonical_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One request as SigV4 signs it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The HTTP method, upper case.
    pub method: &'a str,
    /// The path as sent (percent-encoded).
    pub raw_path: &'a str,
    /// The query string as sent, without `?` (empty when none).
    pub raw_query: &'a str,
    /// Every header of the request: name (any case) and value; a name may repeat.
    pub headers: &'a [(String, String)],
    /// The signed headers' names, lower case, in the order of the `SignedHeaders` list.
    pub signed_headers: &'a [String],
    /// The hexadecimal SHA-256 of the payload.
    pub payload_hash: &'a str,
}

impl Request<'_> {
    /// The canonical request: method, canonical URI, canonical query, canonical headers (one
    /// `name:value` line each, values of a repeated name joined by `,`), the signed header
    /// names joined by `;`, and the payload hash, separated by newlines.
    pub fn canonical(&self) -> String {
        let mut signed: Vec<&str> = self.signed_headers.iter().map(String::as_str).collect();
        signed.sort_unstable();
        let mut headers = String::new();
        for name in &signed {
            let values: Vec<String> = self
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| canonical_value(v))
                .collect();
            headers.push_str(name);
            headers.push(':');
            headers.push_str(&values.join(","));
            headers.push('\n');
        }
        format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method,
            canonical_uri(self.raw_path),
            canonical_query(self.raw_query),
            headers,
            signed.join(";"),
            self.payload_hash
        )
    }
}

/// The credential scope: `DATE/REGION/SERVICE/aws4_request`.
pub fn scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/aws4_request")
}

/// The string to sign: the algorithm, the request time (`YYYYMMDDTHHMMSSZ`), the scope and
/// the canonical request's hash.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The signing key: HMAC chained over the date, region, service and `aws4_request`, keyed
/// first by `AWS4` + the secret access key.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The signature: the lower-case hexadecimal HMAC-SHA256 of the string to sign under the
/// signing key.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(signing_key, string_to_sign.as_bytes()))
}

/// The `Authorization` header a client sends for `req` (whose headers include `x-amz-date`
/// = `amz_date`), signed with `access_key`'s `secret` for `region` and `service`: the
/// credential, the signed header names and the signature.
pub fn authorization(
    req: &Request<'_>,
    access_key: &str,
    secret: &str,
    region: &str,
    service: &str,
    amz_date: &str,
) -> String {
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let scope = scope(date, region, service);
    let sts = string_to_sign(amz_date, &scope, &req.canonical());
    let sig = signature(&signing_key(secret, date, region, service), &sts);
    let mut signed: Vec<&str> = req.signed_headers.iter().map(String::as_str).collect();
    signed.sort_unstable();
    format!(
        "{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={}, Signature={sig}",
        signed.join(";")
    )
}

/// Whether two signatures are equal, in time independent of where they differ.
pub fn same_signature(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A GET of `/` with `query`, `header_list` and `signed` headers at the test suite's date
    /// (2015-08-30 12:36:00 UTC), signed for `service` in us-east-1: its canonical request and
    /// signature.
    fn signed_get(
        header_list: &[(&str, &str)],
        signed: &[&str],
        query: &str,
        service: &str,
    ) -> (String, String) {
        let hs = headers(header_list);
        let signed: Vec<String> = signed.iter().map(|h| h.to_string()).collect();
        let empty = sha256_hex(b"");
        let req = Request {
            method: "GET",
            raw_path: "/",
            raw_query: query,
            headers: &hs,
            signed_headers: &signed,
            payload_hash: &empty,
        };
        let canonical = req.canonical();
        let sts = string_to_sign(
            "20150830T123600Z",
            &scope("20150830", "us-east-1", service),
            &canonical,
        );
        let key = signing_key(SECRET, "20150830", "us-east-1", service);
        let sig = signature(&key, &sts);
        (canonical, sig)
    }

    /// AWS's signature test suite, `get-vanilla`: the canonical request, string to sign and
    /// signature as published.
    #[test]
    fn get_vanilla_matches_the_published_vector() {
        let hs = headers(&[
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
        ]);
        let signed = vec!["host".to_string(), "x-amz-date".to_string()];
        let empty = sha256_hex(b"");
        let req = Request {
            method: "GET",
            raw_path: "/",
            raw_query: "",
            headers: &hs,
            signed_headers: &signed,
            payload_hash: &empty,
        };
        let canonical = req.canonical();
        assert_eq!(
            canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n\
             host;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let sts = string_to_sign(
            "20150830T123600Z",
            &scope("20150830", "us-east-1", "service"),
            &canonical,
        );
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        let key = signing_key(SECRET, "20150830", "us-east-1", "service");
        assert_eq!(
            signature(&key, &sts),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// The `get-vanilla` vector's published `Authorization` header, as a client signs it.
    #[test]
    fn a_client_authorization_header_matches_the_published_vector() {
        let hs = headers(&[
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
        ]);
        let signed = vec!["x-amz-date".to_string(), "host".to_string()];
        let empty = sha256_hex(b"");
        let req = Request {
            method: "GET",
            raw_path: "/",
            raw_query: "",
            headers: &hs,
            signed_headers: &signed,
            payload_hash: &empty,
        };
        assert_eq!(
            authorization(
                &req,
                "AKIDEXAMPLE",
                SECRET,
                "us-east-1",
                "service",
                "20150830T123600Z"
            ),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// The test suite's `get-vanilla-query-order-key-case`: parameters are sorted by name.
    #[test]
    fn query_parameters_are_sorted() {
        let (canonical, sig) = signed_get(
            &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            &["host", "x-amz-date"],
            "Param2=value2&Param1=value1",
            "service",
        );
        assert!(canonical.starts_with("GET\n/\nParam1=value1&Param2=value2\n"));
        assert_eq!(
            sig,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
    }

    /// The IAM `ListUsers` example of AWS's SigV4 documentation (a `content-type` header with
    /// a parameter, a query with two parameters).
    #[test]
    fn iam_list_users_example_matches_the_documentation() {
        let (canonical, sig) = signed_get(
            &[
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("Host", "iam.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            &["content-type", "host", "x-amz-date"],
            "Action=ListUsers&Version=2010-05-08",
            "iam",
        );
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(
            sig,
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    /// The signing-key derivation example of AWS's documentation (2012-02-15, IAM).
    #[test]
    fn signing_key_matches_the_documented_derivation() {
        let key = signing_key(SECRET, "20120215", "us-east-1", "iam");
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn values_are_trimmed_and_repeated_headers_joined() {
        let hs = headers(&[
            ("Host", "h"),
            ("My-Header1", "  value1  "),
            ("My-Header1", "a   b   c"),
        ]);
        let signed = vec!["host".to_string(), "my-header1".to_string()];
        let req = Request {
            method: "GET",
            raw_path: "/",
            raw_query: "",
            headers: &hs,
            signed_headers: &signed,
            payload_hash: "x",
        };
        assert!(req.canonical().contains("my-header1:value1,a b c\n"));
    }

    #[test]
    fn paths_are_normalised_and_encoded_again() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/a/./b/../c"), "/a/c");
        assert_eq!(canonical_uri("//x//"), "/x/");
        assert_eq!(canonical_uri("/a%20b"), "/a%2520b");
    }

    #[test]
    fn query_values_are_encoded_strictly() {
        assert_eq!(canonical_query("b=a%20b&a=x+y&c"), "a=x%2By&b=a%20b&c=");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn signatures_compare_whole() {
        assert!(same_signature("abc", "abc"));
        assert!(!same_signature("abc", "abd"));
        assert!(!same_signature("abc", "ab"));
    }
}
