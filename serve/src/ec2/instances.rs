//! RunInstances, DescribeInstances, TerminateInstances, StopInstances and StartInstances.

use orrery_policies::tenancy::{Organisation, Quota, Resources};

use crate::backend::Phase;
use crate::cloud::Cloud;
use crate::error::ApiError;
use crate::filters;
use crate::ids;
use crate::xml::Xml;

use super::context::{Ctx, Outcome};
use super::render;
use super::tags::{check_tags, put_tags};

/// Most instances one RunInstances may ask.
const MAX_COUNT: i64 = 1000;

/// The filters DescribeInstances knows (besides `tag:KEY`).
const INSTANCE_FILTERS: &[&str] = &[
    "instance-id",
    "instance-state-name",
    "instance-state-code",
    "instance-type",
    "image-id",
    "reservation-id",
    "availability-zone",
    "owner-id",
    "private-ip-address",
    "tag-key",
    "tag-value",
];

/// The caller's instances named by `InstanceId.N`, in request order, each checked: well
/// formed (`InvalidInstanceID.Malformed`) and the caller's (`InvalidInstanceID.NotFound`,
/// naming every missing id).
fn named_instances(ctx: &Ctx<'_>, required: bool) -> Result<Vec<usize>, ApiError> {
    let ids = ctx.params.list("InstanceId")?;
    if required && ids.is_empty() {
        return Err(ApiError::missing("InstanceId"));
    }
    let mut found = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in &ids {
        if !ids::well_formed("i", id) {
            return Err(ApiError::new(
                "InvalidInstanceID.Malformed",
                format!("Invalid id: \"{id}\""),
            ));
        }
        match ctx.cloud.instance(id) {
            Some(i) if ctx.cloud.instances[i].organisation == ctx.caller.organisation => {
                if !found.contains(&i) {
                    found.push(i);
                }
            }
            _ => missing.push(id.as_str()),
        }
    }
    if !missing.is_empty() {
        let (s, list) = (
            if missing.len() > 1 { "s" } else { "" },
            missing.join("', '"),
        );
        return Err(ApiError::new(
            "InvalidInstanceID.NotFound",
            format!(
                "The instance ID{s} '{list}' do{} not exist",
                if s.is_empty() { "es" } else { "" }
            ),
        ));
    }
    Ok(found)
}

/// The reservation's document body (`reservationId`, `ownerId`, `groupSet`, `instancesSet`)
/// for `members` of reservation `r`.
fn reservation(x: &mut Xml, cloud: &Cloud, r: usize, members: &[usize], region: &str) {
    let res = &cloud.reservations[r];
    x.text("reservationId", &res.id)
        .text("ownerId", &ids::account_id(&res.organisation))
        .element("groupSet", |_| {})
        .list("instancesSet", members, |x, &i| {
            render::instance(x, cloud, i, &cloud.status(i), region);
        });
}

/// The quota error for `n` more instances of `(vcpus, memory)` each, if they do not fit.
fn quota_error(
    cloud: &Cloud,
    organisation: &str,
    n: u32,
    vcpus: u32,
    mib: u64,
) -> Option<ApiError> {
    let q = cloud.quota(organisation);
    let (vms, used_vcpus, used_mib) = cloud.usage(organisation);
    let org = Organisation {
        name: organisation.to_string(),
        users: Default::default(),
        quota: Quota {
            vms: q.vms,
            vcpus: q.vcpus,
            memory_mb: q.memory_mb,
        },
        usage: Resources {
            vms,
            vcpus: used_vcpus,
            memory_mb: used_mib,
        },
    };
    let want = |vms, vcpus, memory_mb| Resources {
        vms,
        vcpus,
        memory_mb,
    };
    if let Err(e) = org.check(want(n, 0, 0)) {
        return Some(ApiError::new(
            "InstanceLimitExceeded",
            format!("Your quota allows for no more running instances: {e}"),
        ));
    }
    if let Err(e) = org.check(want(0, n * vcpus, 0)) {
        return Some(ApiError::new(
            "VcpuLimitExceeded",
            format!(
                "You have requested more vCPU capacity than your current vCPU limit allows: {e}"
            ),
        ));
    }
    org.check(want(0, 0, u64::from(n) * mib)).err().map(|e| {
        ApiError::new(
            "InstanceLimitExceeded",
            format!("Your quota allows for no more instance memory: {e}"),
        )
    })
}

