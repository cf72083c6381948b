//! IAM policy documents: parsing with line and column, the shape IAM accepts, the
//! size limits, and the documents Rolegate writes itself (trust policies with an
//! External ID, the user's assume-role policy). The lints are in `lint`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub use crate::lint::{lint, Lint, LintContext, Severity};
use crate::validate::FieldError;

/// Which kind of document, for its size limit and its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocKind {
    /// A customer managed policy: 6,144 characters without whitespace.
    Managed,
    /// An inline user or role policy: 2,048 characters without whitespace.
    Inline,
    /// A role trust policy: 2,048 characters without whitespace (the default quota).
    Trust,
}

impl DocKind {
    pub fn max_chars(self) -> usize {
        match self {
            DocKind::Managed => 6144,
            DocKind::Inline | DocKind::Trust => 2048,
        }
    }
    fn label(self) -> &'static str {
        match self {
            DocKind::Managed => "a managed policy",
            DocKind::Inline => "an inline policy",
            DocKind::Trust => "a trust policy",
        }
    }
}

/// Count the characters IAM counts against the size limit: everything but whitespace.
pub fn non_whitespace_len(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

/// Parse policy JSON text, reporting syntax errors with line and column.
pub fn parse(field: &str, text: &str) -> Result<Value, FieldError> {
    serde_json::from_str::<Value>(text).map_err(|e| {
        FieldError::new(
            field,
            "policy-json-syntax",
            format!("is not valid JSON: {} at line {}, column {}", strip_position(&e.to_string()), e.line(), e.column()),
        )
    })
}

fn strip_position(msg: &str) -> &str {
    msg.split(" at line ").next().unwrap_or(msg)
}

/// The compact text Rolegate sends to IAM for a document.
pub fn render(doc: &Value) -> String {
    serde_json::to_string(doc).expect("a serde_json::Value always serialises")
}

pub(crate) fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

pub(crate) fn strings(v: Option<&Value>) -> Vec<&str> {
    v.map(|v| as_list(v).into_iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// Check the shape IAM accepts and the size limit. Returns every problem found.
pub fn check_shape(field: &str, doc: &Value, kind: DocKind) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let size = non_whitespace_len(&render(doc));
    if size > kind.max_chars() {
        errs.push(FieldError::new(
            field,
            "policy-size",
            format!("is {size} characters without whitespace; {} may have at most {}", kind.label(), kind.max_chars()),
        ));
    }
    let Some(obj) = doc.as_object() else {
        errs.push(FieldError::new(field, "policy-shape", "must be a JSON object"));
        return errs;
    };
    match obj.get("Version").and_then(Value::as_str) {
        Some("2012-10-17") => {}
        Some(v) => errs.push(FieldError::new(field, "policy-version", format!("Version must be \"2012-10-17\"; got {v:?}"))),
        None => errs.push(FieldError::new(
            field,
            "policy-version",
            "Version must be \"2012-10-17\" (without it IAM uses the 2008 language, which has no policy variables)",
        )),
    }
    for key in obj.keys() {
        if !matches!(key.as_str(), "Version" | "Statement" | "Id") {
            errs.push(FieldError::new(
                format!("{field}.{key}"),
                "policy-unknown-element",
                format!("{key:?} is not a policy element (Version, Id, Statement)"),
            ));
        }
    }
    let statements = match obj.get("Statement") {
        Some(Value::Array(a)) if !a.is_empty() => a.iter().collect::<Vec<_>>(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => {
            errs.push(FieldError::new(field, "policy-statement", "Statement must be a statement object or a non-empty list of them"));
            return errs;
        }
    };
    let mut sids = std::collections::HashSet::new();
    for (i, st) in statements.iter().enumerate() {
        let sf = format!("{field}.Statement[{i}]");
        let Some(st) = st.as_object() else {
            errs.push(FieldError::new(&sf, "policy-statement", "each statement must be an object"));
            continue;
        };
        if let Some(sid) = st.get("Sid") {
            match sid.as_str() {
                Some(s) if s.chars().all(|c| c.is_ascii_alphanumeric()) => {
                    if !sids.insert(s.to_string()) {
                        errs.push(FieldError::new(
                            format!("{sf}.Sid"),
                            "policy-sid-unique",
                            format!("Sid {s:?} is used by more than one statement"),
                        ));
                    }
                }
                _ => errs.push(FieldError::new(format!("{sf}.Sid"), "policy-sid", "Sid must be a string of letters and digits")),
            }
        }
        match st.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => errs.push(FieldError::new(format!("{sf}.Effect"), "policy-effect", "Effect must be \"Allow\" or \"Deny\"")),
        }
        let action_key = match (st.get("Action"), st.get("NotAction")) {
            (Some(_), None) => "Action",
            (None, Some(_)) => "NotAction",
            _ => {
                errs.push(FieldError::new(&sf, "policy-action", "a statement needs exactly one of Action or NotAction"));
                ""
            }
        };
        if !action_key.is_empty() {
            let v = &st[action_key];
            let list = as_list(v);
            if list.is_empty() {
                errs.push(FieldError::new(format!("{sf}.{action_key}"), "policy-action", format!("{action_key} must not be empty")));
            }
            for a in list {
                match a.as_str() {
                    Some("*") => {}
                    Some(s) if is_action_pattern(s) => {}
                    _ => errs.push(FieldError::new(
                        format!("{sf}.{action_key}"),
                        "policy-action-syntax",
                        format!("each action must look like service:Action (wildcards allowed); got {a}"),
                    )),
                }
            }
        }
        let has_resource = st.contains_key("Resource") || st.contains_key("NotResource");
        let has_principal = st.contains_key("Principal") || st.contains_key("NotPrincipal");
        match kind {
            DocKind::Trust => {
                if has_resource {
                    errs.push(FieldError::new(
                        format!("{sf}.Resource"),
                        "trust-resource",
                        "a trust policy must not have Resource: the role itself is the resource",
                    ));
                }
                if !has_principal {
                    errs.push(FieldError::new(
                        format!("{sf}.Principal"),
                        "trust-principal",
                        "a trust policy statement must name a Principal",
                    ));
                }
            }
            DocKind::Managed | DocKind::Inline => {
                if !has_resource {
                    errs.push(FieldError::new(
                        format!("{sf}.Resource"),
                        "policy-resource",
                        "an identity policy statement needs Resource or NotResource",
                    ));
                }
                if has_principal {
                    errs.push(FieldError::new(
                        format!("{sf}.Principal"),
                        "policy-principal",
                        "an identity policy must not have Principal (that belongs in a trust policy)",
                    ));
                }
                for r in strings(st.get("Resource").or(st.get("NotResource"))) {
                    if r != "*" && !r.starts_with("arn:") {
                        errs.push(FieldError::new(
                            format!("{sf}.Resource"),
                            "policy-resource-syntax",
                            format!("each resource must be \"*\" or an ARN; got {r:?}"),
                        ));
                    }
                }
            }
        }
        if let Some(c) = st.get("Condition") {
            check_condition(&format!("{sf}.Condition"), c, &mut errs);
        }
    }
    errs
}

fn is_action_pattern(s: &str) -> bool {
    match s.split_once(':') {
        Some((svc, act)) => {
            !svc.is_empty()
                && svc.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !act.is_empty()
                && act.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'*' || b == b'?')
        }
        None => false,
    }
}

fn check_condition(field: &str, c: &Value, errs: &mut Vec<FieldError>) {
    let Some(ops) = c.as_object() else {
        errs.push(FieldError::new(field, "policy-condition", "Condition must be an object of operators"));
        return;
    };
    for (op, keys) in ops {
        let Some(keys) = keys.as_object() else {
            errs.push(FieldError::new(
                format!("{field}.{op}"),
                "policy-condition",
                "each condition operator maps condition keys to values",
            ));
            continue;
        };
        for (k, v) in keys {
            let ok = match v {
                Value::String(_) | Value::Bool(_) | Value::Number(_) => true,
                Value::Array(a) => a.iter().all(|x| !x.is_array() && !x.is_object()),
                _ => false,
            };
            if !ok {
                errs.push(FieldError::new(
                    format!("{field}.{op}.{k}"),
                    "policy-condition",
                    "a condition value must be a string, number, boolean or a list of them",
                ));
            }
        }
    }
}

/// Glob match as IAM does for actions and StringLike: `*` any run, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    glob_match(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

/// The AWS principal strings a statement names (Service and Federated principals are
/// not third-party accounts and are left out).
pub fn principal_values(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(m)) => strings(m.get("AWS")).into_iter().map(String::from).collect(),
        _ => Vec::new(),
    }
}

