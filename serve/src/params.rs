//! The parameters of a Query API request, as botocore's `ec2` protocol serialises them: flat
//! `Name=value` pairs, lists as `Name.1`, `Name.2`, …, structures in lists as
//! `Filter.1.Name`, `Filter.1.Value.1`, ….

use std::collections::BTreeMap;

use crate::error::ApiError;

/// Most elements one list parameter may hold (a bound on the work one request asks).
const MAX_LIST: u32 = 1000;

/// A request's parameters (or those of one element of a list of structures).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: BTreeMap<String, String>,
}

/// One `Filter.N`: a name and the values any of which matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The filter's name (`instance-state-name`, `tag:Name`, …).
    pub name: String,
    /// Its values (glob patterns with `*` and `?`).
    pub values: Vec<String>,
}

/// One tag as a request gives it; the value may be absent (DeleteTags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagParam {
    /// The key.
    pub key: String,
    /// The value, when given.
    pub value: Option<String>,
}

impl Params {
    /// The parameters of a form-encoded body (and of the query string, which comes first: a
    /// name in both takes the body's value).
    pub fn parse(query: &str, body: &[u8]) -> Params {
        let mut map = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()).chain(form_urlencoded::parse(body)) {
            map.insert(k.into_owned(), v.into_owned());
        }
        Params { map }
    }

    /// Parameters from `(name, value)` pairs (tests, nested structures).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Params {
        Params {
            map: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// The value of `name`, or `MissingParameter`.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::missing(name))
    }

    /// The integer `name` within `min..=max`, if given.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Ok(_) => Err(ApiError::invalid(
                name,
                v,
                &format!("Must be between {min} and {max}."),
            )),
            Err(_) => Err(ApiError::invalid(name, v, "Must be an integer.")),
        }
    }

    /// The boolean `name` (`true` or `false`), `false` when absent.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::invalid(name, v, "Must be true or false.")),
        }
    }

    /// The elements of the list `prefix` (`prefix.N…`), by index: each element's parameters
    /// with `prefix.N.` taken off (a scalar element's value is under the empty name).
    pub fn elements(&self, prefix: &str) -> Result<BTreeMap<u32, Params>, ApiError> {
        let mut out: BTreeMap<u32, Params> = BTreeMap::new();
        let dotted = format!("{prefix}.");
        for (k, v) in self.map.range(dotted.clone()..) {
            let Some(rest) = k.strip_prefix(&dotted) else {
                break;
            };
            let (index, inner) = rest.split_once('.').unwrap_or((rest, ""));
            let n = index
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIST).contains(n))
                .ok_or_else(|| {
                    ApiError::new(
                        "InvalidParameter",
                        format!("The parameter {k} is not recognized: {prefix} takes indices 1 to {MAX_LIST}"),
                    )
                })?;
            out.entry(n)
                .or_default()
                .map
                .insert(inner.to_string(), v.clone());
        }
        Ok(out)
    }

    /// The values of the list of strings `prefix` (`prefix.1`, `prefix.2`, …), by index.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, ApiError> {
        self.elements(prefix)?
            .into_iter()
            .map(|(n, p)| {
                p.get("")
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::missing(&format!("{prefix}.{n}")))
            })
            .collect()
    }

    /// The filters (`Filter.N.Name`, `Filter.N.Value.M`).
    pub fn filters(&self) -> Result<Vec<Filter>, ApiError> {
        self.elements("Filter")?
            .into_iter()
            .map(|(n, p)| {
                let name = p
                    .get("Name")
                    .ok_or_else(|| ApiError::missing(&format!("Filter.{n}.Name")))?
                    .to_string();
                Ok(Filter {
                    name,
                    values: p.list("Value")?,
                })
            })
            .collect()
    }

    /// The tags of list `prefix` (`prefix.N.Key`, `prefix.N.Value`).
    pub fn tags(&self, prefix: &str) -> Result<Vec<TagParam>, ApiError> {
        self.elements(prefix)?
            .into_iter()
            .map(|(n, p)| {
                Ok(TagParam {
                    key: p
                        .get("Key")
                        .ok_or_else(|| ApiError::missing(&format!("{prefix}.{n}.Key")))?
                        .to_string(),
                    value: p.get("Value").map(str::to_string),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_filters_and_tags_come_out_in_index_order() {
        let p = Params::parse(
            "",
            b"Action=DescribeInstances&InstanceId.2=i-b&InstanceId.1=i-a&InstanceId.10=i-c\
              &Filter.1.Name=tag%3AName&Filter.1.Value.2=y&Filter.1.Value.1=x+z\
              &Tag.1.Key=k&Tag.1.Value=&Tag.2.Key=j",
        );
        assert_eq!(p.get("Action"), Some("DescribeInstances"));
        assert_eq!(p.list("InstanceId").unwrap(), ["i-a", "i-b", "i-c"]);
        assert_eq!(
            p.filters().unwrap(),
            [Filter {
                name: "tag:Name".into(),
                values: vec!["x z".into(), "y".into()]
            }]
        );
        assert_eq!(
            p.tags("Tag").unwrap(),
            [
                TagParam {
                    key: "k".into(),
                    value: Some(String::new())
                },
                TagParam {
                    key: "j".into(),
                    value: None
                }
            ]
        );
    }

    #[test]
    fn malformed_parameters_are_errors() {
        let p = Params::parse(
            "",
            b"InstanceId.x=i-a&MaxResults=abc&DryRun=maybe&Filter.1.Value.1=v",
        );
        assert_eq!(p.list("InstanceId").unwrap_err().code, "InvalidParameter");
        assert_eq!(
            p.int("MaxResults", 5, 1000).unwrap_err().code,
            "InvalidParameterValue"
        );
        assert_eq!(p.flag("DryRun").unwrap_err().code, "InvalidParameterValue");
        assert_eq!(p.filters().unwrap_err().code, "MissingParameter");
        assert_eq!(p.required("ImageId").unwrap_err().code, "MissingParameter");
        let p = Params::parse("", b"InstanceId.0=i-a&MaxCount=0");
        assert!(p.list("InstanceId").is_err());
        assert!(p.int("MaxCount", 1, 100).is_err());
    }

    #[test]
    fn a_prefix_does_not_swallow_longer_names() {
        let p = Params::parse("", b"Tag.1.Key=a&TagSpecification.1.ResourceType=instance");
        assert_eq!(p.tags("Tag").unwrap().len(), 1);
        assert_eq!(p.elements("TagSpecification").unwrap().len(), 1);
    }
}
