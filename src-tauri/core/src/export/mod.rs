//! Exports: what the receiving side reads, rendered from a run's journal. Every format
//! that can carry a secret shows it masked unless the caller reveals it, and says so in
//! the output. Writing files (profiles, bundles) is the caller's job; the AWS profile
//! merge lives in `ini` and `profile` (their backups in `backup`), the IaC replay in `iac`.

pub mod backup;
pub mod command_line;
pub mod iac;
pub mod ini;
mod kubernetes;
mod platforms;
pub mod profile;
pub mod secret;

pub use kubernetes::kubernetes;
pub use platforms::{credential_name, nextflow, registry, seqera, spacelift, spacelift_assumes, spacelift_phase};

#[cfg(test)]
mod redaction_tests;

use secrecy::{ExposeSecret, SecretString};

use serde::{Deserialize, Serialize};

use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::arn::Partition;
use crate::journal::Journal;
use crate::plan::{PlannedRole, PlannedServiceAccountRole};
use crate::template::Mode;
use crate::validate::FieldError;

/// What stands in for a secret that was not revealed.
pub const MASK: &str = "****************";

/// The formats `rolegate export` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// AWS shared config profiles (written by `profile`, previewed here).
    AwsProfile,
    Sh,
    Fish,
    Powershell,
    Dotenv,
    /// Seqera Platform credential JSON (provider `aws`).
    Seqera,
    /// Seqera Platform container-registry credential JSON for Wave/ECR.
    Registry,
    /// The Nextflow config snippet that turns Wave on.
    Nextflow,
    /// Spacelift-style trust statements and External IDs per stack and phase.
    Spacelift,
    Terraform,
    Cloudformation,
    /// The Kubernetes ServiceAccount of each service-account role (IRSA), annotated with
    /// the role's ARN.
    Kubernetes,
}

impl Format {
    pub const ALL: [Format; 12] = [
        Format::AwsProfile,
        Format::Sh,
        Format::Fish,
        Format::Powershell,
        Format::Dotenv,
        Format::Seqera,
        Format::Registry,
        Format::Nextflow,
        Format::Spacelift,
        Format::Terraform,
        Format::Cloudformation,
        Format::Kubernetes,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Format::AwsProfile => "aws-profile",
            Format::Sh => "sh",
            Format::Fish => "fish",
            Format::Powershell => "powershell",
            Format::Dotenv => "dotenv",
            Format::Seqera => "seqera",
            Format::Registry => "registry",
            Format::Nextflow => "nextflow",
            Format::Spacelift => "spacelift",
            Format::Terraform => "terraform",
            Format::Cloudformation => "cloudformation",
            Format::Kubernetes => "kubernetes",
        }
    }

    /// The formats a run offers: its template's exports as the plan recorded them (a
    /// journal from before that: the built-in template's, else the common set), those
    /// that hand out a key only while it has one.
    pub fn offered_for(j: &Journal) -> Vec<Format> {
        let exports = if !j.plan.exports.is_empty() {
            j.plan.exports.clone()
        } else {
            crate::template::find_builtin(&j.inputs.template_id)
                .map(|t| t.exports)
                .unwrap_or_else(|| ["aws-profile", "env", "seqera"].iter().map(|s| s.to_string()).collect())
        };
        let has_key = j.access_key_id.is_some() && j.status != crate::journal::RunStatus::RolledBack;
        Format::offered(&exports, has_key)
    }

    /// The formats a run offers: the template's `exports` (`env` is the four shell
    /// formats; `ecr-credential` is the registry credential and its Nextflow snippet),
    /// always the IaC replays, and only those that need a long-lived key when the run
    /// made one. Unknown names in a template are skipped.
    pub fn offered(template_exports: &[String], has_key: bool) -> Vec<Format> {
        let mut out = Vec::new();
        for name in template_exports.iter().map(String::as_str).chain(["terraform", "cloudformation"]) {
            let group: Vec<Format> = match name {
                "env" => vec![Format::Sh, Format::Fish, Format::Powershell, Format::Dotenv],
                "ecr-credential" => vec![Format::Registry, Format::Nextflow],
                other => Format::parse("exports", other).into_iter().collect(),
            };
            for f in group {
                let needs_key =
                    matches!(f, Format::AwsProfile | Format::Sh | Format::Fish | Format::Powershell | Format::Dotenv | Format::Registry);
                if !out.contains(&f) && (has_key || !needs_key) {
                    out.push(f);
                }
            }
        }
        out
    }

    pub fn parse(field: &str, s: &str) -> Result<Format, FieldError> {
        Format::ALL.into_iter().find(|f| f.id() == s).ok_or_else(|| {
            FieldError::new(
                field,
                "unknown-format",
                format!("{s:?} is not a format; choose one of {}", Format::ALL.map(|f| f.id()).join(", ")),
            )
        })
    }

    /// Whether the format can carry a secret (and so is masked until revealed).
    pub fn carries_secret(self) -> bool {
        matches!(self, Format::Sh | Format::Fish | Format::Powershell | Format::Dotenv | Format::Seqera | Format::Registry)
    }

    /// A file name to suggest when saving.
    pub fn file_name(self, run_id: &str) -> String {
        let ext = match self {
            Format::AwsProfile => "ini",
            Format::Sh => "sh",
            Format::Fish => "fish",
            Format::Powershell => "ps1",
            Format::Dotenv => "env",
            Format::Seqera | Format::Registry | Format::Spacelift => "json",
            Format::Nextflow => "config",
            Format::Terraform => "tf",
            Format::Cloudformation | Format::Kubernetes => "yaml",
        };
        format!("rolegate-{run_id}-{}.{ext}", self.id())
    }
}

