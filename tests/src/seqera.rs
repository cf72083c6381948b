//! The Seqera Platform stand-in (tests/seqera) for tests: started once per test binary
//! beside the emulator, whose URL it probes on validate; users, tokens and workspaces
//! are made per test through its control routes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use serde_json::{json, Value};

use crate::{emulator, http_get, http_post, repo_root};

/// The running stand-in.
pub struct SeqeraStandIn {
    pub url: String,
    _child: Mutex<Child>,
}

/// A user of the stand-in with its token and workspaces.
pub struct SeqeraUser {
    pub token: String,
    pub user_id: i64,
    /// `(workspace id, "org/workspace")`.
    pub workspaces: Vec<(i64, String)>,
}

/// The stand-in of this test binary, started on first use.
pub fn seqera() -> &'static SeqeraStandIn {
    static STANDIN: OnceLock<SeqeraStandIn> = OnceLock::new();
    STANDIN.get_or_init(|| {
        let emu = emulator();
        let script = repo_root().join("tests/seqera/rolegate_seqera.py");
        let python = std::env::var("ROLEGATE_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--emulator", &emu.url, "--port", "0", "--parent-pid", &std::process::id().to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {python} {}: {e}", script.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("stand-in output");
        let url = line
            .strip_prefix("ROLEGATE_SEQERA_READY ")
            .unwrap_or_else(|| {
                panic!("the Seqera stand-in did not start (is openapi-core installed? scripts/setup.sh); it printed {line:?}")
            })
            .trim()
            .to_string();
        SeqeraStandIn { url, _child: Mutex::new(child) }
    })
}

impl SeqeraStandIn {
    /// A new user with a token and one workspace per `(org, workspace)`.
    pub fn user(&self, workspaces: &[(&str, &str)]) -> SeqeraUser {
        let body = json!({"workspaces": workspaces.iter().map(|(o, w)| json!({"org": o, "workspace": w})).collect::<Vec<_>>()});
        let (status, out) = http_post(&self.url, "/_rolegate/users", &body.to_string());
        assert_eq!(status, 200, "stand-in user set-up: {out}");
        let v: Value = serde_json::from_str(&out).expect("user json");
        SeqeraUser {
            token: v["token"].as_str().expect("token").to_string(),
            user_id: v["userId"].as_i64().expect("userId"),
            workspaces: v["workspaces"]
                .as_array()
                .expect("workspaces")
                .iter()
                .map(|w| (w["workspaceId"].as_i64().unwrap(), w["fullName"].as_str().unwrap().to_string()))
                .collect(),
        }
    }

    /// The credentials the stand-in holds in a workspace (no secrets).
    pub fn credentials_in(&self, workspace_id: i64) -> Vec<Value> {
        let (status, out) = http_get(&self.url, "/_rolegate/state");
        assert_eq!(status, 200, "stand-in state: {out}");
        let v: Value = serde_json::from_str(&out).expect("state json");
        v["credentials"][format!("ws:{workspace_id}")].as_array().cloned().unwrap_or_default()
    }

    /// The token is refused from now on.
    pub fn revoke(&self, token: &str) {
        let (status, out) = http_post(&self.url, "/_rolegate/tokens/revoke", &json!({"token": token}).to_string());
        assert_eq!(status, 200, "revoke: {out}");
    }

    /// The workspace is gone from now on.
    pub fn remove_workspace(&self, workspace_id: i64) {
        let (status, out) = http_post(&self.url, "/_rolegate/workspaces/remove", &json!({"workspaceId": workspace_id}).to_string());
        assert_eq!(status, 200, "remove workspace: {out}");
    }
}
