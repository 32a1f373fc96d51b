//! EC2-style errors: a code from EC2's catalogue, a message and the HTTP status EC2 answers
//! with, rendered as EC2's `<Response><Errors>…` document.

use crate::xml::escape;

/// One refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// EC2's error code (`InvalidInstanceID.NotFound`, `SignatureDoesNotMatch`, …).
    pub code: &'static str,
    /// What went wrong, for the caller.
    pub message: String,
    /// The HTTP status.
    pub status: u16,
}

impl ApiError {
    /// An error with `code`, `message` and the status EC2 gives the code.
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        let status = match code {
            "AuthFailure" | "MissingAuthenticationToken" => 401,
            "SignatureDoesNotMatch" | "UnauthorizedOperation" | "OptInRequired" => 403,
            "DryRunOperation" => 412,
            "InternalError" => 500,
            "Unavailable" => 503,
            _ => 400,
        };
        ApiError {
            code,
            message: message.into(),
            status,
        }
    }

    /// `MissingParameter`: a required parameter is absent.
    pub fn missing(name: &str) -> ApiError {
        ApiError::new(
            "MissingParameter",
            format!("The request must contain the parameter {name}"),
        )
    }

    /// `InvalidParameterValue` for parameter `name`.
    pub fn invalid(name: &str, value: &str, why: &str) -> ApiError {
        ApiError::new(
            "InvalidParameterValue",
            format!("Value ({value}) for parameter {name} is invalid. {why}"),
        )
    }

    /// The error document, with request id `request_id`.
    pub fn to_xml(&self, request_id: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>",
            self.code,
            escape(&self.message),
            escape(request_id)
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_ec2() {
        assert_eq!(ApiError::new("AuthFailure", "x").status, 401);
        assert_eq!(ApiError::new("SignatureDoesNotMatch", "x").status, 403);
        assert_eq!(ApiError::new("InvalidInstanceID.NotFound", "x").status, 400);
        assert_eq!(ApiError::missing("ImageId").status, 400);
    }

    #[test]
    fn the_document_is_ec2s_error_response() {
        let xml = ApiError::invalid("MaxCount", "<0>", "Must be at least 1.").to_xml("req-1");
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>Value (&lt;0&gt;) for parameter MaxCount is invalid. Must be at least 1.</Message></Error></Errors><RequestID>req-1</RequestID></Response>"
        );
    }
}
