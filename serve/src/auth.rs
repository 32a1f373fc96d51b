//! Authenticating a request: its `Authorization` header (SigV4, `AWS4-HMAC-SHA256`) checked
//! against the keys file, its `X-Amz-Date` within 15 minutes of the server's clock.
//!
//! Only header authentication is accepted; a presigned URL (`X-Amz-Algorithm` in the query)
//! is refused with `AuthFailure`. The region of the credential scope is any region (it names
//! the availability zone instances report); the service must be `ec2`.

use crate::dates::parse_amz_date;
use crate::error::ApiError;
use crate::keys::Keys;
use crate::sigv4;

/// Largest difference between a request's time and the server's, seconds (AWS's 15 minutes).
pub const MAX_SKEW_S: i64 = 15 * 60;

/// Who made an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The access key id (never the secret).
    pub access_key: String,
    /// The organisation the key acts for.
    pub organisation: String,
    /// Whether the key may use the admin endpoint.
    pub admin: bool,
    /// The region of the request's credential scope.
    pub region: String,
}

/// A request refused before it reached an action: the error, and the access key id it named
/// when it named one (for the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The access key id the request claimed, if it parsed that far.
    pub access_key: Option<String>,
    /// The error answered.
    pub error: ApiError,
}

/// An HTTP request as authentication sees it.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    /// Method, upper case.
    pub method: &'a str,
    /// The path as sent.
    pub raw_path: &'a str,
    /// The query string as sent (empty when none).
    pub raw_query: &'a str,
    /// Every header: name and value.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
}

impl Incoming<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
/// Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<String>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, ApiError> {
    let bad = |why: &str| {
        ApiError::new(
            "IncompleteSignature",
            format!("Authorization header is malformed: {why}"),
        )
    };
    let rest = value
        .strip_prefix(sigv4::ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| {
            ApiError::new(
                "AuthFailure",
                format!("only {} signatures are accepted", sigv4::ALGORITHM),
            )
        })?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| bad("expected Name=value parts"))?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return Err(bad(&format!("unknown part {k}"))),
        }
    }
    let credential = credential.ok_or_else(|| bad("no Credential"))?;
    let signed = signed.ok_or_else(|| bad("no SignedHeaders"))?;
    let signature = signature.ok_or_else(|| bad("no Signature"))?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = parts[..] else {
        return Err(bad(
            "Credential must be KEY/YYYYMMDD/REGION/SERVICE/aws4_request",
        ));
    };
    Ok(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers: signed.split(';').map(str::to_ascii_lowercase).collect(),
        signature,
    })
}