/// How the trust policy matches the External ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ExternalIdCondition {
    /// `StringEquals` for an exact value, `StringLike` for a pattern with `*`/`?`.
    pub operator: String,
    pub value: String,
    /// The values the run filled into `value` (the template's variables without a
    /// default, or the whole External ID where it was generated or given): what the
    /// anchor rule (`lint::check_external_id_anchor`) looks for. Empty in plans made
    /// before the rule existed.
    #[serde(default)]
    pub anchors: Vec<String>,
}

impl ExternalIdCondition {
    /// The condition for a value: `StringLike` when it has a wildcard. An exact value
    /// is its own anchor; a pattern has none until [`Self::with_anchors`] names them.
    pub fn for_value(value: &str) -> Self {
        let like = value.contains('*') || value.contains('?');
        ExternalIdCondition {
            operator: if like { "StringLike" } else { "StringEquals" }.into(),
            value: value.into(),
            anchors: if like { Vec::new() } else { vec![value.to_string()] },
        }
    }

    pub fn with_anchors(mut self, anchors: Vec<String>) -> Self {
        self.anchors = anchors;
        self
    }
}

/// The trust policy statement that lets `principals` assume the role only with the
/// External ID.
pub fn trust_statement(principals: &[String], cond: &ExternalIdCondition) -> Value {
    let principal = if principals.len() == 1 {
        Value::String(principals[0].clone())
    } else {
        Value::Array(principals.iter().cloned().map(Value::String).collect())
    };
    let mut condition = Map::new();
    condition.insert(cond.operator.clone(), json!({ "sts:ExternalId": cond.value }));
    json!({
        "Sid": "AssumeWithExternalId",
        "Effect": "Allow",
        "Principal": { "AWS": principal },
        "Action": "sts:AssumeRole",
        "Condition": Value::Object(condition),
    })
}

