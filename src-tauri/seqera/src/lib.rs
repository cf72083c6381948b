//! Seqera Platform's API over HTTPS (reqwest, rustls): the core's `SeqeraApi` port.
//! The token goes only into an `Authorization: Bearer` header marked sensitive; no
//! request body, header or token is logged; redirects are not followed (an API that
//! redirects is a misconfigured URL, and a redirect must not carry the token on).

mod wire;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};
use reqwest::{Method, StatusCode};
use rolegate_core::platform::{
    normalize_url, NewCredential, PlatformCredential, PlatformError, PlatformErrorKind, PlatformUser, PlatformValidation, SeqeraApi,
    SeqeraConnect, Workspace,
};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How long one call may take: Seqera's validate probes AWS, which takes seconds.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A Seqera Platform at one URL, signed in with one token.
pub struct SeqeraClient {
    base: String,
    token: SecretString,
    http: reqwest::Client,
}

impl std::fmt::Debug for SeqeraClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeqeraClient").field("base", &self.base).field("token", &"<redacted>").finish()
    }
}

impl SeqeraClient {
    /// A client for the API at `url` (checked: HTTPS, or HTTP to loopback only).
    pub fn new(url: &str, token: SecretString) -> Result<SeqeraClient, PlatformError> {
        let base =
            normalize_url(url).map_err(|rule| PlatformError::new(PlatformErrorKind::BadRequest, "url", None, format!("the URL {rule}")))?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("rolegate/", env!("CARGO_PKG_VERSION")))
            .timeout(CALL_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| PlatformError::new(PlatformErrorKind::Network, "client", None, format!("cannot start an HTTPS client: {e}")))?;
        Ok(SeqeraClient { base, token, http })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &(impl Serialize + ?Sized),
        body: Option<serde_json::Value>,
    ) -> Result<Option<T>, PlatformError> {
        let operation = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.token.expose_secret())).map_err(|_| {
            PlatformError::new(PlatformErrorKind::BadRequest, "token", None, "the token holds characters a header cannot carry")
        })?;
        auth.set_sensitive(true);
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(AUTHORIZATION, auth)
            .header(ACCEPT, "application/json")
            .query(query);
        if let Some(body) = body {
            req = req.json(&body);
        }
        tracing::debug!(operation = %operation, "seqera call");
        let resp = req.send().await.map_err(|e| network(&operation, &e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| network(&operation, &e))?;
        if !status.is_success() {
            return Err(refusal(&operation, status, &bytes));
        }
        if bytes.is_empty() || status == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            PlatformError::new(
                PlatformErrorKind::Decode,
                &operation,
                Some(status.as_u16()),
                format!("the answer is not what Seqera's API document says: {e}"),
            )
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &(impl Serialize + ?Sized)) -> Result<T, PlatformError> {
        let op = format!("GET {path}");
        self.call(Method::GET, path, query, None).await?.ok_or_else(|| empty(&op))
    }
}

fn empty(operation: &str) -> PlatformError {
    PlatformError::new(PlatformErrorKind::Decode, operation, None, "the answer was empty")
}

fn missing(operation: &str, what: &str) -> PlatformError {
    PlatformError::new(PlatformErrorKind::Decode, operation, None, format!("the answer has no {what}"))
}

fn network(operation: &str, e: &reqwest::Error) -> PlatformError {
    // Only the cause (DNS, refused, TLS) is told; reqwest's errors never carry a header.
    let what = if e.is_timeout() {
        "no answer in time"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "the connection failed"
    };
    let mut source = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
    source.truncate(300);
    PlatformError::new(
        PlatformErrorKind::Network,
        operation,
        None,
        if source.is_empty() { what.to_string() } else { format!("{what}: {source}") },
    )
}

