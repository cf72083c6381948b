//! `rolegate plan` with template files and the built-in Forge template: a template
//! whose External ID condition any customer of the platform could meet is refused
//! with exit 2 and the field named; the Forge plan prints its escalation warning.

use std::path::Path;

use serde_json::json;

mod common;
use common::Cli;

fn role_template(dir: &Path, condition: &str) -> String {
    let t = json!({
        "format": "rolegate-template/v1", "id": "open-trust", "name": "Open", "platform": "Example", "mode": "role",
        "variables": [{"name": "tenant", "label": "Tenant"}],
        "roles": [{
            "key": "main", "name": "example-access", "trusted": ["arn:aws:iam::111111111111:root"],
            "external_id": {"scheme": "pattern", "value": "{{tenant}}@read", "condition": condition}
        }]
    });
    let path = dir.join(format!("t-{}.json", condition.len()));
    std::fs::write(&path, t.to_string()).unwrap();
    path.display().to_string()
}

#[test]
fn a_template_file_with_an_open_external_id_condition_is_refused_with_exit_2() {
    let cli = Cli::new();
    for open in ["*", "*@read"] {
        let file = role_template(cli.home.path(), open);
        let out = cli.run(&["plan", "--template-file", &file, "--var", "tenant=acme"]);
        assert_eq!(out.code, 2, "{open}: {}", out.stderr);
        let err = &out.json["error"];
        assert_eq!(err["code"], "invalid-input", "{err}");
        let fields = err["fields"].as_array().unwrap();
        let hit = fields
            .iter()
            .find(|f| f["rule"] == "external-id-anchor")
            .unwrap_or_else(|| panic!("{open}: no external-id-anchor error in {fields:?}"));
        assert_eq!(hit["field"], format!("{file}.roles[0].external_id.condition"));
        assert!(hit["message"].as_str().unwrap().contains("the run fills in"), "{hit}");
    }
    // The text output names the field too.
    let file = role_template(cli.home.path(), "*");
    let raw = cli.text(&["plan", "--template-file", &file, "--var", "tenant=acme"]);
    assert_eq!(raw.code, 2);
    assert!(raw.stderr.contains("roles[0].external_id.condition"), "{}", raw.stderr);

    // Anchored to the tenant, the same file plans.
    let file = role_template(cli.home.path(), "{{tenant}}@*");
    let out = cli.run(&["plan", "--template-file", &file, "--var", "tenant=acme"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json["plan"]["roles"][0]["condition"]["value"], "acme@*");
}

#[test]
fn the_forge_plan_prints_the_inline_policy_escalation() {
    let cli = Cli::new();
    let out = cli.run(&["plan", "-t", "seqera-batch-forge"]);
    assert_eq!(out.code, 0, "a warning does not block: {}", out.stderr);
    let lints = out.json["plan"]["lints"].as_array().unwrap();
    assert!(
        lints.iter().any(|l| l["rule"] == "role-escalation-inline" && l["severity"] == "warning" && l["acknowledge"] == true),
        "{lints:?}"
    );
    let raw = cli.text(&["plan", "-t", "seqera-batch-forge"]);
    assert_eq!(raw.code, 0);
    assert!(raw.stdout.contains("warning: policy.main.Statement[0]: iam:CreateRole together with iam:PutRolePolicy"), "{}", raw.stdout);
}