/// The full trust policy Rolegate creates: AssumeRole guarded by the External ID,
/// plus `sts:TagSession` so the trusted side may tag its sessions.
pub fn trust_policy(principals: &[String], cond: &ExternalIdCondition) -> Value {
    let principal = if principals.len() == 1 {
        Value::String(principals[0].clone())
    } else {
        Value::Array(principals.iter().cloned().map(Value::String).collect())
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [
            trust_statement(principals, cond),
            {
                "Sid": "TagSession",
                "Effect": "Allow",
                "Principal": { "AWS": principal },
                "Action": "sts:TagSession",
            }
        ]
    })
}

/// The inline policy that lets the created user assume (and tag sessions of) its roles
/// and nothing else.
pub fn assume_only_policy(role_arns: &[String]) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AssumeOnboardedRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": role_arns,
        }]
    })
}

/// Replace `{{partition}}`, `{{account}}`, `{{region}}` (and any other given variable)
/// in every string of a document.
pub fn substitute(doc: &Value, vars: &[(&str, &str)]) -> Value {
    match doc {
        Value::String(s) => {
            let mut out = s.clone();
            for (k, v) in vars {
                out = out.replace(&format!("{{{{{k}}}}}"), v);
            }
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, vars)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), substitute(v, vars))).collect()),
        other => other.clone(),
    }
}