/// RunInstances: launches between `MinCount` and `MaxCount` instances (as many as the quota
/// and placement allow), tagged by `TagSpecification`s; a repeated `ClientToken` returns the
/// first launch.
pub fn run(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    let p = ctx.params;
    let image_id = p.required("ImageId")?;
    if !ids::well_formed("ami", image_id) {
        return Err(ApiError::new(
            "InvalidAMIID.Malformed",
            format!("Invalid id: \"{image_id}\" (expecting \"ami-...\")"),
        ));
    }
    if !ctx.cloud.images.iter().any(|i| i.id == image_id) {
        return Err(ApiError::new(
            "InvalidAMIID.NotFound",
            format!("The image id '[{image_id}]' does not exist"),
        ));
    }
    let type_index = match p.get("InstanceType") {
        None => 0,
        Some(name) => ctx
            .cloud
            .types()
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| {
                ApiError::new(
                    "InvalidParameterValue",
                    format!("Invalid value '{name}' for InstanceType."),
                )
            })?,
    };
    if ctx.cloud.types().is_empty() {
        return Err(ApiError::new(
            "InvalidParameterValue",
            "The scenario declares no VM types.",
        ));
    }
    let max = p
        .int("MaxCount", 1, MAX_COUNT)?
        .ok_or_else(|| ApiError::missing("MaxCount"))? as u32;
    let min = p
        .int("MinCount", 1, MAX_COUNT)?
        .ok_or_else(|| ApiError::missing("MinCount"))? as u32;
    if min > max {
        return Err(ApiError::new(
            "InvalidParameterValue",
            format!("MinCount ({min}) must not be greater than MaxCount ({max})"),
        ));
    }
    let mut tags = Vec::new();
    for (n, spec) in p.elements("TagSpecification")? {
        match spec.get("ResourceType") {
            Some("instance") => tags.extend(spec.tags("Tag")?),
            other => {
                return Err(ApiError::invalid(
                    &format!("TagSpecification.{n}.ResourceType"),
                    other.unwrap_or(""),
                    "Only instances can be tagged at launch here.",
                ))
            }
        }
    }
    check_tags(&tags)?;
    let org = ctx.caller.organisation.clone();
    let token = p.get("ClientToken").filter(|t| !t.is_empty());
    if let Some(t) = token {
        if t.len() > 64 {
            return Err(ApiError::invalid(
                "ClientToken",
                t,
                "Must be at most 64 characters.",
            ));
        }
        if let Some(&r) = ctx.cloud.tokens.get(&(org.clone(), t.to_string())) {
            let members = ctx.cloud.reservations[r].instances.clone();
            let first = &ctx.cloud.instances[members[0]];
            if first.image_id != image_id || first.type_index != type_index {
                return Err(ApiError::new(
                    "IdempotentParameterMismatch",
                    format!("The client token '{t}' was used by a launch with other parameters"),
                ));
            }
            return Ok(reservation_outcome(ctx, r, &members));
        }
    }
    let spec = ctx.cloud.types()[type_index].clone();
    if let Some(h) = ctx.cloud.backend().horizon_ms() {
        if ctx.cloud.backend().now_ms() >= h {
            return Err(ApiError::new(
                "InsufficientInstanceCapacity",
                format!(
                    "The simulation ended at {} s: no more instances can be launched",
                    h / 1000
                ),
            ));
        }
    }
    let mut n = max;
    while n >= min && quota_error(ctx.cloud, &org, n, spec.vcpus, spec.memory_mib).is_some() {
        n -= 1;
    }
    if n < min {
        return Err(
            quota_error(ctx.cloud, &org, min, spec.vcpus, spec.memory_mib)
                .expect("the smallest count failed the quota"),
        );
    }
    let vms = ctx
        .cloud
        .backend_mut()
        .launch(type_index, &org, n)
        .map_err(|e| ApiError::new("InsufficientInstanceCapacity", e))?;
    // Placement refused some (no host could ever take them): those are not launched.
    let (placed, refused): (Vec<usize>, Vec<usize>) = vms.iter().partition(|&&vm| {
        let s = ctx.cloud.backend().status(vm);
        !(s.phase == Phase::Terminated && s.failed)
    });
    if (placed.len() as u32) < min {
        for &vm in &placed {
            // Already accepted VMs of a launch that fails are withdrawn; a refusal here
            // leaves nothing to undo.
            let _ = ctx.cloud.backend_mut().terminate(vm);
        }
        return Err(ApiError::new(
            "InsufficientInstanceCapacity",
            format!(
                "We currently do not have sufficient {} capacity: placement refused {} of {} instances (MinCount {min})",
                spec.name,
                refused.len(),
                vms.len()
            ),
        ));
    }
    let r = ctx
        .cloud
        .record_launch(&org, type_index, image_id, &placed, token);
    let members = ctx.cloud.reservations[r].instances.clone();
    for &i in &members {
        let id = ctx.cloud.instances[i].id.clone();
        put_tags(ctx.cloud, &id, &tags)?;
    }
    Ok(reservation_outcome(ctx, r, &members))
}

