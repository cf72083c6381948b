//! Input validation: every rule names the field it checked and the rule it broke,
//! so the CLI and the wizard can show the error next to the thing to fix.

use serde::{Deserialize, Serialize};

/// One broken rule on one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The input that is wrong, as the person named it (`user_name`, `tags[3].key`, ...).
    pub field: String,
    /// A stable identifier of the rule (`iam-name-chars`, `external-id-length`, ...).
    pub rule: String,
    /// A sentence that says what the rule is and what was found.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        Self { field: field.into(), rule: rule.to_string(), message: message.into() }
    }
}

/// The errors of one validation pass; empty means valid.
pub type FieldErrors = Vec<FieldError>;

/// Turn a list of errors into `Ok(())` when empty.
pub fn into_result(errors: FieldErrors) -> Result<(), FieldErrors> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_len(field: &str, value: &str, min: usize, max: usize, what: &str) -> Option<FieldError> {
    let n = value.chars().count();
    if n < min || n > max {
        let rule = format!("{what}-length");
        let msg = if min == max {
            format!("must be exactly {min} characters long, got {n}")
        } else {
            format!("must be {min} to {max} characters long, got {n}")
        };
        return Some(FieldError::new(field, &rule, msg));
    }
    None
}

fn first_bad_char(value: &str, ok: impl Fn(char) -> bool) -> Option<(usize, char)> {
    value.chars().enumerate().find(|(_, c)| !ok(*c))
}

fn bad_char_error(field: &str, rule: &str, allowed: &str, pos: usize, c: char) -> FieldError {
    FieldError::new(field, rule, format!("may contain only {allowed}; found {c:?} at position {}", pos + 1))
}

/// Characters IAM allows in user, role, policy and session names: `[\w+=,.@-]`.
fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-')
}

const IAM_NAME_CHARS: &str = "letters, digits and _+=,.@-";

/// The kinds of IAM name, each with its own length limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    User,
    Role,
    Policy,
}

impl NameKind {
    pub fn max_len(self) -> usize {
        match self {
            NameKind::User | NameKind::Role => 64,
            NameKind::Policy => 128,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            NameKind::User => "IAM user name",
            NameKind::Role => "IAM role name",
            NameKind::Policy => "IAM policy name",
        }
    }
}

/// An IAM user, role or policy name.
pub fn iam_name(field: &str, kind: NameKind, value: &str) -> FieldErrors {
    let mut errs = Vec::new();
    if let Some(e) = check_len(field, value, 1, kind.max_len(), "iam-name") {
        errs.push(FieldError { message: format!("{} {}", kind.label(), e.message), ..e });
    }
    if let Some((pos, c)) = first_bad_char(value, is_iam_name_char) {
        errs.push(bad_char_error(field, "iam-name-chars", IAM_NAME_CHARS, pos, c));
    }
    errs
}

/// An IAM path: `/` alone, or `/` + segments + `/`, 1-512 printable ASCII characters.
pub fn iam_path(field: &str, value: &str) -> FieldErrors {
    let mut errs = Vec::new();
    if let Some(e) = check_len(field, value, 1, 512, "iam-path") {
        errs.push(e);
    }
    if !value.starts_with('/') || !value.ends_with('/') {
        errs.push(FieldError::new(field, "iam-path-slashes", format!("must begin and end with '/', like /rolegate/; got {value:?}")));
    }
    if value.contains("//") {
        errs.push(FieldError::new(field, "iam-path-empty-segment", "must not contain an empty segment ('//')"));
    }
    if let Some((pos, c)) = first_bad_char(value, |c| ('\u{21}'..='\u{7e}').contains(&c)) {
        errs.push(bad_char_error(field, "iam-path-chars", "printable ASCII characters without spaces", pos, c));
    }
    errs
}

/// A 12-digit AWS account id.
pub fn account_id(field: &str, value: &str) -> FieldErrors {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Vec::new()
    } else {
        vec![FieldError::new(field, "account-id", format!("must be exactly 12 digits; got {value:?}"))]
    }
}

/// An External ID as STS accepts it: 2-1224 characters of `[\w+=,.@:/-]`.
pub fn external_id(field: &str, value: &str) -> FieldErrors {
    let mut errs = Vec::new();
    if let Some(e) = check_len(field, value, 2, 1224, "external-id") {
        errs.push(e);
    }
    if let Some((pos, c)) = first_bad_char(value, |c| is_iam_name_char(c) || c == ':' || c == '/') {
        errs.push(bad_char_error(field, "external-id-chars", "letters, digits and _+=,.@:/-", pos, c));
    }
    errs
}