/// What a run hands over, read from its journal. Holds no secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bundle {
    pub run_id: String,
    pub template_id: String,
    pub mode: Mode,
    pub account: String,
    pub partition: Partition,
    pub region: String,
    pub user: Option<String>,
    pub access_key_id: Option<String>,
    pub roles: Vec<PlannedRole>,
    /// The roles of Kubernetes service accounts (IRSA) the run made.
    pub service_account_roles: Vec<PlannedServiceAccountRole>,
    /// Keys of the roles whose External ID came from the platform (given at plan time,
    /// or set with `set-external-id`), not made up by Rolegate.
    pub platform_external_ids: Vec<String>,
}

impl Bundle {
    pub fn from_journal(j: &Journal) -> Bundle {
        Bundle {
            run_id: j.run_id.clone(),
            template_id: j.plan.template_id.clone(),
            mode: j.plan.mode,
            account: j.plan.account.clone(),
            partition: j.plan.partition,
            region: j.plan.region.clone(),
            user: j.plan.user.as_ref().map(|u| u.name.clone()),
            access_key_id: j.access_key_id.clone(),
            roles: j.plan.roles.clone(),
            service_account_roles: j.plan.service_account_roles.clone(),
            platform_external_ids: j
                .plan
                .roles
                .iter()
                .filter(|r| {
                    j.inputs.external_ids.contains_key(&r.key)
                        || j.trust_changes.iter().any(|c| {
                            c.role_key == r.key
                                && c.new_external_id == r.external_id
                                && c.result.as_deref().is_some_and(|x| x != "superseded" && !x.starts_with("failed"))
                        })
                })
                .map(|r| r.key.clone())
                .collect(),
        }
    }

    /// The name exports suggest for profiles and platform credentials.
    pub fn default_name(&self) -> String {
        format!("rolegate-{}", self.template_id)
    }

    /// The role a key+role run's user assumes (the first that trusts the created user).
    pub fn own_role(&self) -> Option<&PlannedRole> {
        self.roles.iter().find(|r| r.trusts_created_user)
    }

    fn dns_suffix(&self) -> &'static str {
        match self.partition {
            Partition::AwsCn => "amazonaws.com.cn",
            _ => "amazonaws.com",
        }
    }

    /// `<account>.dkr.ecr.<region>.amazonaws.com` (`.com.cn` in China).
    pub fn ecr_registry(&self) -> String {
        format!("{}.dkr.ecr.{}.{}", self.account, self.region, self.dns_suffix())
    }
}

/// Credentials as an export sees them: the secret and token are only written out when
/// `reveal` is set; otherwise `MASK` stands in.
pub struct ExportCredentials {
    pub access_key_id: String,
    pub secret: Option<SecretString>,
    pub session_token: Option<SecretString>,
    pub expiration: Option<OffsetDateTime>,
    pub reveal: bool,
}

impl std::fmt::Debug for ExportCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("expiration", &self.expiration)
            .field("reveal", &self.reveal)
            .finish()
    }
}

impl ExportCredentials {
    fn secret(&self) -> &str {
        match (&self.secret, self.reveal) {
            (Some(s), true) => s.expose_secret(),
            _ => MASK,
        }
    }
    fn token(&self) -> Option<&str> {
        self.session_token.as_ref().map(|t| if self.reveal { t.expose_secret() } else { MASK })
    }
    fn expiry_line(&self) -> Option<String> {
        self.expiration.map(|e| {
            format!(
                "temporary credentials; they expire at {}",
                e.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
            )
        })
    }
}

