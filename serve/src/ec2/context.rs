//! What every action is handed and what it returns.

use crate::auth::Caller;
use crate::cloud::Cloud;
use crate::params::Params;

/// One authenticated request being answered.
pub struct Ctx<'a> {
    /// The served cloud.
    pub cloud: &'a mut Cloud,
    /// Who asks.
    pub caller: &'a Caller,
    /// The request's parameters.
    pub params: &'a Params,
    /// The request's id (the response's `requestId`).
    pub request_id: &'a str,
}

/// A successful action: its response document and the resources it touched (for the audit
/// trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The XML response.
    pub xml: String,
    /// Ids of the resources it read or changed.
    pub resources: Vec<String>,
}
