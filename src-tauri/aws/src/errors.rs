//! Mapping SDK errors to the core's `AwsError`: the service's error code decides the
//! kind (the code is the API's contract; the SDK's typed variants are generated from
//! it), and transport failures are told apart from service answers.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use rolegate_core::ports::{AwsError, AwsErrorKind};

/// The kind of an AWS error code.
pub fn classify(code: &str) -> AwsErrorKind {
    match code {
        "NoSuchEntity" | "NoSuchEntityException" | "NotFound" | "ResourceNotFoundException" => AwsErrorKind::NotFound,
        "EntityAlreadyExists" | "EntityAlreadyExistsException" => AwsErrorKind::AlreadyExists,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => AwsErrorKind::AccessDenied,
        "InvalidClientTokenId" | "UnrecognizedClientException" => AwsErrorKind::InvalidClientTokenId,
        "SignatureDoesNotMatch" | "IncompleteSignature" | "InvalidSignatureException" => AwsErrorKind::SignatureDoesNotMatch,
        "MalformedPolicyDocument" | "MalformedPolicyDocumentException" => AwsErrorKind::MalformedPolicy,
        "LimitExceeded" | "LimitExceededException" => AwsErrorKind::LimitExceeded,
        "DeleteConflict" | "DeleteConflictException" => AwsErrorKind::DeleteConflict,
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" => AwsErrorKind::Throttled,
        "NotImplemented" | "UnknownOperationException" | "InvalidAction" => AwsErrorKind::NotImplemented,
        "ValidationError" | "InvalidInput" | "InvalidParameterValue" | "ValidationException" => AwsErrorKind::Validation,
        "ExpiredToken" | "InvalidToken" => AwsErrorKind::InvalidClientTokenId,
        _ => AwsErrorKind::Other,
    }
}

/// The kind of a service answer: its code, and for an answer without a code, its HTTP
/// status. Only 501 (or a code that says the operation is unknown) means "this endpoint
/// does not implement the operation"; a 5xx such as `InternalFailure` is AWS failing,
/// and stays an AWS error.
pub fn classify_answer(code: Option<&str>, status: u16) -> AwsErrorKind {
    match code {
        Some(c) => match classify(c) {
            AwsErrorKind::Other if status == 501 => AwsErrorKind::NotImplemented,
            kind => kind,
        },
        None if status == 501 => AwsErrorKind::NotImplemented,
        None => AwsErrorKind::Other,
    }
}

/// Turn an SDK error into an `AwsError` for `operation`.
pub fn map_err<E>(operation: &str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let status = se.raw().status().as_u16();
            let kind = classify_answer(e.code(), status);
            let code = e.code().map(String::from).unwrap_or_else(|| format!("HTTP{status}"));
            AwsError::new(kind, operation, &code, e.message().unwrap_or("").to_string())
        }
        SdkError::DispatchFailure(d) => {
            let text = source_chain(&err, d.is_io());
            // Identity resolution runs inside dispatch: "no credentials found in chain",
            // "an error occurred while loading credentials" (IMDS on a laptop).
            if !d.is_io() && !d.is_timeout() && mentions_credentials(&text) {
                AwsError::new(AwsErrorKind::NoCredentials, operation, "NoCredentials", text)
            } else {
                AwsError::new(AwsErrorKind::Network, operation, "DispatchFailure", text)
            }
        }
        SdkError::TimeoutError(_) => AwsError::new(AwsErrorKind::Network, operation, "Timeout", source_chain(&err, true)),
        SdkError::ResponseError(_) => AwsError::new(AwsErrorKind::Network, operation, "ResponseError", source_chain(&err, false)),
        _ => {
            let text = source_chain(&err, false);
            let kind = if mentions_credentials(&text) { AwsErrorKind::NoCredentials } else { AwsErrorKind::Other };
            let code = if kind == AwsErrorKind::NoCredentials { "NoCredentials" } else { "ConstructionFailure" };
            AwsError::new(kind, operation, code, text)
        }
    }
}

fn mentions_credentials(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("credentials found") || t.contains("loading credentials") || t.contains("credential provider")
}

fn source_chain(err: &dyn std::error::Error, _io: bool) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    parts.join(": ")
}

/// `NotFound` becomes `Ok(None)` for look-ups.
pub trait Found<T> {
    fn found(self) -> Result<Option<T>, AwsError>;
}

impl<T> Found<T> for Result<T, AwsError> {
    fn found(self) -> Result<Option<T>, AwsError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.kind == AwsErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(classify("NoSuchEntity"), AwsErrorKind::NotFound);
        assert_eq!(classify("ResourceNotFoundException"), AwsErrorKind::NotFound);
        assert_eq!(classify("InvalidSignatureException"), AwsErrorKind::SignatureDoesNotMatch);
        assert_eq!(classify("EntityAlreadyExists"), AwsErrorKind::AlreadyExists);
        assert_eq!(classify("AccessDenied"), AwsErrorKind::AccessDenied);
        assert_eq!(classify("InvalidClientTokenId"), AwsErrorKind::InvalidClientTokenId);
        assert_eq!(classify("MalformedPolicyDocument"), AwsErrorKind::MalformedPolicy);
        assert_eq!(classify("DeleteConflict"), AwsErrorKind::DeleteConflict);
        assert_eq!(classify("Throttling"), AwsErrorKind::Throttled);
        assert_eq!(classify("Whatever"), AwsErrorKind::Other);
    }

    #[test]
    fn only_501_or_an_unknown_operation_is_not_implemented() {
        assert_eq!(classify_answer(Some("NotImplemented"), 501), AwsErrorKind::NotImplemented);
        assert_eq!(classify_answer(None, 501), AwsErrorKind::NotImplemented);
        assert_eq!(classify_answer(Some("InvalidAction"), 400), AwsErrorKind::NotImplemented);
        // AWS failing is an AWS error, whatever the operation.
        assert_eq!(classify_answer(Some("InternalFailure"), 500), AwsErrorKind::Other);
        assert_eq!(classify_answer(None, 500), AwsErrorKind::Other);
        assert_eq!(classify_answer(Some("ServiceUnavailable"), 503), AwsErrorKind::Other);
        assert_eq!(classify_answer(Some("Throttling"), 400), AwsErrorKind::Throttled);
    }

    #[test]
    fn credential_chain_failures_are_told_apart_from_network_failures() {
        assert!(mentions_credentials("dispatch failure: other: the credential provider was not enabled: no credentials found in chain"));
        assert!(mentions_credentials("an error occurred while loading credentials: failed to load IMDS session token"));
        assert!(!mentions_credentials("dispatch failure: io error: Connection refused (os error 111)"));
    }
}