/// Checks `req`'s signature against `keys` at server time `now_unix` (seconds since the
/// epoch): the caller, or why the request is refused.
pub fn authenticate(req: &Incoming<'_>, keys: &Keys, now_unix: i64) -> Result<Caller, Refusal> {
    let refuse = |key: Option<&str>, error: ApiError| Refusal {
        access_key: key.map(str::to_string),
        error,
    };
    let Some(header) = req.header("authorization") else {
        let why = if req.raw_query.contains("X-Amz-Algorithm=") {
            "presigned URLs are not accepted: sign the Authorization header"
        } else {
            "the request is not signed: it must carry an AWS4-HMAC-SHA256 Authorization header"
        };
        return Err(refuse(
            None,
            ApiError::new("MissingAuthenticationToken", why),
        ));
    };
    let auth = parse_authorization(header).map_err(|e| refuse(None, e))?;
    let key = Some(auth.access_key);
    let Some(entry) = keys.get(auth.access_key) else {
        return Err(refuse(
            key,
            ApiError::new(
                "AuthFailure",
                "AWS was not able to validate the provided access credentials",
            ),
        ));
    };
    let Some(amz_date) = req.header("x-amz-date") else {
        return Err(refuse(
            key,
            ApiError::new("AuthFailure", "the request has no X-Amz-Date header"),
        ));
    };
    let Some(t) = parse_amz_date(amz_date) else {
        return Err(refuse(
            key,
            ApiError::new(
                "AuthFailure",
                format!("X-Amz-Date `{amz_date}` is not YYYYMMDDTHHMMSSZ"),
            ),
        ));
    };
    if (t - now_unix).abs() > MAX_SKEW_S {
        return Err(refuse(
            key,
            ApiError::new(
                "RequestExpired",
                format!("Request has expired: its time {amz_date} is more than 15 minutes from the server's"),
            ),
        ));
    }
    let mismatch = |why: &str| refuse(key, ApiError::new("SignatureDoesNotMatch", why.to_string()));
    if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(mismatch(
            "the credential scope's date is not the date of X-Amz-Date",
        ));
    }
    if auth.service != "ec2" {
        return Err(mismatch(
            "Credential should be scoped to correct service: 'ec2'",
        ));
    }
    for needed in ["host", "x-amz-date"] {
        if !auth.signed_headers.iter().any(|h| h == needed) {
            return Err(mismatch(&format!("SignedHeaders must include {needed}")));
        }
    }
    let body_hash = sigv4::sha256_hex(req.body);
    let payload_hash = match req.header("x-amz-content-sha256") {
        Some(claimed) if claimed != body_hash => {
            return Err(refuse(
                key,
                ApiError::new(
                    "XAmzContentSHA256Mismatch",
                    "The provided x-amz-content-sha256 header does not match what was computed",
                ),
            ))
        }
        _ => body_hash,
    };
    let canonical = sigv4::Request {
        method: req.method,
        raw_path: req.raw_path,
        raw_query: req.raw_query,
        headers: req.headers,
        signed_headers: &auth.signed_headers,
        payload_hash: &payload_hash,
    }
    .canonical();
    let scope = sigv4::scope(auth.date, auth.region, auth.service);
    let to_sign = sigv4::string_to_sign(amz_date, &scope, &canonical);
    let signing_key =
        sigv4::signing_key(entry.secret.expose(), auth.date, auth.region, auth.service);
    if !sigv4::same_signature(&sigv4::signature(&signing_key, &to_sign), auth.signature) {
        return Err(mismatch(
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ));
    }
    Ok(Caller {
        access_key: auth.access_key.to_string(),
        organisation: entry.organisation.clone(),
        admin: entry.admin,
        region: auth.region.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AKIAACME0000000001";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const NOW: i64 = 1_440_938_160; // 20150830T123600Z

    fn keys() -> Keys {
        Keys::parse(
            &format!("[keys.{KEY}]\nsecret = \"{SECRET}\"\norganisation = \"acme\"\n"),
            &["acme".to_string()],
        )
        .unwrap()
    }

    /// Headers of a request signed as botocore signs one, with `secret`.
    fn signed(body: &[u8], secret: &str, date: &str) -> Vec<(String, String)> {
        let mut headers = vec![
            (
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
            ("Host".to_string(), "127.0.0.1:8080".to_string()),
            ("X-Amz-Date".to_string(), date.to_string()),
        ];
        let signed: Vec<String> = ["content-type", "host", "x-amz-date"]
            .map(String::from)
            .to_vec();
        let canonical = sigv4::Request {
            method: "POST",
            raw_path: "/",
            raw_query: "",
            headers: &headers,
            signed_headers: &signed,
            payload_hash: &sigv4::sha256_hex(body),
        }
        .canonical();
        let scope = sigv4::scope(&date[..8], "us-east-1", "ec2");
        let sig = sigv4::signature(
            &sigv4::signing_key(secret, &date[..8], "us-east-1", "ec2"),
            &sigv4::string_to_sign(date, &scope, &canonical),
        );
        headers.push((
            "Authorization".to_string(),
            format!("AWS4-HMAC-SHA256 Credential={KEY}/{scope}, SignedHeaders=content-type;host;x-amz-date, Signature={sig}"),
        ));
        headers
    }

    fn check(headers: &[(String, String)], body: &[u8], now: i64) -> Result<Caller, Refusal> {
        authenticate(
            &Incoming {
                method: "POST",
                raw_path: "/",
                raw_query: "",
                headers,
                body,
            },
            &keys(),
            now,
        )
    }

    const BODY: &[u8] = b"Action=DescribeInstances&Version=2016-11-15";

    #[test]
    fn a_correct_signature_names_the_caller() {
        let caller = check(&signed(BODY, SECRET, "20150830T123600Z"), BODY, NOW).unwrap();
        assert_eq!(caller.access_key, KEY);
        assert_eq!(caller.organisation, "acme");
        assert_eq!(caller.region, "us-east-1");
    }

    #[test]
    fn a_wrong_secret_or_a_changed_body_does_not_match() {
        let e = check(
            &signed(BODY, "another-secret-of-some-length", "20150830T123600Z"),
            BODY,
            NOW,
        )
        .unwrap_err();
        assert_eq!(e.error.code, "SignatureDoesNotMatch");
        assert_eq!(e.access_key.as_deref(), Some(KEY));
        let e = check(
            &signed(BODY, SECRET, "20150830T123600Z"),
            b"Action=TerminateInstances&Version=2016-11-15",
            NOW,
        )
        .unwrap_err();
        assert_eq!(e.error.code, "SignatureDoesNotMatch");
        assert!(!e.error.message.contains(SECRET));
    }

    #[test]
    fn unknown_keys_stale_dates_and_unsigned_requests_are_refused() {
        let mut headers = signed(BODY, SECRET, "20150830T123600Z");
        let auth = headers.last_mut().unwrap();
        auth.1 = auth.1.replace(KEY, "AKIANOBODY00000001");
        assert_eq!(
            check(&headers, BODY, NOW).unwrap_err().error.code,
            "AuthFailure"
        );

        let headers = signed(BODY, SECRET, "20150830T123600Z");
        assert_eq!(
            check(&headers, BODY, NOW + 16 * 60).unwrap_err().error.code,
            "RequestExpired"
        );
        assert!(check(&headers, BODY, NOW + 14 * 60).is_ok());

        let unsigned = &headers[..3];
        assert_eq!(
            check(unsigned, BODY, NOW).unwrap_err().error.code,
            "MissingAuthenticationToken"
        );
    }

    #[test]
    fn malformed_authorization_headers_are_errors_not_panics() {
        for value in [
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 ",
            "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=x",
            "AWS4-HMAC-SHA256 Credential, SignedHeaders=host",
            "AWS AKID:sig",
            "AWS4-HMAC-SHA256 Credential=AKIAACME0000000001/20150830/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00",
        ] {
            let mut headers = signed(BODY, SECRET, "20150830T123600Z");
            headers.last_mut().unwrap().1 = value.to_string();
            let e = check(&headers, BODY, NOW).unwrap_err();
            assert!(
                [
                    "IncompleteSignature",
                    "AuthFailure",
                    "SignatureDoesNotMatch"
                ]
                .contains(&e.error.code),
                "{value}: {e:?}"
            );
        }
    }
}
