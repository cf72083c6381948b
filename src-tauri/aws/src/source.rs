//! Where a connection's credentials come from, decided as the AWS CLI decides it: a
//! profile the person named signs with that profile's own credentials, whatever the
//! `AWS_*` variables hold; with no profile named the SDK's default chain applies
//! (environment keys first, then `AWS_PROFILE` or `default`, web identity, container,
//! instance metadata). This reads the same variables and files to describe the choice.

use std::borrow::Cow;

use aws_config::profile::{Profile, ProfileSet};
use aws_runtime::env_config::file::EnvConfigFiles as ProfileFiles;
use aws_types::os_shim_internal::{Env, Fs};
use rolegate_core::identity::{IdentitySource, ProfileChoice, ProfileCredentials};

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

async fn profiles(files: ProfileFiles) -> Option<ProfileSet> {
    aws_config::profile::load(&Fs::real(), &Env::real(), &files, None::<Cow<'static, str>>).await.ok()
}

/// What the named (or selected) profile signs in with, in the SDK's order: a `role_arn`
/// chain first, then `credential_source`, web identity, SSO, `aws login`,
/// `credential_process`, static keys.
async fn classify(name: &str) -> ProfileCredentials {
    let Some(all) = profiles(ProfileFiles::default()).await else { return ProfileCredentials::NotFound };
    let Some(p) = all.get_profile(name) else { return ProfileCredentials::NotFound };
    let has = |p: &Profile, k: &str| p.get(k).is_some_and(|v| !v.trim().is_empty());
    if let (Some(role_arn), false) = (p.get("role_arn"), has(p, "web_identity_token_file")) {
        let source = match (p.get("source_profile"), p.get("credential_source")) {
            (Some(s), _) if s == name => "the profile's own keys".to_string(),
            (Some(s), _) => format!("profile {s}"),
            (None, Some(c)) => format!("credential_source {c}"),
            (None, None) => "no source_profile or credential_source (the SDK refuses it)".to_string(),
        };
        return ProfileCredentials::AssumeRole { role_arn: role_arn.to_string(), source };
    }
    if let Some(source) = p.get("credential_source") {
        return ProfileCredentials::CredentialSource { source: source.to_string() };
    }
    if has(p, "web_identity_token_file") {
        return ProfileCredentials::WebIdentity { role_arn: p.get("role_arn").unwrap_or_default().to_string() };
    }
    if has(p, "sso_session") || has(p, "sso_start_url") {
        return ProfileCredentials::Sso;
    }
    if has(p, "login_session") {
        return ProfileCredentials::LoginSession;
    }
    if has(p, "credential_process") {
        return ProfileCredentials::CredentialProcess;
    }
    if has(p, "aws_access_key_id") {
        // The credentials file wins over the config file for the same profile.
        let creds_only = profiles(ProfileFiles::builder().include_default_credentials_file(true).build()).await;
        let in_credentials = creds_only.as_ref().and_then(|s| s.get_profile(name)).is_some_and(|p| has(p, "aws_access_key_id"));
        return if in_credentials { ProfileCredentials::CredentialsFileKeys } else { ProfileCredentials::ConfigFileKeys };
    }
    ProfileCredentials::NoCredentials
}

/// The source of the credentials a connection with these options signs with.
pub(crate) async fn describe(named_profile: Option<&str>) -> IdentitySource {
    if let Some(p) = named_profile {
        return IdentitySource::Profile { profile: p.to_string(), chosen: ProfileChoice::Named, credentials: classify(p).await };
    }
    if let (Some(id), Some(_)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        return IdentitySource::EnvironmentKeys {
            access_key_id: id,
            session_token: var("AWS_SESSION_TOKEN").is_some(),
            unused_aws_profile: var("AWS_PROFILE"),
        };
    }
    let (profile, chosen) = match var("AWS_PROFILE") {
        Some(p) => (p, ProfileChoice::AwsProfileVariable),
        None => ("default".to_string(), ProfileChoice::Default),
    };
    let credentials = classify(&profile).await;
    if chosen == ProfileChoice::AwsProfileVariable
        || !matches!(credentials, ProfileCredentials::NotFound | ProfileCredentials::NoCredentials)
    {
        return IdentitySource::Profile { profile, chosen, credentials };
    }
    if let (Some(_), Some(role_arn)) = (var("AWS_WEB_IDENTITY_TOKEN_FILE"), var("AWS_ROLE_ARN")) {
        return IdentitySource::EnvironmentWebIdentity { role_arn };
    }
    if var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some() || var("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some() {
        return IdentitySource::Container;
    }
    IdentitySource::InstanceMetadata
}

/// What the environment offers when no profile is named (the app's "The environment"):
/// `None` when it holds neither keys nor `AWS_PROFILE`.
pub async fn environment_source() -> Option<IdentitySource> {
    if var("AWS_ACCESS_KEY_ID").is_none() && var("AWS_PROFILE").is_none() {
        return None;
    }
    Some(describe(None).await)
}
