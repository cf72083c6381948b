//! The AWS shared config profiles of a run. By default no secret touches the disk: the
//! source profile runs `rolegate credential-process`, which reads the secret from the
//! keychain. Plain keys in the credentials file are an explicit choice (mode 0600).
//! Merging keeps every other profile and comment; an existing profile of the same name
//! is refused unless forced; the change is shown (secrets masked) before it is written;
//! a backup of each file is written first (`backup`), then the file atomically.
//!
//! About 380 lines of code; the rest are its tests.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::command_line::{self, Shell};
use super::ini::{self, Change, FileKind, SectionExists};
use super::secret::{Redacted, SecretText};
use super::{Bundle, MASK};
use crate::template::Mode;
use crate::validate::FieldError;

/// Where the AWS CLI and SDKs read profiles: `AWS_CONFIG_FILE` and
/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileFiles {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl ProfileFiles {
    pub fn resolve(home: &Path, config_env: Option<PathBuf>, credentials_env: Option<PathBuf>) -> ProfileFiles {
        ProfileFiles {
            config: config_env.filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| home.join(".aws/config")),
            credentials: credentials_env.filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| home.join(".aws/credentials")),
        }
    }
}

/// The profile names in the AWS config and credentials files (SSO and
/// credential_process profiles included), in file order, each once. `sso-session`
/// and `services` sections are not profiles.
pub fn list_profiles(files: &ProfileFiles) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let config = ini::headers(&read(&files.config)).into_iter().filter_map(|h| {
        if h == "default" {
            Some(h)
        } else {
            h.strip_prefix("profile ").map(|n| n.trim().to_string())
        }
    });
    for name in config.chain(ini::headers(&read(&files.credentials))) {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// A profile as the identity picker shows it: how it signs in, and its region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProfileInfo {
    pub name: String,
    /// `sso`, `credential-process`, `assume-role`, `web-identity`, `keys` or `other`.
    pub kind: String,
    pub region: Option<String>,
}

/// Every profile with how it signs in (never reading a secret value).
pub fn describe_profiles(files: &ProfileFiles) -> Vec<ProfileInfo> {
    let config = std::fs::read_to_string(&files.config).unwrap_or_default();
    let credentials = std::fs::read_to_string(&files.credentials).unwrap_or_default();
    list_profiles(files)
        .into_iter()
        .map(|name| {
            let conf = ini::read_section(&config, &ini::header_for(FileKind::Config, &name)).unwrap_or_default();
            let creds = ini::read_section(&credentials, &name).unwrap_or_default();
            let has = |k: &str| conf.iter().chain(creds.iter()).any(|(key, _)| key == k);
            let kind = if has("sso_session") || has("sso_start_url") {
                "sso"
            } else if has("credential_process") {
                "credential-process"
            } else if has("role_arn") && has("web_identity_token_file") {
                "web-identity"
            } else if has("role_arn") {
                "assume-role"
            } else if has("aws_access_key_id") {
                "keys"
            } else {
                "other"
            };
            let region = conf.iter().find(|(k, _)| k == "region").map(|(_, v)| v.clone());
            ProfileInfo { name, kind: kind.into(), region }
        })
        .collect()
}

/// How the source profile gets the long-lived key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `credential_process = <command>`: the secret stays in the keychain.
    CredentialProcess { command: String },
    /// `aws_access_key_id` / `aws_secret_access_key` in the credentials file (0600).
    PlainKeys,
}

#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// The profile people use (`--profile NAME`); a key+role run adds `NAME-source`.
    pub name: String,
    pub source: Source,
    /// Replace profiles of the same names.
    pub force: bool,
}

/// The command line for `credential_process`: `rolegate credential-process --run RUN_ID`
/// with the Rolegate home (and a non-default keychain service) spelled out, each part
/// quoted for the platform's shell (`command_line::quote`), so that neither `sh -c` nor
/// a shell-style split runs anything else. Naming the run, not the key, keeps the
/// profile working across key rotations.
pub fn credential_process_command(exe: &Path, home: &Path, keychain_service: Option<&str>, run_id: &str) -> Result<String, FieldError> {
    credential_process_command_for(Shell::native(), exe, home, keychain_service, run_id)
}