fn reservation_outcome(ctx: &Ctx<'_>, r: usize, members: &[usize]) -> Outcome {
    let mut x = Xml::response("RunInstances", ctx.request_id);
    reservation(&mut x, ctx.cloud, r, members, &ctx.caller.region);
    Outcome {
        xml: x.finish("RunInstances"),
        resources: members
            .iter()
            .map(|&i| ctx.cloud.instances[i].id.clone())
            .collect(),
    }
}

/// DescribeInstances: the caller's instances (those named, or all), filtered and paged,
/// grouped by reservation.
pub fn describe(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    let p = ctx.params;
    let named = named_instances(ctx, false)?;
    let max = p.int("MaxResults", 5, 1000)?;
    if max.is_some() && !named.is_empty() {
        return Err(ApiError::new(
            "InvalidParameterCombination",
            "The parameter instancesSet cannot be used with the parameter maxResults",
        ));
    }
    let fs = p.filters()?;
    filters::check(&fs, INSTANCE_FILTERS, true)?;
    let cloud = &*ctx.cloud;
    let region = &ctx.caller.region;
    let candidates: Vec<usize> = if named.is_empty() {
        (0..cloud.instances.len())
            .filter(|&i| cloud.instances[i].organisation == ctx.caller.organisation)
            .collect()
    } else {
        named
    };
    let chosen: Vec<usize> = candidates
        .into_iter()
        .filter(|&i| {
            let inst = &cloud.instances[i];
            let status = cloud.status(i);
            let tags = cloud.tags.get(&inst.id);
            filters::matches(&fs, |name| {
                let one = |s: &str| vec![s.to_string()];
                match name {
                    "instance-id" => one(&inst.id),
                    "instance-state-name" => one(render::state(status.phase).1),
                    "instance-state-code" => one(&render::state(status.phase).0.to_string()),
                    "instance-type" => one(&cloud.types()[inst.type_index].name),
                    "image-id" => one(&inst.image_id),
                    "reservation-id" => one(&cloud.reservations[inst.reservation].id),
                    "availability-zone" => one(&render::zone(region)),
                    "owner-id" => one(&ids::account_id(&inst.organisation)),
                    "private-ip-address" => one(&render::private_ip(inst.vm)),
                    "tag-key" => tags.map_or(vec![], |t| t.keys().cloned().collect()),
                    "tag-value" => tags.map_or(vec![], |t| t.values().cloned().collect()),
                    tag => tag
                        .strip_prefix("tag:")
                        .and_then(|k| tags.and_then(|t| t.get(k)))
                        .map_or(vec![], |v| vec![v.clone()]),
                }
            })
        })
        .collect();
    let (page, next) = filters::page(chosen, max, p.get("NextToken"))?;
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in page {
        let r = cloud.instances[i].reservation;
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, members)) => members.push(i),
            None => groups.push((r, vec![i])),
        }
    }
    let mut x = Xml::response("DescribeInstances", ctx.request_id);
    x.list("reservationSet", &groups, |x, (r, members)| {
        reservation(x, cloud, *r, members, region);
    });
    if let Some(t) = &next {
        x.text("nextToken", t);
    }
    Ok(Outcome {
        xml: x.finish("DescribeInstances"),
        resources: groups
            .iter()
            .flat_map(|(_, m)| m.iter().map(|&i| cloud.instances[i].id.clone()))
            .collect(),
    })
}

