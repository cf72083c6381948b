//! The CLI keeps what it holds private, through the real binary: the Rolegate home is
//! 0700 (an open one is tightened, with a note), a secret typed at a terminal is not
//! echoed, `--out` takes a bare file name, and trace logging never carries a secret
//! (it refuses to start with the SDK's switch that would print one).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use rolegate_core::ports::{vault_entry, Vault};
use rolegate_vault::Keychain;
use secrecy::ExposeSecret;

mod common;
use common::Cli;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

fn apply(cli: &Cli, extra_env: &[(&str, &str)]) -> (String, common::Out) {
    let mut c = cli.command();
    c.env("AWS_ACCESS_KEY_ID", &cli.account.creds.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", cli.account.creds.secret_access_key.expose_secret());
    for (k, v) in extra_env {
        c.env(k, v);
    }
    let out = cli.finish(c, &["apply", "-t", "seqera-batch-launch", "--no-verify"], None);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    (out.json["run_id"].as_str().unwrap().to_string(), out)
}

#[test]
fn the_home_is_made_private_and_an_open_one_is_tightened_with_a_note() {
    let cli = Cli::new();
    let home = cli.home.path().join("data");
    let plan = cli.run(&["plan", "-t", "seqera-batch-launch"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.json, plan.stderr);
    assert_eq!(mode(&home), 0o700, "a new home is private");
    assert!(!plan.stderr.contains("now private"), "a home made private is not reported as tightened: {}", plan.stderr);

    for d in ["runs", "rotations", "sandbox"] {
        std::fs::create_dir_all(home.join(d)).unwrap();
        std::fs::set_permissions(home.join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    let again = cli.run(&["plan", "-t", "seqera-batch-launch"]);
    assert_eq!(again.code, 0, "{}\n{}", again.json, again.stderr);
    for dir in [home.clone(), home.join("runs"), home.join("rotations"), home.join("sandbox")] {
        assert_eq!(mode(&dir), 0o700, "{} is tightened", dir.display());
        assert!(
            again.stderr.contains(&format!("{} was open to other users (mode 0755); it is now private", dir.display())),
            "the person is told about {}: {}",
            dir.display(),
            again.stderr
        );
    }
}

#[test]
fn export_out_takes_a_bare_file_name_in_the_current_folder() {
    let cli = Cli::new();
    let (run, _) = apply(&cli, &[]);
    let here = cli.home.path().join("cwd");
    std::fs::create_dir_all(&here).unwrap();
    let mut c = cli.admin_command();
    c.current_dir(&here).arg("--endpoint-url").arg(&rolegate_tests::emulator().url);
    let out = c.args(["export", &run, "-f", "sh", "--out", "key.sh"]).stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(here.join("key.sh")).unwrap();
    assert!(text.contains("export AWS_ACCESS_KEY_ID="), "{text}");
    assert_eq!(mode(&here.join("key.sh")), 0o600);
    let rb = cli.run(&["rollback", &run]);
    assert_eq!(rb.code, 0, "{}", rb.json);
}

#[test]
fn the_sdks_sensitive_body_logging_with_trace_is_refused_before_anything_runs() {
    let cli = Cli::new();
    for level in ["trace", "aws_smithy_runtime=trace", "info,aws_smithy_runtime::client::orchestrator::http=trace"] {
        let mut c = cli.command();
        c.env("LOG_SENSITIVE_BODIES", "true").env("ROLEGATE_LOG", level);
        let out = c.args(["--json", "templates"]).stdin(Stdio::null()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "ROLEGATE_LOG={level}: {stderr}");
        assert!(out.stdout.is_empty(), "nothing runs: {}", String::from_utf8_lossy(&out.stdout));
        assert!(stderr.contains("LOG_SENSITIVE_BODIES") && stderr.contains("ROLEGATE_LOG"), "{stderr}");
    }
    let mut c = cli.command();
    c.env("LOG_SENSITIVE_BODIES", "true").env("ROLEGATE_LOG", "debug");
    let out = c.args(["--json", "templates"]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "debug does not print bodies: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn trace_logging_of_an_apply_holds_no_secret() {
    let cli = Cli::new();
    let (run, out) = apply(&cli, &[("ROLEGATE_LOG", "trace")]);
    assert!(out.stderr.contains("TRACE"), "trace logging is on: {}", &out.stderr[..out.stderr.len().min(2000)]);
    let key = out.json["access_key_id"].as_str().unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let secret = rt.block_on(Keychain::with_service(&cli.service).get(&vault_entry(&key))).unwrap().expect("the run's secret is stored");
    let secret = secret.expose_secret();
    assert!(secret.len() >= 16, "a real secret to look for");
    assert!(!out.stderr.contains(secret), "the new secret access key is in the trace log");
    assert!(!out.stderr.contains(cli.account.creds.secret_access_key.expose_secret()), "the administrator's secret is in the trace log");
    let rb = cli.run(&["rollback", &run]);
    assert_eq!(rb.code, 0, "{}", rb.json);
}

/// `--secret-stdin` at a terminal: the typed secret is not echoed (python's pty module
/// gives the binary a real terminal; everything the terminal shows is captured).
#[test]
fn a_secret_typed_at_a_terminal_is_not_echoed() {
    let cli = Cli::new();
    let script = r#"
import os, pty, sys, termios, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
seen = b""
def read_for(seconds):
    global seen
    end = time.time() + seconds
    while time.time() < end:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
        if b"secret access key" in seen:
            return True
    return True
read_for(20)
# Type once the program has turned echo off (as a person would, after the prompt);
# a program that never does is typed at after 5 s.
end = time.time() + 5
while time.time() < end and termios.tcgetattr(fd)[3] & termios.ECHO:
    time.sleep(0.05)
os.write(fd, b"TypedSecretValue0123456789abcdef\r")
while read_for(30):
    pass
os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
"#;
    let mut c = Command::new("python3");
    cli.private_env(&mut c);
    let out = c
        .args(["-c", script, env!("CARGO_BIN_EXE_rolegate")])
        .args(["--endpoint-url", &rolegate_tests::emulator().url, "test-connection", "--access-key-id", "AKIAEXAMPLE000000000"])
        .arg("--secret-stdin")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("secret access key"), "the prompt is shown: {shown}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(!shown.contains("TypedSecretValue"), "the typed secret is echoed: {shown}");
    assert!(shown.contains("InvalidClientTokenId"), "the secret was read and used to sign (AWS refuses the made-up key): {shown}");
}
