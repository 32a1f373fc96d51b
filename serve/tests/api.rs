//! The EC2 actions over a real simulation, without HTTP: response shapes as botocore's `ec2`
//! model names them, EC2's error codes, states following the simulator, quotas and ids.

use std::path::Path;

use orrery_engine::scenario::Scenario;
use orrery_serve::auth::Caller;
use orrery_serve::cloud::Cloud;
use orrery_serve::ec2;
use orrery_serve::error::ApiError;
use orrery_serve::params::Params;
use orrery_serve::simulated::SimBackend;
use orrery_serve::tenants;

const SCENARIO: &str = r#"
name = "api"
seed = 5
duration_s = 7200

[[hosts]]
type = "blade"
count = 2
cores = 8
core_mips = 2500
memory_mb = 32768
power = { model = "linear", idle_w = 100.0, max_w = 250.0 }

[[vm_types]]
name = "small"
vcpus = 2
mips = 2500
memory_mb = 4096
image = "debian-12"

[[vm_types]]
name = "huge"
vcpus = 64
mips = 2500
memory_mb = 65536

[workload]
vm_boot_s = 30

[[workload.generators]]
vm_type = "small"
count = 1
arrival = { process = "batch", at_s = 7000 }
utilisation = { pattern = "constant", level = 0.2 }

[[organisations]]
name = "acme"
quota = { vms = 3 }

[policies]
placement = "first-fit"
reallocation = "none"
"#;

fn cloud() -> Cloud {
    let scenario = Scenario::parse(SCENARIO, Path::new("api.toml"), Path::new("."), &[]).unwrap();
    let backend = SimBackend::new(&scenario, None, 0.5).unwrap();
    Cloud::new(
        Box::new(backend),
        1_700_000_000_000,
        tenants::quotas(&scenario),
    )
}

fn caller(org: &str) -> Caller {
    Caller {
        access_key: format!("AKIA{org}"),
        organisation: org.to_string(),
        admin: false,
        region: "eu-west-1".to_string(),
    }
}

fn call(cloud: &mut Cloud, org: &str, body: &str) -> Result<String, ApiError> {
    let params = Params::parse("", format!("Version=2016-11-15&{body}").as_bytes());
    let id = cloud.next_request_id();
    ec2::handle(cloud, &caller(org), &params, &id).map(|o| o.xml)
}

fn code(cloud: &mut Cloud, org: &str, body: &str) -> &'static str {
    call(cloud, org, body).expect_err(body).code
}

/// Every `<tag>…</tag>` text in `xml`, in order.
fn texts(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .map(|s| s.split(&close).next().unwrap().to_string())
        .collect()
}

fn image(cloud: &mut Cloud, name: &str) -> String {
    let xml = call(
        cloud,
        "acme",
        &format!("Action=DescribeImages&Filter.1.Name=name&Filter.1.Value.1={name}"),
    )
    .unwrap();
    texts(&xml, "imageId").pop().unwrap()
}

#[test]
fn run_describe_and_terminate_follow_the_simulation() {
    let mut c = cloud();
    let ami = image(&mut c, "debian-12");
    let xml = call(&mut c, "acme", &format!("Action=RunInstances&ImageId={ami}&InstanceType=small&MinCount=2&MaxCount=2&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web")).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<RunInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>"));
    assert!(xml.contains("<groupSet></groupSet><instancesSet><item><instanceId>i-"));
    let ids = texts(&xml, "instanceId");
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|i| i.len() == 19));
    assert_eq!(texts(&xml, "name"), ["pending", "pending"]);
    assert_eq!(texts(&xml, "code"), ["0", "0"]);
    assert_eq!(
        texts(&xml, "availabilityZone"),
        ["eu-west-1a", "eu-west-1a"]
    );
    assert!(xml.contains("<tagSet><item><key>Name</key><value>web</value></item></tagSet>"));
    assert!(xml.contains("<launchTime>2023-11-14T22:13:20.000Z</launchTime>"));

    // Hosts are on: the VMs boot in 30 s.
    c.backend_mut().advance_to(29_000).unwrap();
    let xml = call(&mut c, "acme", "Action=DescribeInstances").unwrap();
    assert_eq!(texts(&xml, "name"), ["pending", "pending"]);
    c.backend_mut().advance_to(31_000).unwrap();
    let xml = call(&mut c, "acme", "Action=DescribeInstances").unwrap();
    assert!(xml.contains("<reservationSet><item><reservationId>r-"));
    assert_eq!(texts(&xml, "name"), ["running", "running"]);
    assert_eq!(texts(&xml, "hostId").len(), 2);

    let xml = call(
        &mut c,
        "acme",
        &format!("Action=StopInstances&InstanceId.1={}", ids[0]),
    )
    .unwrap();
    assert!(xml.contains(&format!("<instancesSet><item><instanceId>{}</instanceId><currentState><code>80</code><name>stopped</name></currentState><previousState><code>16</code><name>running</name></previousState></item></instancesSet>", ids[0])));
    let xml = call(
        &mut c,
        "acme",
        &format!(
            "Action=TerminateInstances&InstanceId.1={}&InstanceId.2={}",
            ids[0], ids[1]
        ),
    )
    .unwrap();
    assert_eq!(
        texts(&xml, "name"),
        ["terminated", "stopped", "terminated", "running"]
    );
    let xml = call(&mut c, "acme", "Action=DescribeInstances&Filter.1.Name=instance-state-name&Filter.1.Value.1=terminated&Filter.2.Name=tag:Name&Filter.2.Value.1=w*").unwrap();
    assert_eq!(texts(&xml, "instanceId"), ids);
    assert!(xml.contains("<stateReason><code>Client.UserInitiatedShutdown</code>"));
}