/// A state-changing action: what it does to one instance in each phase.
#[derive(Clone, Copy)]
enum Change {
    Terminate,
    Stop,
    Start,
}

/// Terminate, stop or start the named instances: every instance is checked before any is
/// changed, so a refused request changes nothing.
fn change(ctx: &mut Ctx<'_>, change: Change, action: &str) -> Result<Outcome, ApiError> {
    let named = named_instances(ctx, true)?;
    let before: Vec<Phase> = named.iter().map(|&i| ctx.cloud.status(i).phase).collect();
    for (&i, &phase) in named.iter().zip(&before) {
        let allowed = match change {
            Change::Terminate => true,
            Change::Stop => matches!(phase, Phase::Running | Phase::Stopped),
            Change::Start => matches!(phase, Phase::Running | Phase::Stopped),
        };
        if !allowed {
            let verb = match change {
                Change::Stop => "stopped",
                _ => "started",
            };
            return Err(ApiError::new(
                "IncorrectInstanceState",
                format!(
                    "The instance '{}' is not in a state from which it can be {verb}.",
                    ctx.cloud.instances[i].id
                ),
            ));
        }
    }
    for (&i, &phase) in named.iter().zip(&before) {
        let vm = ctx.cloud.instances[i].vm;
        let result = match (change, phase) {
            (Change::Terminate, Phase::Terminated)
            | (Change::Stop, Phase::Stopped)
            | (Change::Start, Phase::Running) => Ok(()),
            (Change::Terminate, _) => {
                ctx.cloud.instances[i].terminated_by_request = true;
                ctx.cloud.backend_mut().terminate(vm)
            }
            (Change::Stop, _) => ctx.cloud.backend_mut().stop(vm),
            (Change::Start, _) => ctx.cloud.backend_mut().start(vm),
        };
        if let Err(e) = result {
            return Err(ApiError::new(
                "IncorrectInstanceState",
                format!(
                    "The instance '{}' cannot change state now: {e}",
                    ctx.cloud.instances[i].id
                ),
            ));
        }
    }
    let mut x = Xml::response(action, ctx.request_id);
    let cloud = &*ctx.cloud;
    x.list(
        "instancesSet",
        named.iter().zip(&before),
        |x, (&i, &prev)| {
            x.text("instanceId", &cloud.instances[i].id);
            render::instance_state(x, "currentState", cloud.status(i).phase);
            render::instance_state(x, "previousState", prev);
        },
    );
    Ok(Outcome {
        xml: x.finish(action),
        resources: named
            .iter()
            .map(|&i| cloud.instances[i].id.clone())
            .collect(),
    })
}

/// TerminateInstances.
pub fn terminate(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    change(ctx, Change::Terminate, "TerminateInstances")
}

/// StopInstances.
pub fn stop(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    change(ctx, Change::Stop, "StopInstances")
}

/// StartInstances.
pub fn start(ctx: &mut Ctx<'_>) -> Result<Outcome, ApiError> {
    change(ctx, Change::Start, "StartInstances")
}
