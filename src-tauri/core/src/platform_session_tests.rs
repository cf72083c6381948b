//! Signing in to the platform against an in-memory Seqera and vault: what is kept where,
//! what each refusal becomes, and that the token is in none of it.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::platform::{NewCredential, PlatformCredential, PlatformValidation};
use crate::testing::MemoryVault;

const TOKEN: &str = "eyJ0b2tlbi1zZWNyZXQtdmFsdWU";

/// A platform that knows one token, or fails every call with `fail`.
struct FakeSeqera {
    fail: Option<PlatformErrorKind>,
    connects: Mutex<Vec<String>>,
}

struct FakeApi {
    url: String,
    token: SecretString,
    fail: Option<PlatformErrorKind>,
}

impl SeqeraConnect for FakeSeqera {
    fn connect(&self, url: &str, token: SecretString) -> Result<Arc<dyn SeqeraApi>, PlatformError> {
        self.connects.lock().unwrap().push(url.to_string());
        Ok(Arc::new(FakeApi { url: url.into(), token, fail: self.fail }))
    }
}

impl FakeApi {
    fn gate(&self, op: &str) -> Result<(), PlatformError> {
        if let Some(kind) = self.fail {
            return Err(PlatformError::new(kind, op, None, "the fake platform says no"));
        }
        if self.token.expose_secret() != TOKEN {
            return Err(PlatformError::new(PlatformErrorKind::Unauthorized, op, Some(401), "the token was refused"));
        }
        Ok(())
    }
}

#[async_trait]
impl SeqeraApi for FakeApi {
    fn url(&self) -> &str {
        &self.url
    }
    async fn user(&self) -> Result<PlatformUser, PlatformError> {
        self.gate("GET /user-info")?;
        Ok(PlatformUser { id: 7, user_name: "ada".into(), email: Some("ada@example.org".into()) })
    }
    async fn workspaces(&self, user_id: i64) -> Result<Vec<Workspace>, PlatformError> {
        self.gate("GET /user/{userId}/workspaces")?;
        assert_eq!(user_id, 7);
        Ok(vec![Workspace {
            org_id: 1,
            org_name: "acme".into(),
            workspace_id: 42,
            workspace_name: "genomics".into(),
            full_name: Some("acme/genomics".into()),
        }])
    }
    async fn check_name(&self, _: i64, _: &str) -> Result<(), PlatformError> {
        unreachable!()
    }
    async fn create_credential(&self, _: i64, _: &NewCredential) -> Result<String, PlatformError> {
        unreachable!()
    }
    async fn credential(&self, _: i64, _: &str) -> Result<PlatformCredential, PlatformError> {
        unreachable!()
    }
    async fn validate_credential(&self, _: i64, _: &str) -> Result<PlatformValidation, PlatformError> {
        unreachable!()
    }
    async fn delete_credential(&self, _: i64, _: &str) -> Result<(), PlatformError> {
        unreachable!()
    }
}

struct Rig {
    session: PlatformSession,
    vault: Arc<MemoryVault>,
    platform: Arc<FakeSeqera>,
    dir: tempfile::TempDir,
}

fn rig(fail: Option<PlatformErrorKind>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(MemoryVault::default());
    let platform = Arc::new(FakeSeqera { fail, connects: Mutex::new(vec![]) });
    let session = PlatformSession::new(platform.clone(), vault.clone(), Home::at(dir.path().join("home")));
    Rig { session, vault, platform, dir }
}

