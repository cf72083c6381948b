//! Test harness: starts the patched IAM/STS emulator (tests/emulator) once per test
//! binary on a free loopback port, makes a fresh AWS account with an administrator key
//! for each test (accounts isolate tests that run in parallel), and builds engines over
//! the real AWS adapters and the real OS keychain (a private Secret Service: run the
//! suite through tests/with-keyring.sh).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use rolegate_aws::AwsConnect;
use rolegate_core::events::{Event, EventSink};
use rolegate_core::journal::{FileJournalStore, JournalStore};
use rolegate_core::ports::{Connect, CreateRole, Credentials, Iam, OsEntropy, SystemClock};
use rolegate_core::propagation::PollSettings;
use rolegate_core::Engine;
use rolegate_vault::Keychain;
use secrecy::SecretString;
use serde_json::Value;

pub mod boto;
pub mod eks;
pub mod seqera;

/// The running emulator.
pub struct Emulator {
    pub url: String,
    _child: Mutex<Child>,
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf()
}

/// The emulator of this test binary, started on first use.
pub fn emulator() -> &'static Emulator {
    static EMU: OnceLock<Emulator> = OnceLock::new();
    EMU.get_or_init(|| {
        let script = repo_root().join("tests/emulator/rolegate_emulator.py");
        let python = std::env::var("ROLEGATE_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--host", "127.0.0.1", "--port", "0", "--parent-pid", &std::process::id().to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {python} {}: {e}", script.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("emulator output");
        let url = line
            .strip_prefix("ROLEGATE_EMULATOR_READY ")
            .unwrap_or_else(|| panic!("the emulator did not start (is moto[server] 5.2 installed for {python}?); it printed {line:?}"))
            .trim()
            .to_string();
        Emulator { url, _child: Mutex::new(child) }
    })
}

/// An account in the emulator with an administrator's access key.
#[derive(Clone)]
pub struct Account {
    pub id: String,
    pub user_arn: String,
    pub creds: Credentials,
}

