//! Dispatching a request to its action by the `Action` parameter, after checking `Version`
//! and answering `DryRun`.

use crate::auth::Caller;
use crate::cloud::Cloud;
use crate::error::ApiError;
use crate::params::Params;

use super::context::{Ctx, Outcome};
use super::{catalog, instances, tags};

/// The API version served (botocore's `ec2` model).
pub const VERSION: &str = "2016-11-15";

/// The actions served, by name.
pub const ACTIONS: &[&str] = &[
    "RunInstances",
    "DescribeInstances",
    "TerminateInstances",
    "StartInstances",
    "StopInstances",
    "DescribeInstanceTypes",
    "DescribeImages",
    "CreateTags",
    "DescribeTags",
    "DeleteTags",
];

/// Answers one authenticated request: the outcome, or the EC2 error.
pub fn handle(
    cloud: &mut Cloud,
    caller: &Caller,
    params: &Params,
    request_id: &str,
) -> Result<Outcome, ApiError> {
    let action = params.required("Action")?;
    let version = params.required("Version")?;
    if version != VERSION {
        return Err(ApiError::new(
            "InvalidParameterValue",
            format!("Version {version} is not served: this endpoint speaks EC2 {VERSION}"),
        ));
    }
    if !ACTIONS.contains(&action) {
        return Err(ApiError::new(
            "InvalidAction",
            format!("The action {action} is not valid for this web service."),
        ));
    }
    if params.flag("DryRun")? {
        return Err(ApiError::new(
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        ));
    }
    let mut ctx = Ctx {
        cloud,
        caller,
        params,
        request_id,
    };
    match action {
        "RunInstances" => instances::run(&mut ctx),
        "DescribeInstances" => instances::describe(&mut ctx),
        "TerminateInstances" => instances::terminate(&mut ctx),
        "StartInstances" => instances::start(&mut ctx),
        "StopInstances" => instances::stop(&mut ctx),
        "DescribeInstanceTypes" => catalog::instance_types(&mut ctx),
        "DescribeImages" => catalog::images(&mut ctx),
        "CreateTags" => tags::create(&mut ctx),
        "DescribeTags" => tags::describe(&mut ctx),
        "DeleteTags" => tags::delete(&mut ctx),
        _ => unreachable!("every name of ACTIONS is dispatched"),
    }
}
