//! The desktop app refuses to start, before any window, when the AWS SDK is told to log
//! secret response bodies and `ROLEGATE_LOG` enables trace (exit 2, saying why).

use std::process::{Command, Stdio};

#[test]
fn the_app_refuses_trace_logging_with_the_sdks_sensitive_bodies() {
    let out = Command::new(env!("CARGO_BIN_EXE_rolegate-app"))
        .env("LOG_SENSITIVE_BODIES", "true")
        .env("ROLEGATE_LOG", "trace")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .output()
        .expect("run rolegate-app");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("LOG_SENSITIVE_BODIES=true") && stderr.contains("ROLEGATE_LOG"), "{stderr}");
}