/// Unresolved `{{name}}` placeholders left in a document.
pub fn placeholders(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut walk = vec![doc];
    while let Some(v) = walk.pop() {
        match v {
            Value::String(s) => {
                let mut rest = s.as_str();
                while let Some(start) = rest.find("{{") {
                    let after = &rest[start + 2..];
                    match after.find("}}") {
                        Some(end) => {
                            out.push(after[..end].to_string());
                            rest = &after[end + 2..];
                        }
                        None => break,
                    }
                }
            }
            Value::Array(a) => walk.extend(a),
            Value::Object(m) => walk.extend(m.values()),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_rules(doc: &Value, kind: DocKind) -> Vec<String> {
        check_shape("policy", doc, kind).into_iter().map(|e| e.rule).collect()
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let e = parse("policy_file", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [,]\n}").unwrap_err();
        assert_eq!(e.field, "policy_file");
        assert_eq!(e.rule, "policy-json-syntax");
        assert!(e.message.contains("line 3, column 17"), "{}", e.message);
    }

    #[test]
    fn shape_of_identity_policies() {
        let ok = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*"],"Resource":"*"}]});
        assert!(shape_rules(&ok, DocKind::Managed).is_empty());
        let bad = json!({"Statement":{"Effect":"Permit","Action":"GetObject","Principal":"*"}});
        let rules = shape_rules(&bad, DocKind::Managed);
        for r in ["policy-version", "policy-effect", "policy-action-syntax", "policy-resource", "policy-principal"] {
            assert!(rules.contains(&r.to_string()), "{r} missing from {rules:?}");
        }
        let dup = json!({"Version":"2012-10-17","Statement":[
            {"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},
            {"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"bucket"}]});
        assert_eq!(shape_rules(&dup, DocKind::Managed), ["policy-sid-unique", "policy-resource-syntax"]);
    }

    #[test]
    fn shape_of_trust_policies() {
        let t = trust_policy(&["arn:aws:iam::123456789012:user/ci".into()], &ExternalIdCondition::for_value("abc-123"));
        assert!(shape_rules(&t, DocKind::Trust).is_empty());
        let bad = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]});
        assert_eq!(shape_rules(&bad, DocKind::Trust), ["trust-resource", "trust-principal"]);
    }

    #[test]
    fn size_limits_count_non_whitespace() {
        let actions: Vec<String> = (0..200).map(|i| format!("ec2:DescribeSomething{i:04}")).collect();
        let doc = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":actions,"Resource":"*"}]});
        let n = non_whitespace_len(&render(&doc));
        assert!(n > 2048 && n <= 6144, "{n}");
        assert!(shape_rules(&doc, DocKind::Managed).is_empty());
        assert_eq!(shape_rules(&doc, DocKind::Inline), ["policy-size"]);
        let msg = &check_shape("policy", &doc, DocKind::Inline)[0].message;
        assert!(msg.contains(&n.to_string()) && msg.contains("2048"), "{msg}");
        assert_eq!(non_whitespace_len(" a b\n\tc "), 3);
    }

    #[test]
    fn globbing() {
        assert!(glob_match("acme@*@*@read", "acme@42@prod@read"));
        assert!(!glob_match("acme@*@*@read", "acme@42@prod@write"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("*", ""));
        assert!(action_matches("iam:Pass*", "iam:PassRole"));
        assert!(action_matches("IAM:passrole", "iam:PassRole"));
    }

    #[test]
    fn substitution_and_placeholders() {
        let doc = json!({"Resource":["arn:{{partition}}:iam::{{account}}:role/x", "{{unknown}}"]});
        let out = substitute(&doc, &[("partition", "aws-cn"), ("account", "123456789012")]);
        assert_eq!(out["Resource"][0], "arn:aws-cn:iam::123456789012:role/x");
        assert_eq!(placeholders(&out), ["unknown"]);
    }
}
