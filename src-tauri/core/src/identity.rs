//! Where the identity doing the work came from ("profile other, keys from the credentials
//! file"), so the person can see a surprise before anything is created. The AWS adapter
//! fills it from what it resolved; the plan, Test connection and the app's identity panel
//! show its words. It names profiles, files and access key ids, never a secret.

use serde::{Deserialize, Serialize};

use crate::validate::FieldError;

/// The source of the credentials the onboarding signs with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum IdentitySource {
    /// A profile of the AWS config files. A profile the person named is used whatever
    /// the `AWS_*` variables hold, as `aws --profile` does.
    Profile { profile: String, chosen: ProfileChoice, credentials: ProfileCredentials },
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` in the environment: the first
    /// source of the default chain when no profile is named. `AWS_PROFILE`, if also set,
    /// is not used (the AWS CLI and boto3 do the same).
    EnvironmentKeys { access_key_id: String, session_token: bool, unused_aws_profile: Option<String> },
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` in the environment.
    EnvironmentWebIdentity { role_arn: String },
    /// The container credentials endpoint (ECS, EKS Pod Identity).
    Container,
    /// The EC2 instance metadata service: nothing else configured an identity.
    InstanceMetadata,
    /// An access key pasted by the person (the app's "Paste an access key", stdin).
    PastedKey { access_key_id: String },
    /// An access key whose secret Rolegate keeps in the OS keychain.
    KeychainKey { access_key_id: String },
    /// The local emulator of the app's Sandbox.
    Sandbox,
    /// Not recorded (a journal written before sources were recorded).
    #[default]
    Unknown,
}

/// How a profile came to be the one in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ProfileChoice {
    /// Named by the person (`--profile`, `--assume-as-profile`, the app's profile list).
    Named,
    /// From `AWS_PROFILE` in the environment (no keys in the environment).
    AwsProfileVariable,
    /// The `default` profile: nothing else was configured.
    Default,
}

/// What a profile signs in with, as the SDK reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ProfileCredentials {
    /// `aws_access_key_id` in the shared credentials file.
    CredentialsFileKeys,
    /// `aws_access_key_id` in the config file.
    ConfigFileKeys,
    /// AWS IAM Identity Center (`sso_session` or `sso_start_url`).
    Sso,
    /// `credential_process`.
    CredentialProcess,
    /// `role_arn` assumed with the credentials of `source_profile` or `credential_source`.
    AssumeRole { role_arn: String, source: String },
    /// `role_arn` with `web_identity_token_file`.
    WebIdentity { role_arn: String },
    /// `login_session` (`aws login`).
    LoginSession,
    /// `credential_source` (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`) alone.
    CredentialSource { source: String },
    /// The profile exists but names no way to sign in.
    NoCredentials,
    /// No such profile in the AWS config files.
    NotFound,
}

impl std::fmt::Display for ProfileCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProfileCredentials::CredentialsFileKeys => write!(f, "keys from the credentials file"),
            ProfileCredentials::ConfigFileKeys => write!(f, "keys from the config file"),
            ProfileCredentials::Sso => write!(f, "AWS IAM Identity Center (SSO)"),
            ProfileCredentials::CredentialProcess => write!(f, "credential_process"),
            ProfileCredentials::AssumeRole { role_arn, source } => write!(f, "role {role_arn} assumed with {source}"),
            ProfileCredentials::WebIdentity { role_arn } => write!(f, "role {role_arn} assumed with a web identity token"),
            ProfileCredentials::LoginSession => write!(f, "an aws login session"),
            ProfileCredentials::CredentialSource { source } => write!(f, "credential_source {source}"),
            ProfileCredentials::NoCredentials => write!(f, "no credentials configured in it"),
            ProfileCredentials::NotFound => write!(f, "not found in the AWS config files"),
        }
    }
}

impl std::fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentitySource::Profile { profile, chosen, credentials } => match chosen {
                ProfileChoice::Named => write!(f, "profile {profile}, {credentials}"),
                ProfileChoice::AwsProfileVariable => write!(f, "profile {profile} (from AWS_PROFILE), {credentials}"),
                ProfileChoice::Default => write!(f, "the default profile, {credentials}"),
            },
            IdentitySource::EnvironmentKeys { access_key_id, session_token, unused_aws_profile } => {
                write!(f, "environment variables AWS_ACCESS_KEY_ID ({access_key_id})")?;
                write!(
                    f,
                    "{}",
                    if *session_token { ", AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN" } else { " and AWS_SECRET_ACCESS_KEY" }
                )?;
                if let Some(p) = unused_aws_profile {
                    write!(f, "; AWS_PROFILE={p} is not used, environment keys come first (name the profile to use it)")?;
                }
                Ok(())
            }
            IdentitySource::EnvironmentWebIdentity { role_arn } => {
                write!(f, "environment variables AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (role {role_arn})")
            }
            IdentitySource::Container => write!(f, "the container credentials endpoint"),
            IdentitySource::InstanceMetadata => write!(f, "the EC2 instance metadata service (nothing else is configured)"),
            IdentitySource::PastedKey { access_key_id } => write!(f, "pasted key {access_key_id}"),
            IdentitySource::KeychainKey { access_key_id } => write!(f, "key {access_key_id}, its secret from the keychain"),
            IdentitySource::Sandbox => write!(f, "Sandbox"),
            IdentitySource::Unknown => write!(f, "not recorded"),
        }
    }
}

