//! `rolegate plan` with template files and the built-in Forge template: a template
//! whose External ID condition any customer of the platform could meet is refused
//! with exit 2 and the field named; the Forge plan prints its escalation warning once
//! its IAM feature is ticked; `--feature` adds a template's optional statements, from
//! `plan` to `apply`, verification and roll-back; `export -f kubernetes` and the CloudFormation replay of an EKS run.

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
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json["plan"]["lints"].as_array().unwrap().iter().filter(|l| l["rule"] == "role-escalation-inline").count(), 0);
    let out = cli.run(&["plan", "-t", "seqera-batch-forge", "--feature", "iam-roles"]);
    assert_eq!(out.code, 0, "a warning does not block: {}", out.stderr);
    let lints = out.json["plan"]["lints"].as_array().unwrap();
    assert!(
        lints.iter().any(|l| l["rule"] == "role-escalation-inline" && l["severity"] == "warning" && l["acknowledge"] == true),
        "{lints:?}"
    );
    let raw = cli.text(&["plan", "-t", "seqera-batch-forge", "--feature", "iam-roles"]);
    assert_eq!(raw.code, 0);
    assert!(raw.stdout.contains("iam:CreateRole together with iam:PutRolePolicy"), "{}", raw.stdout);
}

#[test]
fn a_ticked_feature_is_planned_applied_verified_and_rolled_back() {
    let cli = Cli::new();
    let out = cli.run(&["plan", "-t", "seqera-eks", "--feature", "nope"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let fields = out.json["error"]["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f["field"] == "feature.nope" && f["rule"] == "unknown-feature"), "{fields:?}");

    // The cluster whose OIDC issuer the service-account role trusts, with its IAM OIDC provider.
    let issuer = rolegate_tests::emulator().eks_cluster(&cli.account, "eu-west-1", "pipelines", None);
    rolegate_tests::emulator().oidc_provider(&cli.account, &issuer, &["sts.amazonaws.com"]);
    let args = [
        "-t",
        "seqera-eks",
        "--feature",
        "data-studios-s3",
        "--var",
        "work_bucket=acme-work",
        "--var",
        "data_bucket=acme-data",
        "--var",
        "eks_cluster=pipelines",
    ];
    let out = cli.run(&[&["plan"][..], &args].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json["plan"]["policies"][0]["document"].to_string();
    assert!(doc.contains("s3:PutObject") && doc.contains("arn:aws:s3:::acme-data/*") && doc.contains("arn:aws:s3:::acme-work"), "{doc}");

    let text = cli.text(&[&["plan"][..], &args].concat());
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout.contains("Service-account role seqera-eks-launcher: assumed by pods of system:serviceaccount:tower-nf:tower-launcher-sa on EKS cluster pipelines (eu-west-1)"),
        "{}",
        text.stdout
    );
    // The cluster admits only the aws-auth ConfigMap (CONFIG_MAP): that mapping is the person's step.
    let user = format!("arn:aws:iam::{}:user/seqera-eks", cli.account.id);
    assert!(text.stdout.contains("Your step, which Rolegate does not do:"), "{}", text.stdout);
    assert!(text.stdout.contains(&format!("mapUsers: |\n  - userarn: {user}\n    username: tower-launcher-user")), "{}", text.stdout);
    assert!(text.stdout.contains("kubectl edit configmap -n kube-system aws-auth"), "{}", text.stdout);
    let out = cli.run(&[&["apply", "--propagation-timeout", "30"][..], &args].concat());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let checks = out.json["verification"]["checks"].as_array().unwrap();
    assert!(checks.iter().all(|c| c["status"] != "failed"), "{checks:?}");
    let run_id = out.json["run_id"].as_str().unwrap().to_string();
    // The run's journal records the policy it made with the feature's statement.
    let journal = cli.run(&["runs", &run_id]);
    assert_eq!(journal.code, 0, "{}", journal.stderr);
    assert!(journal.json.to_string().contains("DataExplorerStudiosBuckets"), "{}", journal.json);
    // The service account's manifest, annotated with the IRSA role's ARN.
    let k8s = cli.run(&["export", &run_id, "-f", "kubernetes"]);
    assert_eq!(k8s.code, 0, "{}", k8s.stderr);
    let text = k8s.json["export"]["text"].as_str().unwrap();
    let arn = format!("arn:aws:iam::{}:role/seqera-eks-launcher", cli.account.id);
    assert!(text.contains("kind: ServiceAccount") && text.contains(&format!("eks.amazonaws.com/role-arn: {arn}")), "{text}");
    assert_eq!(k8s.json["export"]["holds_secret"], false);
    // The CloudFormation replay holds the service-account role too, and passes cfn-lint.
    let cfn = cli.home.path().join("eks-stack.yaml");
    let out = cli.text(&["export", &run_id, "-f", "cloudformation", "--out", cfn.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&cfn).unwrap();
    assert!(text.contains("ServiceAccountRoleLauncher:") && text.contains("sts:AssumeRoleWithWebIdentity"), "{text}");
    let lint = cli.client("cfn-lint", &[cfn.to_str().unwrap()], &[]);
    assert_eq!(lint.code, 0, "cfn-lint: {}\n{}", lint.stdout, lint.stderr);
    let rb = cli.run(&["rollback", &run_id]);
    assert_eq!(rb.code, 0, "{}", rb.stderr);
    assert_eq!(rb.json["rollback"]["kept"], json!([]));

    // A file with variants: -t picks one of them.
    let file = cli.home.path().join("variants.json");
    let mut t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../core/templates/seqera-eks.json")).unwrap())
            .unwrap();
    t["id"] = "my-eks".into();
    std::fs::write(&file, t.to_string()).unwrap();
    let f = file.display().to_string();
    let out = cli.run(&["plan", "--template-file", &f, "-t", "seqera-eks-key-role", "--var", "eks_cluster=pipelines"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json["plan"]["mode"], "key+role");
    let out = cli.run(&["plan", "--template-file", &f, "-t", "nope"]);
    assert_eq!(out.code, 2);
    assert!(
        out.json["error"]["fields"][0]["message"].as_str().unwrap().contains("my-eks, seqera-eks-key-role, seqera-eks-role"),
        "{}",
        out.json
    );
}

/// A plan whose warnings name a way to administrator access (AWS Cloud: Seqera's
/// unconditioned iam:AttachRolePolicy) is refused until the person acknowledges it, and
/// nothing is made; with `--acknowledge-admin-access` it is applied and verified.
#[test]
fn a_way_to_admin_access_must_be_acknowledged_before_anything_is_made() {
    let cli = Cli::new();
    let out = cli.run(&["apply", "-t", "seqera-aws-cloud"]);
    assert_eq!(out.code, 2, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["error"]["code"], "acknowledgement-required", "{}", out.json);
    let lints = out.json["error"]["lints"].as_array().unwrap();
    assert!(!lints.is_empty() && lints.iter().all(|l| l["acknowledge"] == true), "{lints:?}");
    assert!(out.json["error"]["hint"].as_str().unwrap().contains("--acknowledge-admin-access"), "{}", out.json);
    let runs = cli.run(&["runs"]);
    assert_eq!(runs.json["runs"].as_array().map(Vec::len), Some(0), "no run was started: {}", runs.json);
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(rt.block_on(rolegate_tests::inventory(&cli.account)), Vec::<String>::new(), "nothing in AWS");

    let out = cli.run(&["apply", "-t", "seqera-aws-cloud", "--acknowledge-admin-access", "--propagation-timeout", "30"]);
    assert_eq!(out.code, 0, "{}\n{}", out.json, out.stderr);
    assert_eq!(out.json["status"], "verified", "{}", out.json);
    let rb = cli.run(&["rollback", out.json["run_id"].as_str().unwrap()]);
    assert_eq!(rb.code, 0, "{}", rb.json);
}