/// The `credential_process` source for a profile that runs this very program (the CLI
/// or the app, which both answer `credential-process`): `$APPIMAGE` when set, refused
/// in a world-writable folder, quoted for the platform's shell.
pub fn this_program(home: &Path, keychain_service: Option<&str>, run_id: &str) -> Result<Source, crate::RunError> {
    let exe = std::env::current_exe().map_err(|e| crate::RunError::Local {
        action: "find this program's path for credential_process".into(),
        path: PathBuf::new(),
        message: e.to_string(),
    })?;
    let appimage = std::env::var_os("APPIMAGE").map(PathBuf::from);
    let exe = command_line::program(&exe, appimage.as_deref()).map_err(|e| crate::RunError::Invalid(vec![e]))?;
    let command = credential_process_command(&exe, home, keychain_service, run_id).map_err(|e| crate::RunError::Invalid(vec![e]))?;
    Ok(Source::CredentialProcess { command })
}

/// [`credential_process_command`] for the given shell's rules.
pub fn credential_process_command_for(
    shell: Shell,
    exe: &Path,
    home: &Path,
    keychain_service: Option<&str>,
    run_id: &str,
) -> Result<String, FieldError> {
    let q = |s: &str| command_line::quote(s, shell);
    let mut cmd = format!("{} --home {}", q(&exe.to_string_lossy())?, q(&home.to_string_lossy())?);
    if let Some(service) = keychain_service {
        cmd.push_str(&format!(" --keychain-service {}", q(service)?));
    }
    cmd.push_str(&format!(" credential-process --run {}", q(run_id)?));
    Ok(cmd)
}

/// A profile name the AWS config format can hold.
pub fn profile_name(field: &str, name: &str) -> Result<(), FieldError> {
    if name.is_empty() || name.len() > 64 {
        return Err(FieldError::new(field, "length", format!("must be 1 to 64 characters, not {}", name.len())));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "-_.".contains(*c))) {
        return Err(FieldError::new(field, "charset", format!("may hold only letters, digits, '-', '_' and '.', not {c:?}")));
    }
    if name == "default" {
        return Err(FieldError::new(field, "reserved", "Rolegate does not overwrite the default profile; choose a name"));
    }
    Ok(())
}

/// One file's planned change. The whole texts before and after may hold secrets (a
/// credentials file): they are zeroed when dropped and never serialised or printed.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FileEdit {
    pub path: PathBuf,
    /// The sections added or replaced, with what happens to each.
    pub sections: Vec<(String, String)>,
    /// The diff to show: secrets masked.
    pub diff: String,
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    before: Option<SecretText>,
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    after: SecretText,
    pub holds_secret: bool,
}

impl FileEdit {
    pub fn changed(&self) -> bool {
        self.before.as_deref() != Some(&*self.after)
    }
}

impl std::fmt::Debug for FileEdit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileEdit")
            .field("path", &self.path)
            .field("sections", &self.sections)
            .field("diff", &self.diff)
            .field("before", &self.before.as_ref().map(|_| Redacted))
            .field("after", &Redacted)
            .field("holds_secret", &self.holds_secret)
            .finish()
    }
}

/// Everything `write` would do, computed without touching the disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProfileEdit {
    pub profile: String,
    pub source_profile: Option<String>,
    pub files: Vec<FileEdit>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error("profile {profile} in {path}: {source}")]
    Exists { profile: String, path: PathBuf, source: SectionExists },
    #[error("could not {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
}

fn read(path: &Path) -> Result<Option<String>, ProfileError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ProfileError::Io { action: "read", path: path.into(), source }),
    }
}