/// Every file under `dir`, as text.
fn files_text(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.push_str(&files_text(&p));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn all_words(e: &RunError) -> String {
    format!("{e} {e:?} {:?} {:?} {}", e.hint(Frontend::Cli), e.hint(Frontend::App), serde_json::to_string(&e.report()).unwrap())
}

#[tokio::test]
async fn a_token_the_platform_accepts_is_kept_in_the_keychain_only_and_the_url_is_remembered() {
    let r = rig(None);
    let signed = r.session.sign_in("https://seqera.example.com/api/", SecretString::from(format!("  {TOKEN}\n"))).await.unwrap();
    assert_eq!(signed.url, "https://seqera.example.com/api");
    assert_eq!(signed.user.user_name, "ada");
    assert_eq!(signed.entry, "seqera-token/https://seqera.example.com/api");
    assert_eq!(r.vault.entries(), vec![signed.entry.clone()]);
    let kept = r.vault.get(&signed.entry).await.unwrap().unwrap();
    assert_eq!(kept.expose_secret(), TOKEN, "the token is kept without the blanks around it");

    let file = r.dir.path().join("home/seqera.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(!files_text(r.dir.path()).contains(TOKEN), "no file of the home holds the token");
    assert!(!format!("{signed:?}").contains(TOKEN));
    assert_eq!(r.session.current().unwrap(), Some(signed.clone()));

    let (who, list) = r.session.workspaces().await.unwrap();
    assert_eq!(who.user.id, 7);
    assert_eq!(list.iter().map(|w| (w.path(), w.workspace_id)).collect::<Vec<_>>(), [("acme/genomics".to_string(), 42)]);

    let out = r.session.sign_out().await.unwrap();
    assert_eq!(out, SignedOut { url: Some(signed.url.clone()), removed: true });
    assert!(r.vault.entries().is_empty());
    assert!(!file.exists());
    let e = r.session.workspaces().await.unwrap_err();
    assert_eq!((e.code(), e.exit_code()), ("platform-not-signed-in", 2), "{e}");
    assert!(e.hint(Frontend::Cli).unwrap().contains("rolegate seqera login"));
    assert_eq!(r.session.sign_out().await.unwrap(), SignedOut { url: None, removed: false });
}

#[tokio::test]
async fn a_refused_token_is_its_own_error_and_nothing_is_kept() {
    let r = rig(None);
    let e = r.session.sign_in("https://api.cloud.seqera.io", SecretString::from("wrong-token-value-123".to_string())).await.unwrap_err();
    assert!(matches!(e, RunError::PlatformTokenRefused { .. }), "{e:?}");
    assert_eq!((e.code(), e.exit_code()), ("platform-token-refused", 4));
    assert!(e.to_string().contains("https://api.cloud.seqera.io"), "{e}");
    assert!(!all_words(&e).contains("wrong-token-value-123"), "the token is in no part of the error");
    assert!(r.vault.entries().is_empty(), "a refused token is not kept");
    assert_eq!(r.session.current().unwrap(), None);
    assert!(!files_text(r.dir.path()).contains("wrong-token-value-123"));
}

#[tokio::test]
async fn an_empty_or_broken_token_is_refused_naming_token_before_any_call() {
    let r = rig(None);
    for (token, rule) in [("", "required"), (" \n", "required"), ("abc def", "one-token")] {
        let e = r.session.sign_in("https://api.cloud.seqera.io", SecretString::from(token.to_string())).await.unwrap_err();
        let RunError::Invalid(fields) = &e else { panic!("{e:?}") };
        assert_eq!((fields[0].field.as_str(), fields[0].rule.as_str(), e.exit_code()), ("token", rule, 2));
    }
    assert!(r.platform.connects.lock().unwrap().is_empty(), "the platform was not called");
}

#[tokio::test]
async fn a_bad_url_names_url_and_its_source() {
    let e = resolve_url(Some("http://example.com"), None).unwrap_err();
    let RunError::Invalid(f) = &e else { panic!("{e:?}") };
    assert_eq!((f[0].field.as_str(), e.exit_code()), ("url", 2));
    assert!(f[0].message.contains("https://") && f[0].message.contains("http://example.com"), "{}", f[0].message);
    let RunError::Invalid(f) = resolve_url(None, Some("ftp://x")).unwrap_err() else { panic!() };
    assert!(f[0].message.contains("ROLEGATE_SEQERA_URL"), "{}", f[0].message);
    assert_eq!(resolve_url(None, None).unwrap(), SEQERA_CLOUD_URL);
    assert_eq!(resolve_url(None, Some("")).unwrap(), SEQERA_CLOUD_URL);
    assert_eq!(resolve_url(None, Some("http://127.0.0.1:9/")).unwrap(), "http://127.0.0.1:9");
    assert_eq!(resolve_url(Some("https://a.example"), Some("https://b.example")).unwrap(), "https://a.example");

    let r = rig(None);
    let e = r.session.sign_in("http://example.com", SecretString::from(TOKEN.to_string())).await.unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(r.platform.connects.lock().unwrap().is_empty(), "nothing is sent to an insecure URL");
}

#[tokio::test]
async fn each_platform_failure_at_sign_in_has_its_code_exit_class_and_advice() {
    let cases = [
        (PlatformErrorKind::Network, "platform-unreachable", 4),
        (PlatformErrorKind::Decode, "platform-not-seqera", 2),
        (PlatformErrorKind::NotFound, "platform-not-seqera", 2),
        (PlatformErrorKind::Forbidden, "platform-forbidden", 4),
        (PlatformErrorKind::Server, "platform-failed", 4),
    ];
    for (kind, code, exit) in cases {
        let r = rig(Some(kind));
        let e = r.session.sign_in("https://seqera.example.com", SecretString::from(TOKEN.to_string())).await.unwrap_err();
        assert_eq!((e.code(), e.exit_code()), (code, exit), "{kind:?}: {e}");
        assert!(e.to_string().contains("https://seqera.example.com"), "{e}");
        let (cli, app) = (e.hint(Frontend::Cli).expect("advice"), e.hint(Frontend::App).expect("advice"));
        assert!(!app.contains("--") && !app.contains("rolegate "), "app advice names no flag: {app}");
        assert!(!e.to_string().contains("--"), "the message holds no CLI advice: {e}");
        if kind == PlatformErrorKind::Network || kind == PlatformErrorKind::Decode {
            assert!(cli.contains("--url"), "{cli}");
        }
        assert!(!all_words(&e).contains(TOKEN));
        assert!(r.vault.entries().is_empty());
    }
}

#[test]
fn what_the_adapter_refuses_before_sending_is_bad_input_on_its_field() {
    let e = platform_error(
        "https://x.example",
        PlatformError::new(PlatformErrorKind::BadRequest, "token", None, "the token holds characters a header cannot carry"),
        Call::SignIn,
    );
    let RunError::Invalid(f) = &e else { panic!("{e:?}") };
    assert_eq!((f[0].field.as_str(), e.exit_code()), ("token", 2));
    // The same kind with an answer from the platform is the platform's refusal.
    let e = platform_error(
        "https://x.example",
        PlatformError::new(PlatformErrorKind::BadRequest, "GET /user-info", Some(400), "no"),
        Call::Use,
    );
    assert_eq!((e.code(), e.exit_code()), ("platform-refused", 4));
}

#[tokio::test]
async fn a_home_that_cannot_be_written_leaves_no_token_behind() {
    let r = rig(None);
    std::fs::write(r.dir.path().join("home"), b"a file where the home should be").unwrap();
    let e = r.session.sign_in("https://api.cloud.seqera.io", SecretString::from(TOKEN.to_string())).await.unwrap_err();
    assert_eq!((e.code(), e.exit_code()), ("local", 6), "{e}");
    assert!(r.vault.entries().is_empty(), "the token was taken back out of the keychain");
}

#[tokio::test]
async fn advice_for_a_refused_token_is_in_each_front_ends_words() {
    let e = RunError::PlatformTokenRefused { url: "https://x.example".into(), operation: "GET /user-info".into() };
    let (cli, app) = (e.hint(Frontend::Cli).unwrap(), e.hint(Frontend::App).unwrap());
    assert!(cli.contains("rolegate seqera login --url https://x.example --token-stdin"), "{cli}");
    assert!(!app.contains("--") && !app.contains("rolegate "), "{app}");
    let e = RunError::PlatformNotSignedIn { url: None };
    assert!(!e.hint(Frontend::App).unwrap().contains("--"));
}

#[tokio::test]
async fn signing_in_elsewhere_forgets_the_previous_platforms_token() {
    let r = rig(None);
    r.session.sign_in("https://a.example", SecretString::from(TOKEN.to_string())).await.unwrap();
    let b = r.session.sign_in("https://b.example", SecretString::from(TOKEN.to_string())).await.unwrap();
    assert_eq!(r.vault.entries(), [b.entry]);
    assert_eq!(r.session.current().unwrap().unwrap().url, "https://b.example");
}
