//! The Sandbox's Seqera Platform: the test suite's local stand-in of Seqera's API
//! (tests/seqera/rolegate_seqera.py, with `--sandbox`: a made-up user, token and
//! workspace) started beside the Sandbox's emulator, whose AWS it probes. The made-up
//! token is read from the stand-in's pipe and handed to the core's sign-in; it is never
//! logged, shown or written anywhere but the Sandbox's keychain service. It needs
//! python3 with openapi-core (scripts/setup.sh) and Seqera's OpenAPI subset.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

const SCRIPT: &str = "rolegate_seqera.py";
/// The file of Seqera's OpenAPI subset the stand-in checks every call against.
const SUBSET: &str = "seqera-api-credentials.yaml";
/// The environment variables the control tokens reach the stand-in through (never argv).
const CONTROL_ENV: &str = "ROLEGATE_SEQERA_CONTROL_TOKEN";
const EMULATOR_CONTROL_ENV: &str = "ROLEGATE_EMULATOR_CONTROL_TOKEN";

/// A running stand-in; stopped when dropped (and exits by itself with the app, through
/// `--parent-pid`).
pub struct Standin {
    pub url: String,
    /// The made-up user's token, until it is handed to the sign-in.
    pub token: Option<SecretString>,
    child: Child,
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Deserialize)]
struct Made {
    token: String,
}

/// Where the stand-in is: `ROLEGATE_SEQERA_STANDIN`, else the app's bundled resources,
/// else (development builds only) the source tree.
pub fn locate(resource_dir: Option<&Path>) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("ROLEGATE_SEQERA_STANDIN").map(PathBuf::from),
        resource_dir.map(|d| d.join("seqera").join(SCRIPT)),
        cfg!(debug_assertions).then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/seqera").join(SCRIPT)),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// The folder holding Seqera's OpenAPI subset: `ROLEGATE_SEQERA_REFERENCE`, else the
/// bundled resources, else (development builds) `../shared/reference/seqera` beside the
/// repository, as the stand-in itself expects.
pub fn reference(resource_dir: Option<&Path>) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("ROLEGATE_SEQERA_REFERENCE").map(PathBuf::from),
        resource_dir.map(|d| d.join("seqera").join("reference")),
        cfg!(debug_assertions).then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/seqera")),
    ];
    candidates.into_iter().flatten().find(|p| p.join(SUBSET).is_file())
}

fn random_token() -> String {
    use rolegate_core::ports::Entropy;
    let e = rolegate_core::ports::OsEntropy;
    (0..2).map(|_| e.uuid().replace('-', "")).collect()
}

/// Start the stand-in against the emulator at `emulator_url` (whose control routes want
/// `emulator_control`), its log (no secrets, 0600) in `log`, and read its address and the
/// made-up user's token from its pipe.
pub fn start(
    script: &Path,
    reference: Option<&Path>,
    emulator_url: &str,
    emulator_control: &SecretString,
    log: Option<&Path>,
) -> Result<Standin, String> {
    let python = std::env::var("ROLEGATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut cmd = Command::new(&python);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env(CONTROL_ENV, random_token())
        .env(EMULATOR_CONTROL_ENV, emulator_control.expose_secret())
        .arg(script)
        .args(["--host", "127.0.0.1", "--port", "0", "--sandbox", "--emulator", emulator_url])
        .args(["--control-token-env", CONTROL_ENV, "--emulator-control-token-env", EMULATOR_CONTROL_ENV])
        .args(["--parent-pid", &std::process::id().to_string()]);
    if let Some(r) = reference {
        cmd.arg("--reference").arg(r);
    }
    if let Some(l) = log {
        cmd.arg("--log").arg(l);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {python} {}: {e}", script.display()))?;
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut ready = String::new();
    let mut made = zeroize::Zeroizing::new(String::new());
    let read = out.read_line(&mut ready).and_then(|_| out.read_line(&mut made));
    let url = ready.strip_prefix("ROLEGATE_SEQERA_READY ").map(|u| u.trim().to_string());
    let token = made.strip_prefix("ROLEGATE_SEQERA_SANDBOX ").and_then(|j| serde_json::from_str::<Made>(j).ok()).map(|m| m.token);
    match (read, url, token) {
        (Ok(_), Some(url), Some(token)) => {
            // Keep draining both pipes: a full one would stall the server.
            let err = child.stderr.take().expect("piped stderr");
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
            std::thread::spawn(move || std::io::copy(&mut BufReader::new(err), &mut std::io::sink()));
            Ok(Standin { url, token: Some(SecretString::from(token)), child })
        }
        _ => {
            let _ = child.kill();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let _ = child.wait();
            let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("it printed nothing").trim().to_string();
            Err(format!("the Seqera stand-in did not start: {last}. It needs {python} with openapi-core (scripts/setup.sh installs it)"))
        }
    }
}