/// An access key id as IAM issues them: 16-128 characters, upper-case letters and
/// digits, starting with a four-letter prefix such as `AKIA` (long-lived) or `ASIA`.
pub fn access_key_id(field: &str, value: &str) -> FieldErrors {
    let mut errs = Vec::new();
    if let Some(e) = check_len(field, value, 16, 128, "access-key-id") {
        errs.push(e);
    }
    if let Some((pos, c)) = first_bad_char(value, |c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        errs.push(bad_char_error(field, "access-key-id-chars", "upper-case letters and digits", pos, c));
    }
    errs
}

/// A role session name: 2-64 characters of `[\w+=,.@-]`.
pub fn session_name(field: &str, value: &str) -> FieldErrors {
    let mut errs = Vec::new();
    if let Some(e) = check_len(field, value, 2, 64, "session-name") {
        errs.push(e);
    }
    if let Some((pos, c)) = first_bad_char(value, is_iam_name_char) {
        errs.push(bad_char_error(field, "session-name-chars", IAM_NAME_CHARS, pos, c));
    }
    errs
}

/// An AWS region name such as `eu-west-1`, `us-gov-west-1` or `cn-north-1`.
pub fn region(field: &str, value: &str) -> FieldErrors {
    let parts: Vec<&str> = value.split('-').collect();
    let ok = parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && parts[0].len() == 2;
    if ok {
        Vec::new()
    } else {
        vec![FieldError::new(field, "region", format!("must be an AWS region name such as eu-west-1; got {value:?}"))]
    }
}

/// An IAM tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self { key: key.into(), value: value.into() }
    }

    /// Parse `key=value` as typed on a command line.
    pub fn parse(field: &str, text: &str) -> Result<Tag, FieldError> {
        match text.split_once('=') {
            Some((k, v)) => Ok(Tag::new(k, v)),
            None => Err(FieldError::new(field, "tag-syntax", format!("must be written key=value; got {text:?}"))),
        }
    }
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric()
        || c.is_whitespace() && c != '\n' && c != '\r' && c != '\t'
        || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
}

/// The most tags IAM keeps on one user, role or policy.
pub const MAX_TAGS: usize = 50;

/// Tags: at most 50, keys 1-128 characters, values 0-256, unique keys
/// (case-insensitive), no `aws:` prefix, and IAM's character set.
pub fn tags(field: &str, tags: &[Tag]) -> FieldErrors {
    let mut errs = Vec::new();
    if tags.len() > MAX_TAGS {
        errs.push(FieldError::new(field, "tags-count", format!("at most {MAX_TAGS} tags are allowed; got {}", tags.len())));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, t) in tags.iter().enumerate() {
        let kf = format!("{field}[{i}].key");
        let vf = format!("{field}[{i}].value");
        if let Some(e) = check_len(&kf, &t.key, 1, 128, "tag-key") {
            errs.push(e);
        }
        if let Some(e) = check_len(&vf, &t.value, 0, 256, "tag-value") {
            errs.push(e);
        }
        let chars = "letters, digits, spaces and _.:/=+-@";
        if let Some((pos, c)) = first_bad_char(&t.key, is_tag_char) {
            errs.push(bad_char_error(&kf, "tag-key-chars", chars, pos, c));
        }
        if let Some((pos, c)) = first_bad_char(&t.value, is_tag_char) {
            errs.push(bad_char_error(&vf, "tag-value-chars", chars, pos, c));
        }
        if t.key.to_ascii_lowercase().starts_with("aws:") {
            errs.push(FieldError::new(&kf, "tag-key-reserved", "keys beginning with aws: are reserved by AWS"));
        }
        if !seen.insert(t.key.to_lowercase()) {
            errs.push(FieldError::new(
                &kf,
                "tag-key-unique",
                format!("the key {:?} is given more than once (keys are case-insensitive)", t.key),
            ));
        }
    }
    errs
}