pub(crate) fn http_get(url: &str, path: &str) -> (u16, String) {
    let hostport = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(hostport).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {hostport}\r\n\r\n").expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

pub(crate) fn http_post(url: &str, path: &str, body: &str) -> (u16, String) {
    let hostport = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(hostport).expect("connect to the emulator");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    write!(s, "POST {path} HTTP/1.0\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        .expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let status = resp.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// A fresh 12-digit account id, different for every call in this process.
pub fn fresh_account_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id() as u64 % 10_000;
    format!("{:04}{:04}{:04}", 3000 + (pid % 6000), pid, n)
}

impl Emulator {
    /// Make `user` (an administrator unless `policy` says otherwise) with an access key in `account`.
    pub fn bootstrap(&self, account: &str, user: &str, policy: Option<Value>) -> Account {
        let mut body = serde_json::json!({ "account": account, "user": user });
        if let Some(p) = policy {
            body["policy"] = p;
        }
        let (status, text) = http_post(&self.url, "/_rolegate/bootstrap-account", &body.to_string());
        assert_eq!(status, 200, "bootstrap failed: {text}");
        let v: Value = serde_json::from_str(&text).expect("bootstrap json");
        Account {
            id: account.into(),
            user_arn: v["user_arn"].as_str().unwrap().into(),
            creds: Credentials::long_lived(
                v["access_key_id"].as_str().unwrap(),
                SecretString::from(v["secret_access_key"].as_str().unwrap().to_string()),
            ),
        }
    }

    /// Make the next `count` calls of `action` (`CreateRole`, `AssumeRole`) signed by
    /// `access_key_id` answer with the AWS error `code` and `message`.
    pub fn inject_fault(&self, access_key_id: &str, action: &str, code: &str, message: &str, count: u32) {
        self.inject_fault_with_status(access_key_id, action, code, message, 400, count)
    }

    /// [`Emulator::inject_fault`] with the HTTP status of the answer (500 for AWS's
    /// `InternalFailure`, 501 for an operation the endpoint does not implement).
    pub fn inject_fault_with_status(&self, access_key_id: &str, action: &str, code: &str, message: &str, status: u16, count: u32) {
        let body = serde_json::json!({
            "access_key_id": access_key_id, "action": action, "code": code, "message": message, "status": status, "count": count
        });
        let (status, text) = http_post(&self.url, "/_rolegate/faults", &body.to_string());
        assert_eq!(status, 200, "fault injection failed: {text}");
    }

    /// Hold the next call of `action` signed by `signer` (an access key id, or an IAM
    /// user's ARN for any of its keys) for `seconds`: before it runs (if the client goes
    /// away meanwhile the call never runs), or with `after` once it ran, before it answers.
    /// `pending_faults(signer)` drops by one when the call arrives.
    pub fn hold_call(&self, signer: &str, action: &str, seconds: u32, after: bool) {
        let key = if signer.starts_with("arn:") { "user_arn" } else { "access_key_id" };
        let body = serde_json::json!({ key: signer, "action": action, "delay": seconds, "after": after });
        let (status, text) = http_post(&self.url, "/_rolegate/faults", &body.to_string());
        assert_eq!(status, 200, "fault injection failed: {text}");
    }

    /// Like `inject_fault`, for every key of the IAM user `user_arn`.
    pub fn inject_user_fault(&self, user_arn: &str, action: &str, code: &str, message: &str, count: u32) {
        let body = serde_json::json!({ "user_arn": user_arn, "action": action, "code": code, "message": message, "count": count });
        let (status, text) = http_post(&self.url, "/_rolegate/faults", &body.to_string());
        assert_eq!(status, 200, "fault injection failed: {text}");
    }

    /// How many injected faults for `access_key_id` have not fired yet.
    pub fn pending_faults(&self, access_key_id: &str) -> u64 {
        let hostport = self.url.trim_start_matches("http://").trim_end_matches('/');
        let mut s = TcpStream::connect(hostport).expect("connect to the emulator");
        write!(s, "GET /_rolegate/faults?access_key_id={access_key_id} HTTP/1.0\r\nHost: {hostport}\r\n\r\n").expect("write");
        let mut resp = String::new();
        s.read_to_string(&mut resp).expect("read");
        let body = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
        serde_json::from_str::<Value>(body).ok().and_then(|v| v["pending"].as_u64()).expect("pending faults")
    }

    /// Make IAM in `account` take time, as in AWS: a new access key is refused for
    /// `key` seconds, AssumeRole of a new role is denied for `role` seconds, and a new
    /// user is an invalid trust principal for `principal` seconds. Other accounts are
    /// not affected.
    pub fn set_propagation(&self, account: &str, key: f64, role: f64, principal: f64) {
        let body = serde_json::json!({ "account": account, "key": key, "role": role, "principal": principal });
        let (status, text) = http_post(&self.url, "/_rolegate/propagation", &body.to_string());
        assert_eq!(status, 200, "setting propagation delays failed: {text}");
    }

    /// Call ECR's GetAuthorizationToken (a JSON-protocol service) as `creds` with boto3,
    /// a real AWS client: "OK", or the error code and HTTP status it read ("AccessDeniedException 400").
    pub fn ecr_get_authorization_token(&self, creds: &Credentials) -> String {
        let script = "import boto3,sys\n\
            c = boto3.client('ecr', endpoint_url=sys.argv[1], region_name='eu-west-1')\n\
            try:\n    c.get_authorization_token(); print('OK')\n\
            except Exception as e:\n    r = getattr(e, 'response', {})\n    \
            print(r.get('Error', {}).get('Code'), r.get('ResponseMetadata', {}).get('HTTPStatusCode'))\n";
        let python = std::env::var("ROLEGATE_PYTHON").unwrap_or_else(|_| "python3".into());
        let out = Command::new(&python)
            .args(["-c", script, &self.url])
            .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", secrecy::ExposeSecret::expose_secret(&creds.secret_access_key))
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap_or_else(|e| panic!("could not run {python}: {e}"));
        assert!(out.status.success(), "boto3 failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A fresh account with an administrator.
    pub fn admin_account(&self) -> Account {
        self.bootstrap(&fresh_account_id(), "rolegate-admin", None)
    }

    pub fn connect(&self, account: &Account) -> AwsConnect {
        AwsConnect::with_static(&self.url, "eu-west-1", &account.creds)
    }
}

/// Fail with a clear message when no Secret Service is reachable.
pub fn require_secret_service() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!("these tests use a real Secret Service; run them through tests/with-keyring.sh (see README.md)");
    }
}

/// Events recorded by a test engine.
#[derive(Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<Event>>>);

impl Recorder {
    pub fn sink(&self) -> EventSink {
        let r = self.0.clone();
        Arc::new(move |e: &Event| r.lock().unwrap().push(e.clone()))
    }
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }

    /// Each propagation wait reported, as "STEP LAST_CODE", in order.
    pub fn waits(&self) -> Vec<String> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Waiting { step, last_code, .. } => Some(format!("{step} {last_code}")),
                _ => None,
            })
            .collect()
    }
}

