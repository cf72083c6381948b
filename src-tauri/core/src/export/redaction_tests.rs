//! `Debug` of every export type that holds a secret prints it as `<redacted>`: a rendered
//! environment file, a planned credentials-file edit, and a refused existing section.

use std::path::Path;

use secrecy::SecretString;

use super::ini::{self, FileKind};
use super::profile::{self, ProfileFiles, ProfileOptions, Source};
use super::secret::REDACTED;
use super::*;
use crate::arn::Partition;
use crate::template::Mode;

const NEW: &str = "NewSecretValue0123456789abcdefghijkl";
const OLD: &str = "OldSecretValue0123456789abcdefghijkl";
const TOKEN: &str = "SessionTokenValue0123456789abcdefgh";

fn bundle() -> Bundle {
    Bundle {
        run_id: "rg-0123456789ab".into(),
        template_id: "t".into(),
        mode: Mode::Key,
        account: "111122223333".into(),
        partition: Partition::Aws,
        region: "eu-west-1".into(),
        user: Some("launch".into()),
        access_key_id: Some("AKIAEXAMPLE".into()),
        roles: vec![],
        service_account_roles: vec![],
        platform_external_ids: vec![],
    }
}

fn files(dir: &Path) -> ProfileFiles {
    ProfileFiles { config: dir.join("config"), credentials: dir.join("credentials") }
}

fn assert_redacted(debug: &str) {
    for s in [NEW, OLD, TOKEN] {
        assert!(!debug.contains(s), "{debug}");
    }
    assert!(debug.contains(REDACTED), "{debug}");
}

#[test]
fn rendered_debug_hides_the_text() {
    let creds = ExportCredentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret: Some(SecretString::from(NEW.to_string())),
        session_token: Some(SecretString::from(TOKEN.to_string())),
        expiration: None,
        reveal: true,
    };
    for format in [Format::Sh, Format::Fish, Format::Powershell, Format::Dotenv] {
        let r = env(format, &bundle(), &creds);
        assert!(r.holds_secret && r.text.contains(NEW) && r.text.contains(TOKEN), "the text itself is whole");
        let d = format!("{r:?} {r:#?}");
        assert_redacted(&d);
        assert!(d.contains("holds_secret: true"), "{d}");
    }
}

#[test]
fn file_edit_debug_hides_both_texts() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    std::fs::write(&f.credentials, format!("[old]\naws_access_key_id = AKIAOLD\naws_secret_access_key = {OLD}\n")).unwrap();
    let opts = ProfileOptions { name: "acme".into(), source: Source::PlainKeys, force: false };
    let edit = profile::plan(&bundle(), &opts, &f, Some(&SecretString::from(NEW.to_string()))).unwrap();
    let file = edit.files.iter().find(|e| e.holds_secret).expect("the credentials file is edited");
    assert!(file.changed());
    assert_redacted(&format!("{file:?} {edit:?} {edit:#?}"));
}

#[test]
fn section_exists_debug_names_the_settings_not_their_values() {
    let text = format!("[acme]\naws_access_key_id = AKIAOLD\naws_secret_access_key = {OLD}\n");
    let header = ini::header_for(FileKind::Credentials, "acme");
    let entries = vec![("aws_secret_access_key".to_string(), NEW.to_string())];
    let e = ini::upsert(&text, &header, &entries, None, false).unwrap_err();
    assert_eq!(e.existing[1].1, OLD, "the settings themselves are kept");
    let d = format!("{e:?} {e:#?} {e}");
    assert_redacted(&d);
    assert!(d.contains("aws_secret_access_key"), "{d}");
    // The error that carries it, as a profile export reports it.
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path());
    std::fs::write(&f.credentials, &text).unwrap();
    let opts = ProfileOptions { name: "acme".into(), source: Source::PlainKeys, force: false };
    let err = profile::plan(&bundle(), &opts, &f, Some(&SecretString::from(NEW.to_string()))).unwrap_err();
    assert_redacted(&format!("{err:?}"));
}