fn kv(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

struct Section {
    kind: FileKind,
    profile: String,
    entries: Vec<(String, String)>,
    masked: Vec<(String, String)>,
}

/// Compute the profiles of a run and the edits to the two files.
pub fn plan(
    bundle: &Bundle,
    opts: &ProfileOptions,
    files: &ProfileFiles,
    secret: Option<&SecretString>,
) -> Result<ProfileEdit, ProfileError> {
    profile_name("profile", &opts.name).map_err(ProfileError::Invalid)?;
    if bundle.mode == Mode::Role {
        return Err(ProfileError::Invalid(FieldError::new(
            "format",
            "role-only-run",
            "this run made a role that only the platform's principal can assume, so there is no profile to write here; export it with --format seqera or spacelift",
        )));
    }
    let key_id = bundle.access_key_id.clone().ok_or_else(|| {
        ProfileError::Invalid(FieldError::new("run", "no-access-key", "the run has no access key yet; finish it with apply --resume"))
    })?;
    let role = bundle.own_role();
    let source_name = if role.is_some() { format!("{}-source", opts.name) } else { opts.name.clone() };
    let comment = format!("made by Rolegate run {} ({}, account {})", bundle.run_id, bundle.template_id, bundle.account);
    let mut sections = Vec::new();
    if let Some(role) = role {
        let entries = kv(&[
            ("role_arn", role.arn.clone()),
            ("source_profile", source_name.clone()),
            ("external_id", role.external_id.clone()),
            ("role_session_name", bundle.run_id.clone()),
            ("region", bundle.region.clone()),
            ("duration_seconds", role.max_session_seconds.to_string()),
        ]);
        sections.push(Section { kind: FileKind::Config, profile: opts.name.clone(), masked: entries.clone(), entries });
    }
    match &opts.source {
        Source::CredentialProcess { command } => {
            let entries = kv(&[("credential_process", command.clone()), ("region", bundle.region.clone())]);
            sections.push(Section { kind: FileKind::Config, profile: source_name.clone(), masked: entries.clone(), entries });
        }
        Source::PlainKeys => {
            let secret = secret.ok_or_else(|| {
                ProfileError::Invalid(FieldError::new(
                    "secret",
                    "not-in-keychain",
                    format!("the secret of {key_id} is not in the keychain"),
                ))
            })?;
            let entries = kv(&[("region", bundle.region.clone())]);
            sections.push(Section { kind: FileKind::Config, profile: source_name.clone(), masked: entries.clone(), entries });
            sections.push(Section {
                kind: FileKind::Credentials,
                profile: source_name.clone(),
                entries: kv(&[("aws_access_key_id", key_id.clone()), ("aws_secret_access_key", secret.expose_secret().to_string())]),
                masked: kv(&[("aws_access_key_id", key_id.clone()), ("aws_secret_access_key", MASK.to_string())]),
            });
        }
    }
    let mut edits = Vec::new();
    for (kind, path) in [(FileKind::Config, &files.config), (FileKind::Credentials, &files.credentials)] {
        let mine: Vec<&Section> = sections.iter().filter(|s| s.kind == kind).collect();
        if mine.is_empty() {
            continue;
        }
        let before = read(path)?.map(SecretText::from);
        let mut after = zeroize::Zeroizing::new(before.as_deref().unwrap_or_default().to_string());
        let mut shown = zeroize::Zeroizing::new(String::clone(&after));
        let mut done = Vec::new();
        for s in mine {
            let header = ini::header_for(kind, &s.profile);
            let (a, change) = ini::upsert(&after, &header, &s.entries, Some(&comment), opts.force)
                .map_err(|source| ProfileError::Exists { profile: s.profile.clone(), path: path.clone(), source })?;
            // The shown text masks the secret; its "existing" check uses the real one above.
            let (m, _) = ini::upsert(&shown, &header, &s.masked, Some(&comment), true).expect("forced upsert");
            after = zeroize::Zeroizing::new(a);
            shown = zeroize::Zeroizing::new(m);
            let what = match change {
                Change::Added => "added",
                Change::Replaced => "replaced",
                Change::Unchanged => "unchanged",
            };
            done.push((header, what.to_string()));
        }
        let shown_before = before.as_deref().map(mask_secrets).unwrap_or_default();
        edits.push(FileEdit {
            path: path.clone(),
            sections: done,
            diff: ini::diff(&shown_before, &mask_secrets(&shown)),
            before,
            after: std::mem::take(&mut *after).into(),
            holds_secret: kind == FileKind::Credentials,
        });
    }
    Ok(ProfileEdit { profile: opts.name.clone(), source_profile: role.map(|_| source_name), files: edits })
}

/// Mask every `aws_secret_access_key` and `aws_session_token` value (also other
/// profiles'), so a diff shown on screen holds no secret.
fn mask_secrets(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        match line.split_once('=') {
            Some((k, _)) if matches!(k.trim(), "aws_secret_access_key" | "aws_session_token" | "aws_security_token") => {
                out.push_str(&format!("{} = {MASK}\n", k.trim()));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// What `write` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WriteReport {
    pub written: Vec<PathBuf>,
    pub backups: Vec<PathBuf>,
}

/// Write the planned edits: a backup of each existing file first (mode 0600, a name of
/// its own, at most `backup::KEEP` kept), then the new text atomically. The credentials
/// file is always 0600; the config file keeps its mode (0600 when new).
pub fn write(edit: &ProfileEdit, now: time::OffsetDateTime) -> Result<WriteReport, ProfileError> {
    let mut report = WriteReport { written: Vec::new(), backups: Vec::new() };
    for f in edit.files.iter().filter(|f| f.changed()) {
        let io = |action: &'static str| move |source| ProfileError::Io { action, path: f.path.clone(), source };
        if let Some(before) = &f.before {
            report.backups.push(super::backup::back_up(&f.path, before.as_bytes(), now).map_err(io("back up"))?);
        }
        // The config file holds no secret and keeps the mode the person gave it.
        let mode = crate::fs::existing_mode(&f.path).filter(|_| !f.holds_secret);
        crate::fs::write_atomic_with_mode(&f.path, f.after.as_bytes(), mode).map_err(io("write"))?;
        report.written.push(f.path.clone());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arn::Partition;
    use crate::plan::PlannedRole;
    use crate::policy::ExternalIdCondition;

    fn bundle(mode: Mode) -> Bundle {
        let role = PlannedRole {
            key: "main".into(),
            name: "launch".into(),
            arn: "arn:aws:iam::111122223333:role/launch".into(),
            description: String::new(),
            principals: vec!["arn:aws:iam::111122223333:user/launch".into()],
            trusts_created_user: mode == Mode::KeyRole,
            external_id: "ext-1".into(),
            condition: ExternalIdCondition::for_value("ext-1"),
            trust_policy: serde_json::json!({}),
            attach: vec![],
            max_session_seconds: 3600,
            verify_actions: vec![],
        };
        Bundle {
            run_id: "rg-0123456789ab".into(),
            template_id: "t".into(),
            mode,
            account: "111122223333".into(),
            partition: Partition::Aws,
            region: "eu-west-1".into(),
            user: Some("launch".into()),
            access_key_id: Some("AKIAEXAMPLE".into()),
            roles: if mode == Mode::Key { vec![] } else { vec![role] },
            service_account_roles: vec![],
            platform_external_ids: vec![],
        }
    }

    fn files(dir: &Path) -> ProfileFiles {
        ProfileFiles { config: dir.join("config"), credentials: dir.join("credentials") }
    }

    #[test]
    fn key_role_profiles_use_credential_process_and_write_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::write(&f.config, "# mine\n[profile other]\nregion = us-east-1\n").unwrap();
        let opts = ProfileOptions {
            name: "acme".into(),
            source: Source::CredentialProcess {
                command: credential_process_command_for(
                    Shell::Posix,
                    Path::new("/opt/Role Gate/rolegate"),
                    Path::new("/home/u/.rg"),
                    None,
                    "rg-0123456789ab",
                )
                .unwrap(),
            },
            force: false,
        };
        let edit = plan(&bundle(Mode::KeyRole), &opts, &f, None).unwrap();
        assert_eq!(edit.source_profile.as_deref(), Some("acme-source"));
        assert_eq!(edit.files.len(), 1, "only the config file changes");
        let r = write(&edit, time::macros::datetime!(2026-11-22 0:00 UTC)).unwrap();
        assert_eq!(r.backups, [dir.path().join("config.rolegate-backup-20261122T000000.000000Z-000")]);
        let text = std::fs::read_to_string(&f.config).unwrap();
        assert!(text.starts_with("# mine\n[profile other]\nregion = us-east-1\n"), "{text}");
        assert_eq!(
            ini::read_section(&text, "profile acme").unwrap()[0],
            ("role_arn".into(), "arn:aws:iam::111122223333:role/launch".into())
        );
        let src = ini::read_section(&text, "profile acme-source").unwrap();
        assert_eq!(src[0].1, "'/opt/Role Gate/rolegate' --home /home/u/.rg credential-process --run rg-0123456789ab");
        assert!(!f.credentials.exists());
        // A second export under the same name is refused, and nothing is written.
        let e = plan(&bundle(Mode::KeyRole), &ProfileOptions { name: "other".into(), ..opts.clone() }, &f, None).unwrap_err();
        assert!(matches!(e, ProfileError::Exists { .. }), "{e}");
    }

    #[test]
    fn plain_keys_go_to_a_0600_credentials_file_and_the_diff_is_masked() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::write(&f.credentials, "[old]\naws_access_key_id = AKIAOLD\naws_secret_access_key = old-secret-value\n").unwrap();
        let secret = SecretString::from("new-secret-value-123".to_string());
        let opts = ProfileOptions { name: "acme".into(), source: Source::PlainKeys, force: false };
        let edit = plan(&bundle(Mode::Key), &opts, &f, Some(&secret)).unwrap();
        let shown = serde_json::to_string(&edit).unwrap();
        assert!(!shown.contains("new-secret-value") && !shown.contains("old-secret-value"), "{shown}");
        assert!(shown.contains(MASK));
        let r = write(&edit, time::OffsetDateTime::now_utc()).unwrap();
        let text = std::fs::read_to_string(&f.credentials).unwrap();
        assert!(text.contains("aws_secret_access_key = new-secret-value-123") && text.contains("old-secret-value"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&f.credentials).unwrap().permissions().mode() & 0o777, 0o600);
            let backup = &r.backups[0];
            assert_eq!(std::fs::metadata(backup).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn role_only_runs_and_bad_names_are_refused_with_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let opts = ProfileOptions { name: "x".into(), source: Source::CredentialProcess { command: "c".into() }, force: false };
        let e = plan(&bundle(Mode::Role), &opts, &files(dir.path()), None).unwrap_err();
        assert!(matches!(&e, ProfileError::Invalid(f) if f.rule == "role-only-run"), "{e}");
        for bad in ["", "a b", "[x]", "default"] {
            let opts = ProfileOptions { name: bad.into(), ..opts.clone() };
            let e = plan(&bundle(Mode::Key), &opts, &files(dir.path()), None).unwrap_err();
            assert!(matches!(&e, ProfileError::Invalid(f) if f.field == "profile"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn profiles_are_listed_from_both_files_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::write(&f.config, "[default]\n[profile sso-dev]\nsso_session = corp\n[sso-session corp]\n[services s]\n[profile proc]\n")
            .unwrap();
        std::fs::write(&f.credentials, "[default]\n[keys-only]\n").unwrap();
        assert_eq!(list_profiles(&f), ["default", "sso-dev", "proc", "keys-only"]);
    }

    #[test]
    fn profiles_say_how_they_sign_in() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::write(
            &f.config,
            "[default]\nregion = eu-west-2\n[profile sso-dev]\nsso_session = corp\n[profile proc]\ncredential_process = x --run r\n\
             [profile ops]\nrole_arn = arn:aws:iam::111122223333:role/ops\nsource_profile = default\n\
             [profile ci]\nrole_arn = arn:aws:iam::111122223333:role/ci\nweb_identity_token_file = /t\n[profile bare]\n",
        )
        .unwrap();
        std::fs::write(&f.credentials, "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n").unwrap();
        let got: Vec<(String, String, Option<String>)> = describe_profiles(&f).into_iter().map(|p| (p.name, p.kind, p.region)).collect();
        let want = [
            ("default", "keys", Some("eu-west-2")),
            ("sso-dev", "sso", None),
            ("proc", "credential-process", None),
            ("ops", "assume-role", None),
            ("ci", "web-identity", None),
            ("bare", "other", None),
        ];
        let want: Vec<(String, String, Option<String>)> =
            want.iter().map(|(n, k, r)| (n.to_string(), k.to_string(), r.map(String::from))).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn files_follow_the_aws_environment_variables() {
        let home = Path::new("/home/u");
        let f = ProfileFiles::resolve(home, Some("/etc/aws.cfg".into()), None);
        assert_eq!(f.config, Path::new("/etc/aws.cfg"));
        assert_eq!(f.credentials, Path::new("/home/u/.aws/credentials"));
        assert_eq!(ProfileFiles::resolve(home, Some("".into()), None).config, Path::new("/home/u/.aws/config"));
    }
}
