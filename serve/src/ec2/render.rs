//! The XML of the structures several actions return: an instance, an instance state and a
//! state change, tags.

use std::collections::BTreeMap;

use crate::backend::{Phase, VmStatus};
use crate::cloud::Cloud;
use crate::dates::iso8601;
use crate::xml::Xml;

/// EC2's state code and name of a phase.
pub fn state(phase: Phase) -> (u32, &'static str) {
    match phase {
        Phase::Pending => (0, "pending"),
        Phase::Running => (16, "running"),
        Phase::Stopped => (80, "stopped"),
        Phase::Terminated => (48, "terminated"),
    }
}

/// `<name><code>…</code><name>…</name></name>` for `phase`.
pub fn instance_state(x: &mut Xml, name: &str, phase: Phase) {
    let (code, text) = state(phase);
    x.element(name, |x| {
        x.text("code", &code.to_string()).text("name", text);
    });
}

/// A `tagSet` of `tags` (nothing when there are none, as EC2 omits it).
pub fn tag_set(x: &mut Xml, tags: Option<&BTreeMap<String, String>>) {
    if let Some(tags) = tags.filter(|t| !t.is_empty()) {
        x.list("tagSet", tags, |x, (k, v)| {
            x.text("key", k).text("value", v);
        });
    }
}

/// The availability zone instances of `region` report.
pub fn zone(region: &str) -> String {
    format!("{region}a")
}

/// The private address of backend VM `vm`: 10.x.y.z from its number.
pub fn private_ip(vm: usize) -> String {
    let n = vm + 1;
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// Instance `i`'s element body (`instanceId`, `instanceState`, `placement`, …), its status
/// `status`, as seen from `region`.
pub fn instance(x: &mut Xml, cloud: &Cloud, i: usize, status: &VmStatus, region: &str) {
    let inst = &cloud.instances[i];
    let t = &cloud.types()[inst.type_index];
    let ip = private_ip(inst.vm);
    x.text("instanceId", &inst.id)
        .text("imageId", &inst.image_id);
    instance_state(x, "instanceState", status.phase);
    x.text(
        "privateDnsName",
        &format!("ip-{}.ec2.internal", ip.replace('.', "-")),
    )
    .text("dnsName", "")
    .text("reason", reason(inst.terminated_by_request, status))
    .text("amiLaunchIndex", &inst.launch_index.to_string())
    .element("productCodes", |_| {})
    .text("instanceType", &t.name)
    .text("launchTime", &iso8601(cloud.wall_ms(inst.launched_ms)))
    .element("placement", |x| {
        x.text("availabilityZone", &zone(region))
            .text("groupName", "")
            .text("tenancy", "default");
        if let Some(h) = &status.host {
            x.text("hostId", h);
        }
    })
    .element("monitoring", |x| {
        x.text("state", "disabled");
    })
    .text("privateIpAddress", &ip)
    .element("groupSet", |_| {})
    .text("architecture", "x86_64")
    .text("rootDeviceType", "ebs")
    .text("rootDeviceName", "/dev/xvda")
    .element("blockDeviceMapping", |_| {})
    .text("virtualizationType", "hvm")
    .element("cpuOptions", |x| {
        x.text("coreCount", &t.vcpus.to_string())
            .text("threadsPerCore", "1");
    });
    if let Some(token) = &inst.client_token {
        x.text("clientToken", token);
    }
    if status.phase == Phase::Terminated {
        let (code, message) = if inst.terminated_by_request {
            (
                "Client.UserInitiatedShutdown",
                "Client.UserInitiatedShutdown: User initiated shutdown",
            )
        } else if status.failed {
            (
                "Server.InternalError",
                "Server.InternalError: the VM failed (a host failure, a crash or a refused placement)",
            )
        } else {
            (
                "Server.ScheduledStop",
                "Server.ScheduledStop: the simulation stopped the VM",
            )
        };
        x.element("stateReason", |x| {
            x.text("code", code).text("message", message);
        });
    }
    tag_set(x, cloud.tags.get(&inst.id));
}

/// EC2's `reason` (state transition reason) text.
fn reason(by_request: bool, status: &VmStatus) -> &'static str {
    match status.phase {
        Phase::Terminated if by_request => "User initiated",
        Phase::Terminated => "Service initiated",
        Phase::Stopped => "User initiated",
        Phase::Pending | Phase::Running => "",
    }
}