#[test]
fn errors_carry_ec2s_codes() {
    let mut c = cloud();
    let ami = image(&mut c, "debian-12");
    assert_eq!(
        code(&mut c, "acme", "Action=RebootInstances"),
        "InvalidAction"
    );
    assert_eq!(
        code(&mut c, "acme", "Action=RunInstances&MinCount=1&MaxCount=1"),
        "MissingParameter"
    );
    assert_eq!(
        code(
            &mut c,
            "acme",
            &format!("Action=RunInstances&ImageId={ami}&MinCount=1")
        ),
        "MissingParameter"
    );
    assert_eq!(
        code(
            &mut c,
            "acme",
            &format!("Action=RunInstances&ImageId={ami}&MinCount=0&MaxCount=1")
        ),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            &mut c,
            "acme",
            "Action=RunInstances&ImageId=ami-zz&MinCount=1&MaxCount=1"
        ),
        "InvalidAMIID.Malformed"
    );
    assert_eq!(
        code(
            &mut c,
            "acme",
            "Action=RunInstances&ImageId=ami-00000000000000000&MinCount=1&MaxCount=1"
        ),
        "InvalidAMIID.NotFound"
    );
    assert_eq!(
        code(
            &mut c,
            "acme",
            "Action=DescribeInstances&InstanceId.1=i-xyz"
        ),
        "InvalidInstanceID.Malformed"
    );
    assert_eq!(
        code(
            &mut c,
            "acme",
            "Action=DescribeInstances&InstanceId.1=i-00000000000000000"
        ),
        "InvalidInstanceID.NotFound"
    );
    assert_eq!(
        code(&mut c, "acme", "Action=DescribeInstances&MaxResults=2"),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(&mut c, "acme", "Action=DescribeInstances&NextToken=bogus"),
        "InvalidPaginationToken"
    );
    assert_eq!(
        code(&mut c, "acme", "Action=TerminateInstances"),
        "MissingParameter"
    );
    assert_eq!(
        code(
            &mut c,
            "acme",
            "Action=CreateTags&ResourceId.1=vol-1234abcd&Tag.1.Key=a"
        ),
        "InvalidID"
    );
    assert_eq!(
        code(
            &mut c,
            "acme",
            "Action=DescribeInstanceTypes&InstanceType.1=nano"
        ),
        "InvalidInstanceType"
    );

    // A type no host can hold: placement rejects it, nothing is launched.
    let huge = image(&mut c, "huge");
    assert_eq!(
        code(
            &mut c,
            "acme",
            &format!("Action=RunInstances&ImageId={huge}&InstanceType=huge&MinCount=1&MaxCount=1")
        ),
        "InsufficientInstanceCapacity"
    );
    let xml = call(&mut c, "acme", "Action=DescribeInstances").unwrap();
    assert!(texts(&xml, "instanceId").is_empty());

    // Pending instances cannot be stopped; quotas count what is held.
    let xml = call(
        &mut c,
        "acme",
        &format!("Action=RunInstances&ImageId={ami}&MinCount=1&MaxCount=5"),
    )
    .unwrap();
    let ids = texts(&xml, "instanceId");
    assert_eq!(ids.len(), 3);
    assert_eq!(
        code(
            &mut c,
            "acme",
            &format!("Action=StopInstances&InstanceId.1={}", ids[0])
        ),
        "IncorrectInstanceState"
    );
    assert_eq!(
        code(
            &mut c,
            "acme",
            &format!("Action=RunInstances&ImageId={ami}&MinCount=1&MaxCount=1")
        ),
        "InstanceLimitExceeded"
    );
    // Another organisation neither sees nor touches them.
    assert_eq!(
        code(
            &mut c,
            "default",
            &format!("Action=TerminateInstances&InstanceId.1={}", ids[0])
        ),
        "InvalidInstanceID.NotFound"
    );
    assert!(call(
        &mut c,
        "default",
        &format!("Action=RunInstances&ImageId={ami}&MinCount=1&MaxCount=1")
    )
    .is_ok());
}