/// A variable value that goes into an External ID pattern (account names, integration
/// ids, stack slugs): 1-128 of letters, digits, `_` and `-`.
pub fn pattern_variable(field: &str, value: &str) -> FieldErrors {
    let mut errs = Vec::new();
    if let Some(e) = check_len(field, value, 1, 128, "variable") {
        errs.push(e);
    }
    if let Some((pos, c)) = first_bad_char(value, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
        errs.push(bad_char_error(field, "variable-chars", "letters, digits and _.-", pos, c));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(errs: &FieldErrors) -> Vec<&str> {
        errs.iter().map(|e| e.rule.as_str()).collect()
    }

    #[test]
    fn iam_names() {
        assert!(iam_name("user_name", NameKind::User, "ci-bot+deploy@x.y_z=1,2").is_empty());
        let e = iam_name("user_name", NameKind::User, "has space");
        assert_eq!(rules(&e), ["iam-name-chars"]);
        assert_eq!(e[0].field, "user_name");
        assert!(e[0].message.contains("position 4"), "{}", e[0].message);
        assert_eq!(rules(&iam_name("role_name", NameKind::Role, &"a".repeat(65))), ["iam-name-length"]);
        assert!(iam_name("policy_name", NameKind::Policy, &"a".repeat(128)).is_empty());
        assert_eq!(rules(&iam_name("x", NameKind::User, "")), ["iam-name-length"]);
    }

    #[test]
    fn paths() {
        assert!(iam_path("path", "/").is_empty());
        assert!(iam_path("path", "/rolegate/ci/").is_empty());
        assert_eq!(rules(&iam_path("path", "rolegate")), ["iam-path-slashes"]);
        assert_eq!(rules(&iam_path("path", "/a//b/")), ["iam-path-empty-segment"]);
        assert_eq!(rules(&iam_path("path", "/a b/")), ["iam-path-chars"]);
    }

    #[test]
    fn accounts_and_regions() {
        assert!(account_id("account", "123456789012").is_empty());
        assert_eq!(rules(&account_id("account", "12345678901")), ["account-id"]);
        assert_eq!(rules(&account_id("account", "12345678901a")), ["account-id"]);
        for ok in ["eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-2"] {
            assert!(region("region", ok).is_empty(), "{ok}");
        }
        for bad in ["eu-west", "EU-WEST-1", "europe", "eu--1"] {
            assert_eq!(rules(&region("region", bad)), ["region"], "{bad}");
        }
    }

    #[test]
    fn external_ids() {
        assert!(external_id("external_id", "acme@1234@prod-stack@read").is_empty());
        assert!(external_id("external_id", "a/b:c=d,e.f+g_h-i").is_empty());
        assert_eq!(rules(&external_id("external_id", "x")), ["external-id-length"]);
        assert_eq!(rules(&external_id("external_id", &"x".repeat(1225))), ["external-id-length"]);
        assert!(external_id("external_id", &"x".repeat(1224)).is_empty());
        assert_eq!(rules(&external_id("external_id", "no spaces")), ["external-id-chars"]);
        assert_eq!(rules(&external_id("external_id", "star*")), ["external-id-chars"]);
    }

    #[test]
    fn session_names() {
        assert!(session_name("session_name", "rolegate-3f2a").is_empty());
        assert_eq!(rules(&session_name("session_name", "r")), ["session-name-length"]);
        assert_eq!(rules(&session_name("session_name", &"r".repeat(65))), ["session-name-length"]);
        assert_eq!(rules(&session_name("session_name", "a:b")), ["session-name-chars"]);
    }

    #[test]
    fn tag_rules() {
        assert!(tags("tags", &[Tag::new("team", "platform ops"), Tag::new("cost", "")]).is_empty());
        let many: Vec<Tag> = (0..51).map(|i| Tag::new(format!("k{i}"), "v")).collect();
        assert_eq!(rules(&tags("tags", &many)), ["tags-count"]);
        let e = tags("tags", &[Tag::new("aws:owner", "x")]);
        assert_eq!(rules(&e), ["tag-key-reserved"]);
        assert_eq!(e[0].field, "tags[0].key");
        let e = tags("tags", &[Tag::new("Team", "a"), Tag::new("team", "b")]);
        assert_eq!(rules(&e), ["tag-key-unique"]);
        assert_eq!(e[0].field, "tags[1].key");
        assert_eq!(rules(&tags("tags", &[Tag::new("k".repeat(129), "v")])), ["tag-key-length"]);
        assert_eq!(rules(&tags("tags", &[Tag::new("k", "v".repeat(257))])), ["tag-value-length"]);
        assert_eq!(rules(&tags("tags", &[Tag::new("k", "a;b")])), ["tag-value-chars"]);
        assert_eq!(Tag::parse("tag", "a=b=c").unwrap(), Tag::new("a", "b=c"));
        assert_eq!(Tag::parse("tag", "ab").unwrap_err().rule, "tag-syntax");
    }
}
