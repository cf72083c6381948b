//! Rolegate's diagnostic log (`ROLEGATE_LOG`, on stderr) and the one AWS SDK switch that
//! would put secrets in it: `LOG_SENSITIVE_BODIES=true` makes the SDK log whole response
//! bodies at trace level, a new secret access key and session tokens included. The CLI
//! and the app refuse to start with both.

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::EnvFilter;

/// The filter for Rolegate's log (tracing-subscriber's `EnvFilter` syntax; off when unset).
pub const LOG_VAR: &str = "ROLEGATE_LOG";
/// The SDK's switch (aws-smithy-runtime reads it, case-insensitively `true`).
pub const SENSITIVE_BODIES_VAR: &str = "LOG_SENSITIVE_BODIES";

/// Why the log cannot start as configured, if it cannot: the SDK is told to log secret
/// bodies and the filter lets trace events through (`max_level` is the filter's most
/// verbose level; `None` means it cannot say, so it may be trace).
pub fn refusal(max_level: Option<LevelFilter>, sensitive_bodies: Option<&str>) -> Option<String> {
    let sensitive = sensitive_bodies.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let traces = max_level.is_none_or(|l| l >= LevelFilter::TRACE);
    (sensitive && traces).then(|| {
        format!(
            "{SENSITIVE_BODIES_VAR}=true makes the AWS SDK log whole response bodies at trace level, new secret access keys \
             and session tokens included, and {LOG_VAR} enables trace; Rolegate does not start with both. Unset \
             {SENSITIVE_BODIES_VAR}, or log at debug at most ({LOG_VAR}=debug)"
        )
    })
}

/// Start the log from the environment. `Err` holds the message to print before exiting
/// with code 2 (bad input): the program must not start.
pub fn init_from_env() -> Result<(), String> {
    // An unset or unreadable filter logs nothing, as before.
    let filter = EnvFilter::try_from_env(LOG_VAR).unwrap_or_else(|_| EnvFilter::new("off"));
    let sensitive = std::env::var(SENSITIVE_BODIES_VAR).ok();
    if let Some(message) = refusal(filter.max_level_hint(), sensitive.as_deref()) {
        return Err(message);
    }
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max(filter: &str) -> Option<LevelFilter> {
        EnvFilter::try_new(filter).unwrap().max_level_hint()
    }

    #[test]
    fn sensitive_bodies_with_any_trace_filter_is_refused() {
        for f in ["trace", "aws_smithy_runtime=trace", "warn,aws_smithy_runtime::client::orchestrator::http=trace", "aws_smithy_runtime"] {
            assert!(refusal(max(f), Some("true")).is_some(), "{f}");
            assert!(refusal(max(f), Some("TRUE")).is_some(), "{f}");
        }
        assert!(refusal(None, Some("true")).is_some(), "a filter that cannot say its level may trace");
        let m = refusal(max("trace"), Some("true")).unwrap();
        assert!(m.contains(SENSITIVE_BODIES_VAR) && m.contains(LOG_VAR), "{m}");
    }

    #[test]
    fn either_alone_or_a_quieter_level_starts() {
        for f in ["debug", "info", "off", "rolegate=debug,aws_smithy_runtime=debug"] {
            assert_eq!(refusal(max(f), Some("true")), None, "{f}");
        }
        assert_eq!(refusal(max("trace"), None), None);
        assert_eq!(refusal(max("trace"), Some("false")), None);
        assert_eq!(refusal(max("trace"), Some("")), None);
    }
}