/// The output of one format.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Rendered {
    pub format: Format,
    /// May hold a secret (`holds_secret`): zeroed when dropped.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub text: secret::SecretText,
    /// Whether `text` holds a real secret (revealed); previews never do.
    pub holds_secret: bool,
    pub file_name: String,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("format", &self.format)
            .field("text", &secret::Redacted)
            .field("holds_secret", &self.holds_secret)
            .field("file_name", &self.file_name)
            .finish()
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn fish_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Environment variables for a shell. Long-lived keys also clear any session token left
/// in the environment (a stale token would make every call fail).
pub fn env(format: Format, bundle: &Bundle, creds: &ExportCredentials) -> Rendered {
    // Copies of the secret and token live in zeroizing buffers until the text is made.
    let secret_copy = |s: &str| Zeroizing::new(s.to_string());
    let mut vars: Vec<(&str, Zeroizing<String>)> =
        vec![("AWS_ACCESS_KEY_ID", secret_copy(&creds.access_key_id)), ("AWS_SECRET_ACCESS_KEY", secret_copy(creds.secret()))];
    let token = creds.token().map(secret_copy);
    if let Some(t) = &token {
        vars.push(("AWS_SESSION_TOKEN", t.clone()));
        vars.push(("AWS_SECURITY_TOKEN", t.clone()));
    }
    vars.push(("AWS_REGION", secret_copy(&bundle.region)));
    vars.push(("AWS_DEFAULT_REGION", secret_copy(&bundle.region)));
    let unset: &[&str] = if token.is_none() { &["AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"] } else { &[] };
    let mut header = vec![format!("Rolegate run {} (account {}, template {})", bundle.run_id, bundle.account, bundle.template_id)];
    header.push(creds.expiry_line().unwrap_or_else(|| "long-lived access key; keep this file private".into()));
    if !creds.reveal {
        header.push("secrets are masked in this preview".into());
    }
    // Sized up front so that growing it leaves no copy behind in freed memory.
    let mut out = Zeroizing::new(String::with_capacity(8192));
    for h in &header {
        out.push_str(&format!("# {h}\n"));
    }
    for (k, v) in &vars {
        let v = v.as_str();
        let line = Zeroizing::new(match format {
            Format::Sh => format!("export {k}={}\n", Zeroizing::new(sh_quote(v)).as_str()),
            Format::Fish => format!("set -gx {k} {}\n", Zeroizing::new(fish_quote(v)).as_str()),
            Format::Powershell => format!("$Env:{k} = {}\n", Zeroizing::new(ps_quote(v)).as_str()),
            _ => format!("{k}={v}\n"),
        });
        out.push_str(&line);
    }
    for k in unset {
        out.push_str(&match format {
            Format::Sh => format!("unset {k}\n"),
            Format::Fish => format!("set -e {k}\n"),
            Format::Powershell => format!("Remove-Item Env:{k} -ErrorAction SilentlyContinue\n"),
            _ => String::new(),
        });
    }
    let out = std::mem::take(&mut *out);
    Rendered { format, text: out.into(), holds_secret: creds.reveal && creds.secret.is_some(), file_name: format.file_name(&bundle.run_id) }
}

#[cfg(test)]
mod tests {
    use super::Format;

    /// A run of a template loaded from a file offers that template's formats, not the
    /// built-in set, and a journal written before plans recorded them still offers the
    /// built-in template's.
    #[test]
    fn a_loaded_template_offers_its_own_formats() {
        use crate::journal::Journal;
        use crate::plan::{build, RunInputs};
        use crate::ports::CallerIdentity;
        let mut t = crate::template::find_builtin("spacelift").unwrap();
        t.id = "my-spacelift".into();
        let inputs = RunInputs {
            template_id: t.id.clone(),
            region: "eu-west-1".into(),
            path: "/".into(),
            variables: [("spacelift_account".to_string(), "acme".to_string())].into(),
            ..Default::default()
        };
        let caller =
            CallerIdentity { account: "123456789012".into(), arn: "arn:aws:iam::123456789012:user/admin".into(), user_id: "AIDA".into() };
        let plan = build(&t, &inputs, &caller, "rg-0123456789ab", &crate::testing::FixedEntropy::default()).unwrap();
        let j = Journal::new(plan, inputs, time::OffsetDateTime::UNIX_EPOCH);
        let offered = Format::offered_for(&j);
        assert!(offered.contains(&Format::Spacelift), "{offered:?}");
        assert!(!offered.contains(&Format::Seqera), "{offered:?}");

        // An older journal of the built-in template: its formats come from the template.
        let mut old = j.clone();
        old.plan.exports.clear();
        old.inputs.template_id = "spacelift".into();
        assert_eq!(Format::offered_for(&old), offered);
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn offered_formats_follow_the_template_and_the_key() {
        let ecr = names(&["ecr-credential", "env", "aws-profile", "bogus"]);
        assert_eq!(
            Format::offered(&ecr, true),
            [
                Format::Registry,
                Format::Nextflow,
                Format::Sh,
                Format::Fish,
                Format::Powershell,
                Format::Dotenv,
                Format::AwsProfile,
                Format::Terraform,
                Format::Cloudformation
            ]
        );
        // A role-only run has no key: nothing that hands out a key is offered.
        let role = names(&["seqera", "aws-profile", "env"]);
        assert_eq!(Format::offered(&role, false), [Format::Seqera, Format::Terraform, Format::Cloudformation]);
    }
}
