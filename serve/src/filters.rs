//! EC2 filters and pagination: filter names checked against what an action knows, values
//! matched as globs (`*` any run, `?` one character), any value of a filter and every filter
//! (AND of ORs); `MaxResults`/`NextToken` pages over a listing in a fixed order.

use crate::error::ApiError;
use crate::params::Filter;

/// Whether `text` matches glob `pattern` (`*` any run of characters, `?` any one).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Checks every filter's name: one of `known`, or `tag:KEY` when `tags` (refused with
/// `InvalidParameterValue`, as EC2 does, otherwise).
pub fn check(filters: &[Filter], known: &[&str], tags: bool) -> Result<(), ApiError> {
    for f in filters {
        let ok = known.contains(&f.name.as_str())
            || (tags && f.name.starts_with("tag:") && f.name.len() > 4);
        if !ok {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("The filter '{}' is invalid", f.name),
            ));
        }
        if f.values.is_empty() {
            return Err(ApiError::new(
                "InvalidParameterValue",
                format!("The filter '{}' has no Value", f.name),
            ));
        }
    }
    Ok(())
}

/// Whether a resource passes every filter: `values(name)` are its values for filter `name`
/// (several for tags), any of which may match any of the filter's patterns.
pub fn matches(filters: &[Filter], values: impl Fn(&str) -> Vec<String>) -> bool {
    filters.iter().all(|f| {
        let have = values(&f.name);
        f.values
            .iter()
            .any(|pattern| have.iter().any(|v| glob(pattern, v)))
    })
}

/// One page of `items`: at most `max` (all when `None`) from the position `token` names;
/// the token of the next page when there is one.
pub fn page<T>(
    items: Vec<T>,
    max: Option<i64>,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix("orrery-page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n <= items.len())
            .ok_or_else(|| {
                ApiError::new(
                    "InvalidPaginationToken",
                    format!("The pagination token '{t}' is not valid"),
                )
            })?,
    };
    let max = max.map_or(usize::MAX, |m| m.max(0) as usize);
    let end = start.saturating_add(max).min(items.len());
    let next = (end < items.len()).then(|| format!("orrery-page-{end}"));
    Ok((
        items.into_iter().skip(start).take(end - start).collect(),
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(name: &str, values: &[&str]) -> Filter {
        Filter {
            name: name.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn globs_match_as_ec2s_do() {
        assert!(glob("web*", "web-1"));
        assert!(glob("*", ""));
        assert!(glob("w?b", "web"));
        assert!(glob("*-1", "web-1"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("web", "web-1"));
        assert!(!glob("w?b", "wb"));
    }

    #[test]
    fn filters_are_ands_of_ors() {
        let fs = [
            filter("instance-state-name", &["running", "pending"]),
            filter("tag:Name", &["web*"]),
        ];
        let get = |state: &'static str, name: &'static str| {
            move |f: &str| match f {
                "instance-state-name" => vec![state.to_string()],
                "tag:Name" => vec![name.to_string()],
                _ => vec![],
            }
        };
        assert!(matches(&fs, get("running", "web-1")));
        assert!(!matches(&fs, get("stopped", "web-1")));
        assert!(!matches(&fs, get("running", "db")));
        assert!(check(&fs, &["instance-state-name"], true).is_ok());
        assert_eq!(
            check(&fs, &["instance-state-name"], false)
                .unwrap_err()
                .code,
            "InvalidParameterValue"
        );
    }

    #[test]
    fn pages_cover_the_listing_once() {
        let items: Vec<u32> = (0..12).collect();
        let (a, t) = page(items.clone(), Some(5), None).unwrap();
        let (b, t2) = page(items.clone(), Some(5), t.as_deref()).unwrap();
        let (c, t3) = page(items.clone(), Some(5), t2.as_deref()).unwrap();
        assert_eq!([a, b, c].concat(), items);
        assert!(t3.is_none());
        assert_eq!(
            page(items, Some(5), Some("garbage")).unwrap_err().code,
            "InvalidPaginationToken"
        );
    }
}
