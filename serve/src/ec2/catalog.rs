//! DescribeInstanceTypes (the scenario's VM types) and DescribeImages (the images they name).

use crate::cloud::image_name;
use crate::dates::iso8601;
use crate::error::ApiError;
use crate::filters;
use crate::ids;
use crate::xml::Xml;

use super::context::{Ctx, Outcome};

/// The provider that owns every image.
const IMAGE_OWNER: &str = "orrery";

/// The filters DescribeInstanceTypes knows.
const TYPE_FILTERS: &[&str] = &[
    "instance-type",
    "vcpu-info.default-vcpus",
    "memory-info.size-in-mib",
    "current-generation",
    "processor-info.supported-architecture",
];

/// The filters DescribeImages knows.
const IMAGE_FILTERS: &[&str] = &[
    "image-id",
    "name",
    "state",
    "architecture",
    "owner-id",
    "owner-alias",
    "is-public",
    "image-type",
];

/// DescribeInstanceTypes: the named types (`InvalidInstanceType` for any unknown) or all,
/// filtered and paged.
pub fn instance_types(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    let p = ctx.params;
    let named = p.list("InstanceType")?;
    let types = ctx.cloud.types();
    let unknown: Vec<&str> = named
        .iter()
        .filter(|n| !types.iter().any(|t| &t.name == *n))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::new(
            "InvalidInstanceType",
            format!(
                "The following supplied instance types do not exist: [{}]",
                unknown.join(", ")
            ),
        ));
    }
    let max = p.int("MaxResults", 5, 100)?;
    let fs = p.filters()?;
    filters::check(&fs, TYPE_FILTERS, false)?;
    let chosen: Vec<usize> = (0..types.len())
        .filter(|&i| named.is_empty() || named.contains(&types[i].name))
        .filter(|&i| {
            let t = &types[i];
            filters::matches(&fs, |name| {
                vec![match name {
                    "instance-type" => t.name.clone(),
                    "vcpu-info.default-vcpus" => t.vcpus.to_string(),
                    "memory-info.size-in-mib" => t.memory_mib.to_string(),
                    "current-generation" => "true".to_string(),
                    _ => "x86_64".to_string(),
                }]
            })
        })
        .collect();
    let (page, next) = filters::page(chosen, max, p.get("NextToken"))?;
    let mut x = Xml::response("DescribeInstanceTypes", ctx.request_id);
    x.list("instanceTypeSet", &page, |x, &i| {
        let t = &types[i];
        x.text("instanceType", &t.name)
            .text("currentGeneration", "true")
            .text("freeTierEligible", "false")
            .list("supportedUsageClasses", ["on-demand"], |x, c| {
                x.out_text(c);
            })
            .list("supportedRootDeviceTypes", ["ebs"], |x, c| {
                x.out_text(c);
            })
            .list("supportedVirtualizationTypes", ["hvm"], |x, c| {
                x.out_text(c);
            })
            .text("bareMetal", "false")
            .element("processorInfo", |x| {
                x.list("supportedArchitectures", ["x86_64"], |x, c| {
                    x.out_text(c);
                })
                .text("sustainedClockSpeedInGhz", &format!("{}", t.mips / 1000.0));
            })
            .element("vCpuInfo", |x| {
                x.text("defaultVCpus", &t.vcpus.to_string())
                    .text("defaultCores", &t.vcpus.to_string())
                    .text("defaultThreadsPerCore", "1");
            })
            .element("memoryInfo", |x| {
                x.text("sizeInMiB", &t.memory_mib.to_string());
            })
            .text("instanceStorageSupported", "false")
            .text("hibernationSupported", "false")
            .text("burstablePerformanceSupported", "false")
            .text("dedicatedHostsSupported", "false")
            .text("autoRecoverySupported", "false");
    });
    if let Some(t) = &next {
        x.text("nextToken", t);
    }
    Ok(Outcome {
        xml: x.finish("DescribeInstanceTypes"),
        resources: page.iter().map(|&i| types[i].name.clone()).collect(),
    })
}

/// DescribeImages: the named images (`InvalidAMIID.Malformed`, `InvalidAMIID.NotFound`) or
/// all, of the owners asked for, filtered and paged.
pub fn images(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    let p = ctx.params;
    let cloud = &*ctx.cloud;
    let named = p.list("ImageId")?;
    let mut missing = Vec::new();
    for id in &named {
        if !ids::well_formed("ami", id) {
            return Err(ApiError::new(
                "InvalidAMIID.Malformed",
                format!("Invalid id: \"{id}\" (expecting \"ami-...\")"),
            ));
        }
        if !cloud.images.iter().any(|i| &i.id == id) {
            missing.push(id.as_str());
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::new(
            "InvalidAMIID.NotFound",
            format!("The image id '[{}]' does not exist", missing.join(", ")),
        ));
    }
    let owner_id = ids::account_id(IMAGE_OWNER);
    let owners = p.list("Owner")?;
    let max = p.int("MaxResults", 1, 1000)?;
    let fs = p.filters()?;
    filters::check(&fs, IMAGE_FILTERS, false)?;
    let chosen: Vec<usize> = (0..cloud.images.len())
        .filter(|&i| named.is_empty() || named.contains(&cloud.images[i].id))
        .filter(|_| owners.is_empty() || owners.iter().any(|o| o == IMAGE_OWNER || *o == owner_id))
        .filter(|&i| {
            let image = &cloud.images[i];
            filters::matches(&fs, |name| {
                vec![match name {
                    "image-id" => image.id.clone(),
                    "name" => image.name.clone(),
                    "state" => "available".to_string(),
                    "owner-id" => owner_id.clone(),
                    "owner-alias" => IMAGE_OWNER.to_string(),
                    "is-public" => "true".to_string(),
                    "image-type" => "machine".to_string(),
                    _ => "x86_64".to_string(),
                }]
            })
        })
        .collect();
    let (page, next) = filters::page(chosen, max, p.get("NextToken"))?;
    let created = iso8601(cloud.wall_ms(0));
    let mut x = Xml::response("DescribeImages", ctx.request_id);
    x.list("imagesSet", &page, |x, &i| {
        let image = &cloud.images[i];
        let users: Vec<&str> = cloud
            .types()
            .iter()
            .filter(|t| image_name(t) == image.name)
            .map(|t| t.name.as_str())
            .collect();
        x.text("imageId", &image.id)
            .text("imageLocation", &format!("{IMAGE_OWNER}/{}", image.name))
            .text("imageState", "available")
            .text("imageOwnerId", &owner_id)
            .text("creationDate", &created)
            .text("isPublic", "true")
            .text("architecture", "x86_64")
            .text("imageType", "machine")
            .text("name", &image.name)
            .text(
                "description",
                &format!("the image of VM types {}", users.join(", ")),
            )
            .text("imageOwnerAlias", IMAGE_OWNER)
            .text("rootDeviceType", "ebs")
            .text("rootDeviceName", "/dev/xvda")
            .element("blockDeviceMapping", |_| {})
            .text("virtualizationType", "hvm");
    });
    if let Some(t) = &next {
        x.text("nextToken", t);
    }
    Ok(Outcome {
        xml: x.finish("DescribeImages"),
        resources: page.iter().map(|&i| cloud.images[i].id.clone()).collect(),
    })
}
