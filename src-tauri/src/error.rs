//! The error every command returns, as the UI sees it: a stable code, a sentence, what
//! to do next in the window's words, and for bad input the fields and rules.

use serde::Serialize;

use rolegate_core::error::Frontend;
use rolegate_core::validate::FieldError;
use rolegate_core::RunError;

/// A command's error as the UI sees it: a stable code, a sentence, what to do next in
/// the window's words (never a CLI flag), and for bad input the fields and rules (shown
/// next to the field they concern).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CommandError {
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    pub fields: Vec<FieldError>,
}

impl From<RunError> for CommandError {
    fn from(e: RunError) -> Self {
        let fields = match &e {
            RunError::Invalid(f) => f.clone(),
            _ => Vec::new(),
        };
        CommandError { code: e.code().into(), message: e.to_string(), hint: e.hint(Frontend::App), fields }
    }
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> CommandError {
        CommandError { code: code.into(), message: message.into(), hint: None, fields: Vec::new() }
    }
    pub fn field(field: &str, rule: &str, message: impl Into<String>) -> CommandError {
        RunError::Invalid(vec![FieldError::new(field, rule, message)]).into()
    }
}