impl IdentitySource {
    /// Bad input when a profile the person named cannot sign in at all (not in the AWS
    /// config files, or naming no way to sign in): said before any AWS call, under the
    /// name of the field that named it.
    pub fn check_named(&self, field: &str) -> Result<(), FieldError> {
        let IdentitySource::Profile { profile, chosen: ProfileChoice::Named, credentials } = self else { return Ok(()) };
        match credentials {
            ProfileCredentials::NotFound => Err(FieldError::new(
                field,
                "unknown-profile",
                format!("there is no profile {profile} in the AWS config files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials); name one that exists"),
            )),
            ProfileCredentials::NoCredentials => Err(FieldError::new(
                field,
                "profile-without-credentials",
                format!("profile {profile} names no way to sign in: give it keys, sso_session, credential_process, or role_arn with source_profile"),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_source_reads_as_the_person_would_say_it() {
        let named = IdentitySource::Profile {
            profile: "other".into(),
            chosen: ProfileChoice::Named,
            credentials: ProfileCredentials::CredentialsFileKeys,
        };
        assert_eq!(named.to_string(), "profile other, keys from the credentials file");
        let sso = IdentitySource::Profile { profile: "sso-dev".into(), chosen: ProfileChoice::Named, credentials: ProfileCredentials::Sso };
        assert_eq!(sso.to_string(), "profile sso-dev, AWS IAM Identity Center (SSO)");
        let env = IdentitySource::EnvironmentKeys {
            access_key_id: "AKIAEXAMPLE".into(),
            session_token: false,
            unused_aws_profile: Some("dev".into()),
        };
        assert_eq!(
            env.to_string(),
            "environment variables AWS_ACCESS_KEY_ID (AKIAEXAMPLE) and AWS_SECRET_ACCESS_KEY; AWS_PROFILE=dev is not used, environment keys come first (name the profile to use it)"
        );
        assert_eq!(IdentitySource::PastedKey { access_key_id: "AKIAX".into() }.to_string(), "pasted key AKIAX");
        assert_eq!(IdentitySource::Sandbox.to_string(), "Sandbox");
    }

    #[test]
    fn a_named_profile_that_cannot_sign_in_is_bad_input_naming_the_field() {
        let named = |credentials| IdentitySource::Profile { profile: "nosuch".into(), chosen: ProfileChoice::Named, credentials };
        let e = named(ProfileCredentials::NotFound).check_named("assume_as_profile").unwrap_err();
        assert_eq!((e.field.as_str(), e.rule.as_str()), ("assume_as_profile", "unknown-profile"));
        assert!(e.message.contains("nosuch"), "{}", e.message);
        assert_eq!(named(ProfileCredentials::NoCredentials).check_named("profile").unwrap_err().rule, "profile-without-credentials");
        assert!(named(ProfileCredentials::Sso).check_named("profile").is_ok());
        // AWS_PROFILE is the SDK's business: the default chain goes on to other sources.
        let from_env = IdentitySource::Profile {
            profile: "x".into(),
            chosen: ProfileChoice::AwsProfileVariable,
            credentials: ProfileCredentials::NotFound,
        };
        assert!(from_env.check_named("profile").is_ok());
    }

    #[test]
    fn a_source_round_trips_through_the_journal_and_old_journals_read_as_unknown() {
        let role = IdentitySource::Profile {
            profile: "ops".into(),
            chosen: ProfileChoice::AwsProfileVariable,
            credentials: ProfileCredentials::AssumeRole { role_arn: "arn:aws:iam::1:role/x".into(), source: "profile base".into() },
        };
        let text = serde_json::to_string(&role).unwrap();
        assert_eq!(serde_json::from_str::<IdentitySource>(&text).unwrap(), role);
        #[derive(Deserialize)]
        struct Old {
            #[serde(default)]
            identity: IdentitySource,
        }
        assert_eq!(serde_json::from_str::<Old>("{}").unwrap().identity, IdentitySource::Unknown);
    }
}