#[test]
fn catalogue_shapes_match_botocores_names() {
    let mut c = cloud();
    let xml = call(
        &mut c,
        "acme",
        "Action=DescribeInstanceTypes&Filter.1.Name=vcpu-info.default-vcpus&Filter.1.Value.1=2",
    )
    .unwrap();
    assert!(xml.contains("<instanceTypeSet><item><instanceType>small</instanceType>"));
    assert!(xml.contains("<vCpuInfo><defaultVCpus>2</defaultVCpus>"));
    assert!(xml.contains("<memoryInfo><sizeInMiB>4096</sizeInMiB></memoryInfo>"));
    assert!(xml.contains("<supportedArchitectures><item>x86_64</item></supportedArchitectures><sustainedClockSpeedInGhz>2.5</sustainedClockSpeedInGhz>"));
    assert_eq!(texts(&xml, "instanceType"), ["small"]);
    let xml = call(&mut c, "acme", "Action=DescribeImages").unwrap();
    assert_eq!(texts(&xml, "name"), ["debian-12", "huge"]);
    assert!(xml.contains("<imagesSet><item><imageId>ami-"));
    assert!(xml.contains("<imageState>available</imageState>"));
    let xml = call(&mut c, "acme", "Action=DescribeImages&Owner.1=self").unwrap();
    assert!(texts(&xml, "imageId").is_empty());
}

#[test]
fn the_same_requests_give_the_same_ids_and_tags_page() {
    let run = |c: &mut Cloud| {
        let ami = image(c, "debian-12");
        let xml = call(
            c,
            "default",
            &format!("Action=RunInstances&ImageId={ami}&MinCount=7&MaxCount=7&ClientToken=tok"),
        )
        .unwrap();
        let again = call(
            c,
            "default",
            &format!("Action=RunInstances&ImageId={ami}&MinCount=7&MaxCount=7&ClientToken=tok"),
        )
        .unwrap();
        assert_eq!(
            texts(&xml, "instanceId"),
            texts(&again, "instanceId"),
            "a client token launches once"
        );
        texts(&xml, "instanceId")
    };
    let (mut a, mut b) = (cloud(), cloud());
    let ids = run(&mut a);
    assert_eq!(ids, run(&mut b));
    let resources: String = ids
        .iter()
        .enumerate()
        .map(|(k, id)| format!("&ResourceId.{}={id}", k + 1))
        .collect();
    call(
        &mut a,
        "default",
        &format!("Action=CreateTags{resources}&Tag.1.Key=env&Tag.1.Value=test"),
    )
    .unwrap();
    let first = call(&mut a, "default", "Action=DescribeTags&MaxResults=5").unwrap();
    assert_eq!(texts(&first, "resourceId").len(), 5);
    let token = texts(&first, "nextToken").pop().unwrap();
    let rest = call(
        &mut a,
        "default",
        &format!("Action=DescribeTags&MaxResults=5&NextToken={token}"),
    )
    .unwrap();
    assert!(texts(&rest, "nextToken").is_empty());
    let mut all = texts(&first, "resourceId");
    all.extend(texts(&rest, "resourceId"));
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(all, sorted);
    call(
        &mut a,
        "default",
        &format!(
            "Action=DeleteTags&ResourceId.1={}&Tag.1.Key=env&Tag.1.Value=other",
            ids[0]
        ),
    )
    .unwrap();
    call(
        &mut a,
        "default",
        &format!("Action=DeleteTags&ResourceId.1={}&Tag.1.Key=env", ids[1]),
    )
    .unwrap();
    let left = call(&mut a, "default", "Action=DescribeTags").unwrap();
    assert_eq!(texts(&left, "resourceId").len(), 6);
}
