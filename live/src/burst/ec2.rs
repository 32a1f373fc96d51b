//! A small client of an EC2-compatible Query API: RunInstances, DescribeInstances and
//! TerminateInstances, signed with SigV4 ([`orrery_serve::sigv4`], the arithmetic `orrery
//! serve` verifies with), over a blocking HTTP client with a timeout per request and retries
//! with backoff for transient failures. Every error names the endpoint.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use orrery_serve::dates::amz_date;
use orrery_serve::sigv4::{authorization, sha256_hex, Request};
use quick_xml::events::Event;
use quick_xml::Reader;

/// The API version requests name.
const VERSION: &str = "2016-11-15";
/// The service name requests are signed for.
const SERVICE: &str = "ec2";

/// Where and as whom requests go.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The endpoint URL.
    pub url: String,
    /// The region requests are signed for.
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key (never printed).
    pub secret: String,
    /// Longest time one request may take.
    pub timeout: Duration,
    /// Tries of a transient failure.
    pub attempts: u32,
    /// First backoff between tries (doubled after each).
    pub backoff: Duration,
}

/// A failed request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Ec2Error {
    /// The cloud answered with an error.
    #[error("{endpoint}: {action} refused: {code}: {message}")]
    Api {
        /// The endpoint.
        endpoint: String,
        /// The action.
        action: String,
        /// EC2's error code (`AuthFailure`, `InvalidParameterValue`, …).
        code: String,
        /// Its message.
        message: String,
    },
    /// No usable answer: the endpoint could not be reached, timed out, or answered with
    /// something other than EC2's XML.
    #[error("{endpoint}: {action} failed: {message}")]
    Transport {
        /// The endpoint.
        endpoint: String,
        /// The action.
        action: String,
        /// What went wrong.
        message: String,
    },
}

impl Ec2Error {
    /// Whether trying again may help: no answer, a server error or throttling.
    fn transient(&self) -> bool {
        match self {
            Ec2Error::Transport { .. } => true,
            Ec2Error::Api { code, .. } => matches!(
                code.as_str(),
                "RequestLimitExceeded"
                    | "Throttling"
                    | "InternalError"
                    | "Unavailable"
                    | "ServiceUnavailable"
            ),
        }
    }
}

/// An instance as DescribeInstances or RunInstances shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Its id.
    pub id: String,
    /// Its state's name (`pending`, `running`, `terminated`, …).
    pub state: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// When it was launched, ms since the Unix epoch (`None`: not said, or unreadable).
    pub launched_ms: Option<u64>,
}

/// An ISO 8601 UTC time as EC2 writes `launchTime` (`2026-01-02T03:04:05.000Z`), in ms since
/// the Unix epoch, to the second.
fn iso8601_ms(s: &str) -> Option<u64> {
    let compact: String = s
        .get(..19)?
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    let secs = orrery_serve::dates::parse_amz_date(&format!("{compact}Z"))?;
    u64::try_from(secs).ok().map(|s| s * 1000)
}

/// An element of an XML answer: name (without namespace prefix), text and children.
#[derive(Debug, Default)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn text_of(&self, name: &str) -> String {
        self.child(name).map(|c| c.text.clone()).unwrap_or_default()
    }

    /// Every descendant named `name`, depth first.
    fn all<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.all(name, out);
        }
    }

    fn items(&self, set: &str) -> impl Iterator<Item = &Element> {
        self.child(set)
            .into_iter()
            .flat_map(|s| s.children.iter().filter(|c| c.name == "item"))
    }
}

