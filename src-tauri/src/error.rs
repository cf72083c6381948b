//! The error every command returns: the core's `ErrorReport` (the same JSON the CLI's
//! `--json` prints), with advice in the window's words (never a CLI flag), and for bad
//! input the fields and rules (shown next to the field they concern).

use serde::Serialize;

use rolegate_core::error::{ErrorReport, Frontend};
use rolegate_core::validate::FieldError;
use rolegate_core::RunError;

/// A command's error: serialized as the core's `ErrorReport`, nothing added or dropped
/// (boxed: commands return it beside small answers).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CommandError(Box<ErrorReport>);

impl From<RunError> for CommandError {
    fn from(e: RunError) -> Self {
        CommandError(Box::new(e.report_for(Frontend::App)))
    }
}

impl std::ops::Deref for CommandError {
    type Target = ErrorReport;
    fn deref(&self) -> &ErrorReport {
        &self.0
    }
}

impl CommandError {
    /// An error of the app's own (no identity chosen, a dialog or the clipboard failed).
    pub fn new(code: &'static str, message: impl Into<String>) -> CommandError {
        CommandError(Box::new(ErrorReport {
            code,
            message: message.into(),
            hint: None,
            fields: Vec::new(),
            lints: Vec::new(),
            created: None,
        }))
    }

    pub fn field(field: &str, rule: &str, message: impl Into<String>) -> CommandError {
        RunError::Invalid(vec![FieldError::new(field, rule, message)]).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolegate_core::policy::{Lint, Severity};
    use serde_json::json;

    /// The window gets what `rolegate --json` prints, with the app's advice: the lints
    /// of a blocked plan and what a stopped run made are not dropped on the way.
    #[test]
    fn a_command_error_is_the_cores_report_with_lints_and_what_exists() {
        let lint = Lint {
            severity: Severity::Error,
            field: "roles.main.trust".into(),
            rule: "open-trust".into(),
            message: "anyone may assume it".into(),
            acknowledge: false,
        };
        let blocked = RunError::Blocked(vec![lint]);
        let want = serde_json::to_value(blocked.report_for(Frontend::App)).unwrap();
        let got = serde_json::to_value(CommandError::from(blocked)).unwrap();
        assert_eq!(got, want);
        assert_eq!(got["lints"][0]["rule"], "open-trust", "{got}");

        let cancelled = RunError::Cancelled { run_id: "rg-1".into(), created: vec!["IAM user u".into()] };
        let got = serde_json::to_value(CommandError::from(cancelled)).unwrap();
        assert_eq!(got["created"], json!(["IAM user u"]), "{got}");
        assert!(got["hint"].as_str().unwrap().contains("press Resume"), "the window's words: {got}");
    }
}