fn refusal(operation: &str, status: StatusCode, body: &[u8]) -> PlatformError {
    let said = serde_json::from_slice::<wire::ErrorResponse>(body).map(|e| e.message).unwrap_or_else(|_| {
        let mut s = String::from_utf8_lossy(body).trim().to_string();
        s.truncate(300);
        s
    });
    let kind = match status.as_u16() {
        401 => PlatformErrorKind::Unauthorized,
        403 => PlatformErrorKind::Forbidden,
        404 => PlatformErrorKind::NotFound,
        409 => PlatformErrorKind::Conflict,
        s if s >= 500 => PlatformErrorKind::Server,
        // 400, 422, a redirect (never followed) and anything else Seqera does not document.
        _ => PlatformErrorKind::BadRequest,
    };
    let message = match (kind, said.is_empty()) {
        (PlatformErrorKind::Unauthorized, true) => "the token was refused".to_string(),
        (PlatformErrorKind::Forbidden, true) => "the token's user may not do this".to_string(),
        (_, true) if status.is_redirection() => format!("the API answered with a redirect ({status}): check the URL"),
        (_, true) => format!("HTTP {status}"),
        (_, false) => said,
    };
    PlatformError::new(kind, operation, Some(status.as_u16()), message)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkspaceQuery {
    workspace_id: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NameQuery<'a> {
    workspace_id: i64,
    name: &'a str,
}

const NO_QUERY: &[(&str, &str)] = &[];

#[async_trait]
impl SeqeraApi for SeqeraClient {
    fn url(&self) -> &str {
        &self.base
    }

    async fn user(&self) -> Result<PlatformUser, PlatformError> {
        let op = "GET /user-info";
        let r: wire::DescribeUserResponse = self.get("/user-info", NO_QUERY).await?;
        r.user.and_then(wire::UserResponseDto::into_user).ok_or_else(|| missing(op, "user id"))
    }

    async fn workspaces(&self, user_id: i64) -> Result<Vec<Workspace>, PlatformError> {
        let r: wire::ListWorkspacesAndOrgResponse = self.get(&format!("/user/{user_id}/workspaces"), NO_QUERY).await?;
        Ok(r.orgs_and_workspaces.into_iter().filter_map(wire::OrgAndWorkspaceDto::into_workspace).collect())
    }

    async fn check_name(&self, workspace_id: i64, name: &str) -> Result<(), PlatformError> {
        let _: Option<serde_json::Value> = self.call(Method::GET, "/credentials/validate", &NameQuery { workspace_id, name }, None).await?;
        Ok(())
    }

    async fn create_credential(&self, workspace_id: i64, credential: &NewCredential) -> Result<String, PlatformError> {
        let op = "POST /credentials";
        let query = wire::CreateQuery { workspace_id, use_external_id: credential.keys.platform_generates_external_id().then_some(true) };
        let r: Option<wire::CreateCredentialsResponse> =
            self.call(Method::POST, "/credentials", &query, Some(wire::create_request(credential))).await?;
        r.and_then(|r| r.credentials_id).filter(|id| !id.is_empty()).ok_or_else(|| missing(op, "credentialsId"))
    }

    async fn credential(&self, workspace_id: i64, id: &str) -> Result<PlatformCredential, PlatformError> {
        let path = format!("/credentials/{}", encode(id));
        let r: wire::DescribeCredentialsResponse = self.get(&path, &WorkspaceQuery { workspace_id }).await?;
        r.credentials.and_then(wire::CredentialsDto::into_credential).ok_or_else(|| missing("GET /credentials/{id}", "credentials"))
    }

    async fn validate_credential(&self, workspace_id: i64, id: &str) -> Result<PlatformValidation, PlatformError> {
        let path = format!("/credentials/{}/validate", encode(id));
        let r: Option<wire::ValidateCredentialsResponse> = self.call(Method::POST, &path, &WorkspaceQuery { workspace_id }, None).await?;
        let r = r.ok_or_else(|| empty("POST /credentials/{id}/validate"))?;
        let message = r.message.unwrap_or_default();
        Ok(if r.transient_error {
            PlatformValidation::Transient { message }
        } else {
            match r.status.as_deref() {
                Some("AVAILABLE") => PlatformValidation::Available,
                Some("INVALID") => PlatformValidation::Invalid { message },
                other => return Err(missing("POST /credentials/{id}/validate", &format!("known status (got {other:?})"))),
            }
        })
    }

    async fn delete_credential(&self, workspace_id: i64, id: &str) -> Result<(), PlatformError> {
        let path = format!("/credentials/{}", encode(id));
        let _: Option<serde_json::Value> = self.call(Method::DELETE, &path, &WorkspaceQuery { workspace_id }, None).await?;
        Ok(())
    }
}

/// A path segment: credential ids are short alphanumerics, but never trust an id.
fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect::<String>().replace('+', "%20")
}

/// Connects `SeqeraClient`s: what the CLI and the app hand the engine.
#[derive(Debug, Default, Clone)]
pub struct SeqeraHttp;

impl SeqeraConnect for SeqeraHttp {
    fn connect(&self, url: &str, token: SecretString) -> Result<Arc<dyn SeqeraApi>, PlatformError> {
        Ok(Arc::new(SeqeraClient::new(url, token)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_classified_by_status_with_seqeras_own_message() {
        let e = refusal("GET /user-info", StatusCode::UNAUTHORIZED, b"");
        assert_eq!((e.kind, e.message.as_str()), (PlatformErrorKind::Unauthorized, "the token was refused"));
        let e = refusal("POST /credentials", StatusCode::CONFLICT, br#"{"message":"Credentials with name 'x' already exists"}"#);
        assert_eq!(e.kind, PlatformErrorKind::Conflict);
        assert!(e.message.contains("already exists"));
        assert_eq!(refusal("x", StatusCode::BAD_GATEWAY, b"<html>").kind, PlatformErrorKind::Server);
        assert!(refusal("x", StatusCode::FOUND, b"").message.contains("redirect"));
    }

    #[test]
    fn an_insecure_url_is_refused_before_any_call() {
        let e = SeqeraClient::new("http://seqera.example.com", SecretString::from("tok")).unwrap_err();
        assert_eq!(e.kind, PlatformErrorKind::BadRequest);
        assert!(e.message.contains("https"), "{e}");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let c = SeqeraClient::new("https://api.cloud.seqera.io", SecretString::from("eyJtoken-value")).unwrap();
        assert!(!format!("{c:?}").contains("eyJtoken-value"));
    }

    #[test]
    fn ids_cannot_leave_their_path_segment() {
        assert_eq!(encode("abc123"), "abc123");
        assert_eq!(encode("../user-info"), "..%2Fuser-info");
        assert_eq!(encode("a b?c"), "a%20b%3Fc");
    }
}
