//! CreateTags, DescribeTags and DeleteTags, on the caller's instances.

use crate::cloud::Cloud;
use crate::error::ApiError;
use crate::filters;
use crate::ids;
use crate::params::TagParam;
use crate::xml::Xml;

use super::context::{Ctx, Outcome};

/// Most tags one resource may carry (EC2's limit).
const MAX_TAGS: usize = 50;

/// The filters DescribeTags knows (besides `tag:KEY`).
const TAG_FILTERS: &[&str] = &["key", "value", "resource-id", "resource-type"];

/// Checks tag keys and values as EC2 does: a key of 1 to 128 characters not starting with
/// `aws:`, a value of at most 256.
pub fn check_tags(tags: &[TagParam]) -> Result<(), ApiError> {
    for t in tags {
        let len = t.key.chars().count();
        if len == 0 || len > 128 {
            return Err(ApiError::invalid(
                "Tag.Key",
                &t.key,
                "Tag keys must be 1 to 128 characters.",
            ));
        }
        if t.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid(
                "Tag.Key",
                &t.key,
                "Tag keys starting with 'aws:' are reserved for internal use.",
            ));
        }
        if t.value.as_ref().is_some_and(|v| v.chars().count() > 256) {
            return Err(ApiError::invalid(
                "Tag.Value",
                t.value.as_deref().unwrap_or_default(),
                "Tag values must be at most 256 characters.",
            ));
        }
    }
    Ok(())
}

/// Sets `tags` on resource `id` (an absent value is empty), within the 50-tag limit.
pub fn put_tags(cloud: &mut Cloud, id: &str, tags: &[TagParam]) -> Result<(), ApiError> {
    let mut merged = cloud.tags.get(id).cloned().unwrap_or_default();
    for t in tags {
        merged.insert(t.key.clone(), t.value.clone().unwrap_or_default());
    }
    if merged.len() > MAX_TAGS {
        return Err(ApiError::new(
            "TagLimitExceeded",
            format!("The maximum number of tags ({MAX_TAGS}) for resource {id} has been reached."),
        ));
    }
    if !merged.is_empty() {
        cloud.tags.insert(id.to_string(), merged);
    }
    Ok(())
}

/// The resources of `ResourceId.N`: each an instance of the caller's.
fn resources(ctx: &Ctx<'_>) -> Result<Vec<String>, ApiError> {
    let ids = ctx.params.list("ResourceId")?;
    if ids.is_empty() {
        return Err(ApiError::missing("ResourceId"));
    }
    for id in &ids {
        if ids::well_formed("i", id) {
            let mine = ctx
                .cloud
                .instance(id)
                .is_some_and(|i| ctx.cloud.instances[i].organisation == ctx.caller.organisation);
            if !mine {
                return Err(ApiError::new(
                    "InvalidInstanceID.NotFound",
                    format!("The instance ID '{id}' does not exist"),
                ));
            }
        } else if id.starts_with("i-") {
            return Err(ApiError::new(
                "InvalidInstanceID.Malformed",
                format!("Invalid id: \"{id}\""),
            ));
        } else {
            return Err(ApiError::new(
                "InvalidID",
                format!("The ID '{id}' is not valid: only instances can be tagged here"),
            ));
        }
    }
    Ok(ids)
}

/// CreateTags: adds or overwrites tags on the caller's instances.
pub fn create(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    let ids = resources(ctx)?;
    let tags = ctx.params.tags("Tag")?;
    if tags.is_empty() {
        return Err(ApiError::missing("Tag"));
    }
    check_tags(&tags)?;
    // Checked for every resource before any changes.
    for id in &ids {
        let mut keys: std::collections::BTreeSet<&String> = ctx
            .cloud
            .tags
            .get(id)
            .map_or_else(Default::default, |t| t.keys().collect());
        keys.extend(tags.iter().map(|t| &t.key));
        if keys.len() > MAX_TAGS {
            return Err(ApiError::new(
                "TagLimitExceeded",
                format!(
                    "The maximum number of tags ({MAX_TAGS}) for resource {id} has been reached."
                ),
            ));
        }
    }
    for id in &ids {
        put_tags(ctx.cloud, id, &tags)?;
    }
    let mut x = Xml::response("CreateTags", ctx.request_id);
    x.text("return", "true");
    Ok(Outcome {
        xml: x.finish("CreateTags"),
        resources: ids,
    })
}

/// DeleteTags: removes the named keys (only where the value matches, when one is given), or
/// every tag when no `Tag.N` is given.
pub fn delete(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    let ids = resources(ctx)?;
    let tags = ctx.params.tags("Tag")?;
    check_tags(&tags)?;
    for id in &ids {
        let Some(have) = ctx.cloud.tags.get_mut(id) else {
            continue;
        };
        if tags.is_empty() {
            have.clear();
        }
        for t in &tags {
            if t.value.is_none() || have.get(&t.key) == t.value.as_ref() {
                have.remove(&t.key);
            }
        }
        if have.is_empty() {
            ctx.cloud.tags.remove(id);
        }
    }
    let mut x = Xml::response("DeleteTags", ctx.request_id);
    x.text("return", "true");
    Ok(Outcome {
        xml: x.finish("DeleteTags"),
        resources: ids,
    })
}

/// DescribeTags: the tags of the caller's instances, filtered and paged, by resource then
/// key.
pub fn describe(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    let p = ctx.params;
    let max = p.int("MaxResults", 5, 1000)?;
    let fs = p.filters()?;
    filters::check(&fs, TAG_FILTERS, true)?;
    let cloud = &*ctx.cloud;
    let mut rows: Vec<(&str, &str, &str)> = Vec::new();
    for inst in cloud
        .instances
        .iter()
        .filter(|i| i.organisation == ctx.caller.organisation)
    {
        let Some(tags) = cloud.tags.get(&inst.id) else {
            continue;
        };
        for (k, v) in tags {
            let keep = filters::matches(&fs, |name| match name {
                "key" => vec![k.clone()],
                "value" => vec![v.clone()],
                "resource-id" => vec![inst.id.clone()],
                "resource-type" => vec!["instance".to_string()],
                tag => tag
                    .strip_prefix("tag:")
                    .and_then(|key| tags.get(key))
                    .map_or(vec![], |v| vec![v.clone()]),
            });
            if keep {
                rows.push((&inst.id, k, v));
            }
        }
    }
    rows.sort();
    let (page, next) = filters::page(rows, max, p.get("NextToken"))?;
    let mut x = Xml::response("DescribeTags", ctx.request_id);
    x.list("tagSet", &page, |x, (id, k, v)| {
        x.text("resourceId", id)
            .text("resourceType", "instance")
            .text("key", k)
            .text("value", v);
    });
    if let Some(t) = &next {
        x.text("nextToken", t);
    }
    let mut resources: Vec<String> = page.iter().map(|(id, _, _)| id.to_string()).collect();
    resources.dedup();
    Ok(Outcome {
        xml: x.finish("DescribeTags"),
        resources,
    })
}
