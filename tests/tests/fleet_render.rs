//! The StackSet template Rolegate renders from a plan, deployed by the emulator's
//! StackSets to the accounts of an OU: each account gets the plan's role, trust and
//! policy with its own ARNs, the External ID its instance was given, and the fleet's tag.

use rolegate_core::fleet::{stackset_template, FLEET_TAG};
use rolegate_core::plan::RunInputs;
use rolegate_core::template::find_builtin;
use rolegate_tests::{emulator, Harness};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn a_rendered_stackset_lands_in_every_account_with_its_own_arns_and_external_id() {
    let h = Harness::new();
    let emu = emulator();
    let org = emu.organization(&h.account, &[("Apps", 2)]);
    let template = find_builtin("seqera-batch-forge-role").unwrap();
    let inputs = RunInputs {
        template_id: template.id.clone(),
        region: "eu-west-1".into(),
        path: "/".into(),
        variables: [("work_bucket".to_string(), "fleet-work".to_string())].into(),
        ..Default::default()
    };
    let plan = h.engine.plan(&template, &inputs).await.unwrap();
    let rendered = stackset_template(&plan, "fl-render").unwrap();
    assert_eq!(rendered.parameters.len(), 1);

    let script = r#"
cfn.create_stack_set(StackSetName="render", TemplateBody=args["body"], PermissionModel="SERVICE_MANAGED",
                     AutoDeployment={"Enabled": False}, Capabilities=args["capabilities"])
op = cfn.create_stack_instances(StackSetName="render", DeploymentTargets={"OrganizationalUnitIds": [args["ou"]]},
                                Regions=["eu-west-1"], ParameterOverrides=[{"ParameterKey": "ExternalId", "ParameterValue": "fleet-xid-1"}])["OperationId"]
seen = wait("render", op)
results = {r["Account"]: [r["Status"], r.get("StatusReason", "")] for r in cfn.list_stack_set_operation_results(StackSetName="render", OperationId=op)["Summaries"]}
sts = client("sts")
accounts = {}
for account in results:
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="check")["Credentials"]
    member = boto3.client("iam", endpoint_url=sys.argv[1], region_name="eu-west-1", aws_access_key_id=c["AccessKeyId"],
                          aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    role = member.get_role(RoleName=args["role"])["Role"]
    attached = [p["PolicyArn"] for p in member.list_attached_role_policies(RoleName=args["role"])["AttachedPolicies"]]
    docs = []
    for arn in attached:
        version = member.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        docs.append(member.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])
    accounts[account] = {"arn": role["Arn"], "trust": role["AssumeRolePolicyDocument"], "tags": role.get("Tags", []),
                         "attached": attached, "docs": docs}
out = {"seen": seen, "results": results, "accounts": accounts}
"#;
    let role = &plan.roles[0];
    let args = json!({"body": rendered.body, "capabilities": rendered.capabilities, "ou": org.ous["Apps"], "role": role.name});
    let v = emu.boto3(&h.account.creds, script, args);
    assert_eq!(v["seen"].as_array().unwrap().last().unwrap(), "SUCCEEDED", "{v}");
    let mut members = org.accounts_in("Apps");
    members.sort();
    let mut reached: Vec<String> = v["accounts"].as_object().unwrap().keys().cloned().collect();
    reached.sort();
    assert_eq!(reached, members, "every account of the OU: {v}");

    let mut expected_trust = role.trust_policy.clone();
    expected_trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = json!("fleet-xid-1");
    let own_policy = &plan.policies[0];
    for account in &members {
        let a = &v["accounts"][account];
        assert_eq!(v["results"][account][0], "SUCCEEDED", "{account}: {}", v["results"][account]);
        assert_eq!(a["arn"], format!("arn:aws:iam::{account}:role/{}", role.name));
        assert_eq!(a["trust"], expected_trust, "the plan's trust with the External ID the instance was given");
        assert_eq!(a["attached"], json!([format!("arn:aws:iam::{account}:policy/{}", own_policy.name)]), "{account}");
        let doc = a["docs"][0].clone();
        let text = doc.to_string();
        assert!(!text.contains(&plan.account), "no ARN of the planning account in {account}'s policy: {text}");
        assert!(text.contains(&format!("arn:aws:iam::{account}:role/*")), "the account's own ARNs: {text}");
        let planned = own_policy.document.to_string().replace(&format!(":{}:", plan.account), &format!(":{account}:"));
        assert_eq!(doc, serde_json::from_str::<Value>(&planned).unwrap(), "the planned document with the account's ARNs");
        let tags = a["tags"].as_array().unwrap();
        assert!(tags.contains(&json!({"Key": FLEET_TAG, "Value": "fl-render"})), "{tags:?}");
        assert!(!tags.iter().any(|t| t["Key"] == "rolegate:run-id"), "{tags:?}");
    }
}
