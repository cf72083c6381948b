//! The JSON Seqera's API exchanges, field for field from its published OpenAPI
//! document (`../shared/reference/seqera/seqera-api-credentials.yaml`): only the fields
//! Rolegate sends or reads. What is sent never carries a `discriminator` (the
//! credential's `provider` selects the keys schema, as Seqera's own CLI sends it), an
//! `externalId` the platform generates, or a read-only field.

use rolegate_core::platform::{CredentialKeys, NewCredential, PlatformCredential, PlatformUser, Workspace};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// `DescribeUserResponse`.
#[derive(Debug, Deserialize)]
pub struct DescribeUserResponse {
    pub user: Option<UserResponseDto>,
}

/// `UserResponseDto`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserResponseDto {
    pub id: Option<i64>,
    pub user_name: Option<String>,
    pub email: Option<String>,
}

impl UserResponseDto {
    pub fn into_user(self) -> Option<PlatformUser> {
        Some(PlatformUser { id: self.id?, user_name: self.user_name.unwrap_or_default(), email: self.email })
    }
}

/// `ListWorkspacesAndOrgResponse`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListWorkspacesAndOrgResponse {
    #[serde(default)]
    pub orgs_and_workspaces: Vec<OrgAndWorkspaceDto>,
}

/// `OrgAndWorkspaceDto`: an organization alone (no workspace id) or one of its workspaces.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgAndWorkspaceDto {
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub workspace_id: Option<i64>,
    pub workspace_name: Option<String>,
    pub workspace_full_name: Option<String>,
}

impl OrgAndWorkspaceDto {
    /// The workspace, or None for an organization entry.
    pub fn into_workspace(self) -> Option<Workspace> {
        Some(Workspace {
            org_id: self.org_id?,
            org_name: self.org_name?,
            workspace_id: self.workspace_id?,
            workspace_name: self.workspace_name?,
            full_name: self.workspace_full_name,
        })
    }
}

/// `CreateCredentialsResponse`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCredentialsResponse {
    pub credentials_id: Option<String>,
}

/// `DescribeCredentialsResponse`.
#[derive(Debug, Deserialize)]
pub struct DescribeCredentialsResponse {
    pub credentials: Option<CredentialsDto>,
}

/// `Credentials` as Seqera answers it (its `keys` without write-only fields).
#[derive(Debug, Deserialize)]
pub struct CredentialsDto {
    pub id: Option<String>,
    pub name: Option<String>,
    pub provider: Option<String>,
    pub keys: Option<KeysDto>,
    pub status: Option<String>,
    pub message: Option<String>,
}

/// The readable part of `AwsSecurityKeys` / `ContainerRegistryKeys`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeysDto {
    pub mode: Option<String>,
    pub access_key: Option<String>,
    pub assume_role_arn: Option<String>,
    pub external_id: Option<String>,
    pub registry: Option<String>,
}

impl CredentialsDto {
    pub fn into_credential(self) -> Option<PlatformCredential> {
        let keys = self.keys;
        let pick = |f: fn(&KeysDto) -> &Option<String>| keys.as_ref().and_then(|k| f(k).clone()).filter(|v| !v.is_empty());
        Some(PlatformCredential {
            id: self.id?,
            name: self.name.unwrap_or_default(),
            provider: self.provider.unwrap_or_default(),
            mode: pick(|k| &k.mode),
            assume_role_arn: pick(|k| &k.assume_role_arn),
            access_key_id: pick(|k| &k.access_key),
            external_id: pick(|k| &k.external_id),
            registry: pick(|k| &k.registry),
            status: self.status,
            message: self.message,
        })
    }
}

/// `ValidateCredentialsResponse`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateCredentialsResponse {
    pub message: Option<String>,
    pub status: Option<String>,
    #[serde(default)]
    pub transient_error: bool,
}

/// `ErrorResponse`.
#[derive(Debug, Deserialize)]
pub struct ErrorResponse {
    pub message: String,
}

/// `CreateCredentialsRequest` for a new credential. Holds the secret in clear only in
/// the returned value, which goes straight into the request body.
pub fn create_request(credential: &NewCredential) -> Value {
    let keys = match &credential.keys {
        CredentialKeys::AwsRole { role_arn } => json!({"mode": "role", "assumeRoleArn": role_arn}),
        CredentialKeys::AwsKeys { access_key_id, secret_access_key, assume_role_arn, .. } => {
            let mut k = json!({"mode": "keys", "accessKey": access_key_id, "secretKey": secret_access_key.expose_secret()});
            if let Some(arn) = assume_role_arn {
                k["assumeRoleArn"] = json!(arn);
            }
            k
        }
        CredentialKeys::ContainerRegistry { registry, user_name, password } => {
            json!({"registry": registry, "userName": user_name, "password": password.expose_secret()})
        }
    };
    let mut c = json!({"name": credential.name, "provider": credential.keys.provider(), "keys": keys});
    if let Some(d) = credential.description.as_deref().filter(|d| !d.is_empty()) {
        c["description"] = json!(d);
    }
    json!({ "credentials": c })
}

/// The `useExternalId` query value of a create (only sent when true).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateQuery {
    pub workspace_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_external_id: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn role_mode_sends_no_external_id_no_discriminator_and_no_read_only_field() {
        let c = NewCredential {
            name: "acme".into(),
            description: None,
            keys: CredentialKeys::AwsRole { role_arn: "arn:aws:iam::123456789012:role/seqera".into() },
        };
        let body = create_request(&c);
        assert_eq!(
            body,
            json!({"credentials": {"name": "acme", "provider": "aws", "keys": {"mode": "role", "assumeRoleArn": "arn:aws:iam::123456789012:role/seqera"}}})
        );
    }

    #[test]
    fn keys_mode_carries_the_secret_only_in_the_body_and_debug_redacts_it() {
        let c = NewCredential {
            name: "acme".into(),
            description: Some("made by Rolegate".into()),
            keys: CredentialKeys::AwsKeys {
                access_key_id: "AKIAEXAMPLE".into(),
                secret_access_key: SecretString::from("very-secret-value"),
                assume_role_arn: Some("arn:aws:iam::123456789012:role/r".into()),
                generate_external_id: true,
            },
        };
        let body = create_request(&c);
        assert_eq!(body["credentials"]["keys"]["secretKey"], "very-secret-value");
        assert_eq!(body["credentials"]["keys"]["assumeRoleArn"], "arn:aws:iam::123456789012:role/r");
        assert!(body["credentials"]["keys"].get("externalId").is_none());
        assert!(body["credentials"]["keys"].get("discriminator").is_none());
        assert!(!format!("{c:?}").contains("very-secret-value"));
    }

    #[test]
    fn an_organization_entry_is_not_a_workspace() {
        let list: ListWorkspacesAndOrgResponse = serde_json::from_value(json!({"orgsAndWorkspaces": [
            {"orgId": 1, "orgName": "acme", "workspaceId": null, "workspaceName": null},
            {"orgId": 1, "orgName": "acme", "workspaceId": 7, "workspaceName": "genomics", "workspaceFullName": "Genomics"}
        ]}))
        .unwrap();
        let ws: Vec<_> = list.orgs_and_workspaces.into_iter().filter_map(OrgAndWorkspaceDto::into_workspace).collect();
        assert_eq!(ws.len(), 1);
        assert_eq!(ws[0].path(), "acme/genomics");
    }
}
