//! Tests of the template format: the built-ins, validation, variables.

use super::*;

#[test]
fn builtins_are_valid_and_cover_every_mode() {
    let all = builtin();
    let ids: Vec<&str> = all.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "seqera-batch-forge",
            "seqera-batch-forge-key-role",
            "seqera-batch-forge-role",
            "seqera-batch-launch",
            "seqera-batch-launch-key",
            "seqera-cloud-role",
            "seqera-aws-cloud",
            "seqera-aws-cloud-key-role",
            "seqera-aws-cloud-role",
            "seqera-intelligent-compute",
            "seqera-intelligent-compute-key-role",
            "seqera-intelligent-compute-role",
            "seqera-eks",
            "seqera-eks-key-role",
            "seqera-eks-role",
            "ecr-wave-readonly",
            "spacelift",
            "spacelift-worker",
            "custom"
        ]
    );
    for m in [Mode::Key, Mode::Role, Mode::KeyRole] {
        assert!(all.iter().any(|t| t.mode == m), "no template in mode {}", m.as_str());
    }
    // Every Seqera compute-environment type comes in all three modes, one family each,
    // and each Seqera role mode trusts Seqera's role with the account as a variable.
    for family in ["seqera-batch-forge", "seqera-batch-launch", "seqera-aws-cloud", "seqera-intelligent-compute", "seqera-eks"] {
        let members: Vec<&Template> = all.iter().filter(|t| t.family.as_deref() == Some(family)).collect();
        let mut modes: Vec<&str> = members.iter().map(|t| t.mode.as_str()).collect();
        modes.sort();
        assert_eq!(modes, ["key", "key+role", "role"], "{family}");
        let role = members.iter().find(|t| t.mode == Mode::Role).unwrap();
        assert_eq!(
            role.roles[0].trusted,
            Trusted::Principals(vec!["arn:{{partition}}:iam::{{seqera_principal_account}}:role/{{seqera_principal_role}}".into()]),
            "{family}"
        );
        assert!(members.iter().all(|t| t.policies == members[0].policies && t.features == members[0].features), "{family}");
    }
    assert_eq!(find_builtin("seqera-cloud-role").unwrap().family.as_deref(), Some("seqera-batch-launch"));
    let sp = find_builtin("spacelift").unwrap();
    assert_eq!(sp.roles.len(), 2);
    assert!(matches!(&sp.roles[0].external_id, ExternalIdSpec::Pattern { condition, .. } if condition.ends_with("@read")));
}

#[test]
fn inconsistent_templates_are_rejected_with_fields() {
    let mut t = find_builtin("seqera-batch-forge").unwrap();
    t.mode = Mode::Role;
    t.policies[0].name = "bad name".into();
    t.user.as_mut().unwrap().attach.push("policy:nope".into());
    let errs = t.validate("file").unwrap_err();
    let got: Vec<(String, String)> = errs.into_iter().map(|e| (e.field, e.rule)).collect();
    assert!(got.contains(&("file.mode".into(), "template-mode".into())), "{got:?}");
    assert!(got.contains(&("file.policies[0].name".into(), "iam-name-chars".into())), "{got:?}");
    assert!(got.contains(&("file.user.attach".into(), "template-reference".into())), "{got:?}");
}

#[test]
fn the_platform_credential_is_read_and_a_registry_needs_key_mode() {
    let kinds: Vec<(String, Option<PlatformConnector>)> = builtin().into_iter().map(|t| (t.id, t.platform_credential)).collect();
    for (id, kind) in &kinds {
        let expected = match id.as_str() {
            "ecr-wave-readonly" => Some(PlatformConnector::SeqeraContainerReg),
            i if i.starts_with("seqera-") => Some(PlatformConnector::SeqeraAws),
            _ => None,
        };
        assert_eq!(kind, &expected, "{id}");
    }
    let mut t = find_builtin("seqera-cloud-role").unwrap();
    t.platform_credential = Some(PlatformConnector::SeqeraContainerReg);
    let errs = t.validate("file").unwrap_err();
    assert_eq!((errs[0].field.as_str(), errs[0].rule.as_str()), ("file.platform_credential", "template-mode"));
    let text = include_str!("../templates/custom.json").replace("\"exports\"", "\"platform_credential\": \"slack\", \"exports\"");
    let e = Template::from_json("my.json", &text).unwrap_err();
    assert_eq!(e[0].rule, "template-schema", "{e:?}");
}

#[test]
fn loading_a_file_reports_syntax_and_schema() {
    let e = Template::from_json("my.json", "{\"format\": ").unwrap_err();
    assert_eq!(e[0].rule, "policy-json-syntax");
    let e = Template::from_json("my.json", "{\"format\": \"x\"}").unwrap_err();
    assert_eq!(e[0].rule, "template-schema");
}

/// A role-mode template whose one role matches the External ID with `condition`.
/// `tenant` has no default (the run fills it); `fixed` has one.
fn with_condition(condition: &str) -> String {
    serde_json::json!({
        "format": FORMAT, "id": "anchored", "name": "n", "platform": "p", "mode": "role",
        "variables": [
            {"name": "tenant", "label": "Tenant"},
            {"name": "fixed", "label": "Fixed", "default": "acme"}
        ],
        "roles": [{
            "key": "main", "name": "r", "trusted": ["arn:aws:iam::111111111111:root"],
            "external_id": {"scheme": "pattern", "value": "{{tenant}}@x@y@read", "condition": condition}
        }]
    })
    .to_string()
}

#[test]
fn an_external_id_condition_must_begin_with_a_value_the_run_fills() {
    for open in [
        "*",
        "**",
        "?*?",
        "*@*@*@read",
        "*@{{tenant}}",
        "?{{tenant}}@*",
        "{{tenant}}*",
        "{{tenant}}?@read",
        "{{fixed}}@*@*@read",
        "{{account}}@*",
        "{{partition}}-{{region}}@*",
        "fixed-text",
        "fixed@*",
        "x-{{tenant}}-*",
        "{{tenant}}.{{fixed}}*",
        "{{tenant}}{{fixed}}@*",
    ] {
        let errs = Template::from_json("t.json", &with_condition(open)).expect_err(open);
        assert!(
            errs.iter().any(|e| e.field == "t.json.roles[0].external_id.condition" && e.rule == "external-id-anchor"),
            "{open}: {errs:?}"
        );
    }
    for anchored in
        ["{{tenant}}@*@*@read", "{{tenant}}@*", "{{tenant}}", "x-{{tenant}}@*", "{{tenant}}@?", "{{tenant}}@{{fixed}}*", "{{tenant}}:*"]
    {
        Template::from_json("t.json", &with_condition(anchored)).unwrap_or_else(|e| panic!("{anchored}: {e:?}"));
    }
}

#[test]
fn variables_are_checked_and_defaulted() {
    let t = find_builtin("spacelift").unwrap();
    let e = t.resolve_variables(&BTreeMap::new()).unwrap_err();
    assert!(e.iter().any(|e| e.field == "var.spacelift_account" && e.rule == "required"), "{e:?}");
    let mut given = BTreeMap::new();
    given.insert("spacelift_account".to_string(), "acme".to_string());
    let vars = t.resolve_variables(&given).unwrap();
    assert_eq!(vars["spacelift_aws_account"], "324880187172");
    given.insert("nope".into(), "x".into());
    given.insert("spacelift_aws_account".into(), "12".into());
    let e = t.resolve_variables(&given).unwrap_err();
    let rules: Vec<&str> = e.iter().map(|e| e.rule.as_str()).collect();
    assert_eq!(rules, ["unknown-variable", "account-id"]);
}