/// Parses `xml` into its root element.
fn parse(xml: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack = vec![Element::default()];
    loop {
        match reader.read_event().map_err(|e| format!("bad XML: {e}"))? {
            Event::Start(e) => stack.push(Element {
                name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                ..Element::default()
            }),
            Event::Empty(e) => {
                let el = Element {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Element::default()
                };
                stack.last_mut().expect("root").children.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().expect("balanced");
                let Some(parent) = stack.last_mut() else {
                    return Err("bad XML: unbalanced".into());
                };
                parent.children.push(el);
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| format!("bad XML: {e}"))?;
                let text =
                    quick_xml::escape::unescape(&text).map_err(|e| format!("bad XML: {e}"))?;
                stack.last_mut().expect("root").text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| format!("bad XML: {e}"))?;
                let entity = format!("&{name};");
                let text =
                    quick_xml::escape::unescape(&entity).map_err(|e| format!("bad XML: {e}"))?;
                stack.last_mut().expect("root").text.push_str(&text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut root = stack.pop().ok_or("bad XML: empty")?;
    if !stack.is_empty() || root.children.len() != 1 {
        return Err("bad XML: not one document element".into());
    }
    Ok(root.children.remove(0))
}

fn instances_in(el: &Element) -> Vec<Instance> {
    let mut sets = Vec::new();
    el.all("instancesSet", &mut sets);
    sets.iter()
        .flat_map(|s| s.children.iter().filter(|c| c.name == "item"))
        .map(|i| Instance {
            id: i.text_of("instanceId"),
            state: i
                .child("instanceState")
                .map(|s| s.text_of("name"))
                .unwrap_or_default(),
            tags: i
                .items("tagSet")
                .map(|t| (t.text_of("key"), t.text_of("value")))
                .collect(),
            launched_ms: iso8601_ms(&i.text_of("launchTime")),
        })
        .collect()
}

/// A client of one endpoint.
pub struct Ec2 {
    endpoint: Endpoint,
    host: String,
    path: String,
    http: reqwest::blocking::Client,
}

impl Ec2 {
    /// A client of `endpoint` (its URL was validated with the config).
    pub fn new(endpoint: Endpoint) -> Result<Ec2, String> {
        let url = url::Url::parse(&endpoint.url)
            .map_err(|e| format!("{}: not a URL: {e}", endpoint.url))?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(format!("{}: no host", endpoint.url)),
        };
        let path = url.path().to_string();
        let http = reqwest::blocking::Client::builder()
            .timeout(endpoint.timeout)
            .connect_timeout(endpoint.timeout)
            .build()
            .map_err(|e| format!("{}: {e}", endpoint.url))?;
        Ok(Ec2 {
            endpoint,
            host,
            path,
            http,
        })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.endpoint.url
    }

    fn transport(&self, action: &str, message: String) -> Ec2Error {
        Ec2Error::Transport {
            endpoint: self.endpoint.url.clone(),
            action: action.into(),
            message,
        }
    }

    /// One signed POST of `action` with `params`; the answer's root element.
    fn once(&self, action: &str, params: &[(String, String)]) -> Result<Element, Ec2Error> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", action)
            .append_pair("Version", VERSION)
            .extend_pairs(params)
            .finish();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let date = amz_date(now);
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let headers = vec![
            ("content-type".to_string(), content_type.to_string()),
            ("host".to_string(), self.host.clone()),
            ("x-amz-date".to_string(), date.clone()),
        ];
        let signed: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
        let payload_hash = sha256_hex(body.as_bytes());
        let req = Request {
            method: "POST",
            raw_path: &self.path,
            raw_query: "",
            headers: &headers,
            signed_headers: &signed,
            payload_hash: &payload_hash,
        };
        let e = &self.endpoint;
        let auth = authorization(&req, &e.access_key_id, &e.secret, &e.region, SERVICE, &date);
        let resp = self
            .http
            .post(&e.url)
            .header("Content-Type", content_type)
            .header("Host", &self.host)
            .header("X-Amz-Date", &date)
            .header("X-Amz-Content-Sha256", &payload_hash)
            .header("Authorization", auth)
            .body(body)
            .send()
            .map_err(|err| self.transport(action, err.to_string()))?;
        let status = resp.status();
        let text = resp
            .text()
            .map_err(|err| self.transport(action, err.to_string()))?;
        let root = parse(&text).map_err(|m| {
            self.transport(action, format!("HTTP {status}, {m}: {}", excerpt(&text)))
        })?;
        let mut errors = Vec::new();
        root.all("Error", &mut errors);
        if let Some(err) = errors.first() {
            return Err(Ec2Error::Api {
                endpoint: e.url.clone(),
                action: action.into(),
                code: err.text_of("Code"),
                message: err.text_of("Message"),
            });
        }
        if !status.is_success() {
            return Err(self.transport(action, format!("HTTP {status}: {}", excerpt(&text))));
        }
        Ok(root)
    }

    /// `action` with `params`, tried again after a transient failure, `attempts` times in all
    /// with doubling backoff.
    fn call(&self, action: &str, params: &[(String, String)]) -> Result<Element, Ec2Error> {
        let mut backoff = self.endpoint.backoff;
        let mut tries = 1;
        loop {
            match self.once(action, params) {
                Err(e) if e.transient() && tries < self.endpoint.attempts => {
                    std::thread::sleep(backoff);
                    backoff *= 2;
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    /// Launches one instance of `instance_type` from `image_id`, tagged with `tags`; a
    /// repeated `token` (EC2's ClientToken) returns the instance it launched before.
    pub fn run_instance(
        &self,
        instance_type: &str,
        image_id: &str,
        token: &str,
        tags: &[(&str, &str)],
    ) -> Result<Instance, Ec2Error> {
        let mut p: Vec<(String, String)> = [
            ("ImageId", image_id),
            ("InstanceType", instance_type),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("ClientToken", token),
            ("TagSpecification.1.ResourceType", "instance"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (n, (k, v)) in tags.iter().enumerate() {
            p.push((
                format!("TagSpecification.1.Tag.{}.Key", n + 1),
                k.to_string(),
            ));
            p.push((
                format!("TagSpecification.1.Tag.{}.Value", n + 1),
                v.to_string(),
            ));
        }
        let root = self.call("RunInstances", &p)?;
        instances_in(&root)
            .into_iter()
            .next()
            .ok_or_else(|| self.transport("RunInstances", "the answer names no instance".into()))
    }

    /// The instances whose tag `key` is `value` (terminated ones included, as the cloud
    /// still lists them).
    pub fn describe_tagged(&self, key: &str, value: &str) -> Result<Vec<Instance>, Ec2Error> {
        let p = vec![
            ("Filter.1.Name".to_string(), format!("tag:{key}")),
            ("Filter.1.Value.1".to_string(), value.to_string()),
        ];
        Ok(instances_in(&self.call("DescribeInstances", &p)?))
    }

    /// Terminates instance `id` (the caller has checked it is orrery's).
    pub fn terminate(&self, id: &str) -> Result<(), Ec2Error> {
        let p = vec![("InstanceId.1".to_string(), id.to_string())];
        self.call("TerminateInstances", &p).map(drop)
    }
}

/// The start of an answer, for a message.
fn excerpt(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_and_errors_are_read_from_ec2_xml() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <reservationSet><item><instancesSet><item>
    <instanceId>i-0123</instanceId>
    <instanceState><code>16</code><name>running</name></instanceState>
    <launchTime>2015-08-30T12:36:00.000Z</launchTime>
    <tagSet><item><key>orrery:vm</key><value>a &amp; b</value></item></tagSet>
  </item></instancesSet></item></reservationSet>
</DescribeInstancesResponse>"#;
        let got = instances_in(&parse(xml).unwrap());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].id, "i-0123");
        assert_eq!(got[0].state, "running");
        assert_eq!(got[0].tags["orrery:vm"], "a & b");
        assert_eq!(got[0].launched_ms, Some(1_440_938_160_000));
        let err = parse(
            "<Response><Errors><Error><Code>AuthFailure</Code><Message>no</Message></Error>\
             </Errors></Response>",
        )
        .unwrap();
        let mut errors = Vec::new();
        err.all("Error", &mut errors);
        assert_eq!(errors[0].text_of("Code"), "AuthFailure");
        assert!(parse("<a><b></a>").is_err());
    }
}