/// Everything a scenario needs: an engine over the emulator and the real keychain,
/// with its own journal folder and keychain service.
pub struct Harness {
    pub account: Account,
    pub connect: AwsConnect,
    pub engine: Engine,
    pub home: tempfile::TempDir,
    pub events: Recorder,
    pub keychain_service: String,
}

impl Harness {
    pub fn new() -> Harness {
        let emu = emulator();
        Self::for_account(emu.admin_account())
    }

    pub fn for_account(account: Account) -> Harness {
        require_secret_service();
        let emu = emulator();
        let connect = emu.connect(&account);
        let home = tempfile::tempdir().expect("tempdir");
        let keychain_service = format!("rolegate-test-{}", uuid::Uuid::new_v4().simple());
        let events = Recorder::default();
        let mut engine =
            Self::engine_with(&connect, &keychain_service, events.sink(), Arc::new(FileJournalStore::new(home.path().join("runs"))));
        engine.fleets = Arc::new(rolegate_core::fleet::FleetStore::new(home.path().join("fleets")));
        Harness { account, connect, engine, home, events, keychain_service }
    }

    pub fn engine_with(connect: &AwsConnect, service: &str, events: EventSink, store: Arc<dyn JournalStore>) -> Engine {
        Engine {
            connect: Arc::new(connect.clone()),
            vault: Arc::new(Keychain::with_service(service)),
            store,
            // Made only when a fleet is saved; `for_account` puts it in the harness's home.
            fleets: Arc::new(rolegate_core::fleet::FleetStore::new(
                std::env::temp_dir().join(format!("rolegate-test-fleets-{}", uuid::Uuid::new_v4().simple())),
            )),
            clock: Arc::new(SystemClock),
            entropy: Arc::new(OsEntropy),
            events,
            poll: PollSettings {
                timeout: Duration::from_secs(20),
                first: Duration::from_millis(100),
                interval: Duration::from_millis(200),
                jitter: Duration::from_millis(50),
            },
        }
    }

    pub fn iam(&self) -> Arc<dyn Iam> {
        self.connect.iam()
    }

    /// A role made directly in the account (not by a run) with this trust policy; its ARN.
    pub async fn make_role(&self, name: &str, trust: serde_json::Value) -> String {
        create_role(self.iam().as_ref(), name, &trust).await.unwrap()
    }

    /// Every user, role and customer managed policy in the account except the admin.
    pub async fn inventory(&self) -> Vec<String> {
        inventory(&self.account).await
    }
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

/// An AWS SDK IAM client signed by `account`'s key, for calls the ports do not have.
pub fn sdk_iam(account: &Account) -> aws_sdk_iam::Client {
    let emu = emulator();
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(&emu.url)
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(aws_credential_types::Credentials::new(
            account.creds.access_key_id.clone(),
            secrecy::ExposeSecret::expose_secret(&account.creds.secret_access_key).to_string(),
            None,
            None,
            "test",
        )))
        .build();
    aws_sdk_iam::Client::new(&config)
}

/// CreateRole with this trust policy (path `/`, one hour sessions, no tags), as `iam`; the
/// role's ARN, or IAM's answer (an "Invalid principal" while a new user propagates).
pub async fn create_role(iam: &dyn Iam, name: &str, trust: &serde_json::Value) -> Result<String, rolegate_core::ports::AwsError> {
    let input = CreateRole {
        name: name.into(),
        path: "/".into(),
        trust_policy: trust.to_string(),
        description: String::new(),
        max_session_seconds: 3600,
        tags: vec![],
    };
    iam.create_role(&input).await.map(|r| r.arn)
}

/// What exists in an account, listed through the IAM API.
pub async fn inventory(account: &Account) -> Vec<String> {
    let iam = sdk_iam(account);
    let mut out = Vec::new();
    for u in iam.list_users().send().await.expect("list users").users() {
        if u.user_name() != "rolegate-admin" && !u.user_name().starts_with("bootstrap") {
            out.push(format!("user:{}", u.user_name()));
            for k in iam.list_access_keys().user_name(u.user_name()).send().await.expect("keys").access_key_metadata() {
                out.push(format!("key:{}", k.access_key_id().unwrap_or_default()));
            }
        }
    }
    for r in iam.list_roles().send().await.expect("list roles").roles() {
        out.push(format!("role:{}", r.role_name()));
    }
    let local = iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.expect("list policies");
    for p in local.policies() {
        out.push(format!("policy:{}", p.policy_name().unwrap_or_default()));
    }
    out.sort();
    out
}

/// Every file under `dir`, recursively (for scans of what a run wrote).
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}
