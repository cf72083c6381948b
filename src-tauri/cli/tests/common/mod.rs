//! The harness the CLI test files share: run the real `rolegate` binary against the
//! emulator with a private home, keychain service and AWS identity.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

use rolegate_tests::{emulator, require_secret_service, Account};
use secrecy::ExposeSecret;
use serde_json::Value;

pub struct Out {
    pub code: i32,
    pub json: Value,
    pub stderr: String,
}

pub struct Cli {
    pub account: Account,
    pub home: tempfile::TempDir,
    pub service: String,
}

impl Cli {
    pub fn new() -> Cli {
        require_secret_service();
        Cli {
            account: emulator().admin_account(),
            home: tempfile::tempdir().unwrap(),
            service: format!("rolegate-clitest-{}", uuid_like()),
        }
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rolegate"));
        self.private_env(&mut c);
        c
    }

    /// A clean environment: this test's HOME, Rolegate home and keychain service, the
    /// session D-Bus (for the keychain), no AWS identity and no instance metadata.
    pub fn private_env(&self, c: &mut Command) {
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("ROLEGATE_HOME", self.home.path().join("data"))
            .env("ROLEGATE_KEYCHAIN_SERVICE", &self.service)
            .env("AWS_REGION", "eu-west-1");
        for var in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "PYTHONPATH", "PYENV_ROOT", "PYENV_VERSION"] {
            if let Ok(v) = std::env::var(var) {
                c.env(var, v);
            }
        }
    }

    /// Run as the account's administrator (environment credentials) with `--json`.
    pub fn run(&self, args: &[&str]) -> Out {
        let mut c = self.command();
        c.env("AWS_ACCESS_KEY_ID", &self.account.creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", self.account.creds.secret_access_key.expose_secret());
        self.finish(c, args, None)
    }

    pub fn finish(&self, mut c: Command, args: &[&str], stdin: Option<&str>) -> Out {
        c.arg("--endpoint-url").arg(&emulator().url).arg("--json").args(args);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("run rolegate");
        if let Some(text) = stdin {
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        } else {
            drop(child.stdin.take());
        }
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let json = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout of {args:?} is not one JSON document ({e}): {stdout}"));
        Out { code: out.status.code().unwrap_or(-1), json, stderr: String::from_utf8_lossy(&out.stderr).into() }
    }
}

pub fn uuid_like() -> String {
    format!("{}-{}", std::process::id(), rolegate_tests::fresh_account_id())
}

/// What a command printed, as text.
pub struct Raw {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Cli {
    /// A command signed as the account's administrator, with the AWS profile files in
    /// this test's own folder.
    pub fn admin_command(&self) -> Command {
        let mut c = self.command();
        c.env("AWS_ACCESS_KEY_ID", &self.account.creds.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", self.account.creds.secret_access_key.expose_secret())
            .env("AWS_CONFIG_FILE", self.home.path().join("aws/config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.home.path().join("aws/credentials"));
        c
    }

    /// Run `rolegate` (text output) with the emulator endpoint.
    pub fn text(&self, args: &[&str]) -> Raw {
        let mut c = self.admin_command();
        c.arg("--endpoint-url").arg(&emulator().url).args(args);
        let out = c.stdin(Stdio::null()).output().expect("run rolegate");
        Raw {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }

    /// Run any program in this test's environment without the administrator's keys
    /// (so a client must use what was exported), talking to the emulator.
    pub fn client(&self, program: &str, args: &[&str], extra_env: &[(&str, String)]) -> Raw {
        let mut c = Command::new(program);
        self.private_env(&mut c);
        c.env("AWS_ENDPOINT_URL", &emulator().url)
            .env("AWS_DEFAULT_REGION", "eu-west-1")
            .env("AWS_CONFIG_FILE", self.home.path().join("aws/config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.home.path().join("aws/credentials"));
        for (k, v) in extra_env {
            c.env(k, v);
        }
        let out = c.args(args).stdin(Stdio::null()).output().expect("run client");
        Raw {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }
}

/// Every file under `dir`, read lossily into one text (for scans for a secret).
pub fn files_text(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for p in rolegate_tests::files_under(dir) {
        if let Ok(bytes) = std::fs::read(&p) {
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    out
}
