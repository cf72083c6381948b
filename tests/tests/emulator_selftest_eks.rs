//! The emulator's self-test for EKS (tests/emulator/rolegate_eks.py): what a
//! service-account role is planned from must be what AWS gives. Each cluster has an OIDC
//! issuer of its own (`https://oidc.eks.REGION.amazonaws.com/id/` and 32 upper-case hex
//! digits), as AWS gives it, where stock moto gives every cluster the same one; the
//! cluster's authentication mode is kept; and the account's IAM OIDC providers read back
//! with their URL and audiences through Rolegate's own adapter. EKS is a REST service:
//! its GETs carry no body, and are checked over an empty payload and their query string
//! as AWS checks them (moto signs its parsed headers instead and refuses every one), and
//! a refusal is written as AWS's REST-JSON services write it.

use rolegate_aws::AwsConnect;
use rolegate_core::ports::{AwsErrorKind, Connect, Credentials};
use rolegate_tests::{emulator, Harness};
use secrecy::SecretString;

fn is_issuer_of(issuer: &str, region: &str) -> bool {
    let Some(id) = issuer.strip_prefix(&format!("https://oidc.eks.{region}.amazonaws.com/id/")) else { return false };
    id.len() == 32 && id.chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
}

#[tokio::test(flavor = "multi_thread")]
async fn emulator_gives_each_cluster_its_own_oidc_issuer_like_aws() {
    let h = Harness::new();
    let emu = emulator();
    let a = emu.eks_cluster(&h.account, "eu-central-1", "alpha", None);
    let b = emu.eks_cluster(&h.account, "eu-central-1", "beta", Some("API"));
    let c = emu.eks_cluster(&h.account, "us-east-2", "gamma", Some("API_AND_CONFIG_MAP"));
    assert!(is_issuer_of(&a, "eu-central-1") && is_issuer_of(&b, "eu-central-1") && is_issuer_of(&c, "us-east-2"), "{a} {b} {c}");
    assert!(a != b, "two clusters of one region share the issuer {a}");

    // Read through Rolegate's adapter, in the cluster's own region.
    let eks = h.connect.eks("eu-central-1");
    let alpha = eks.describe_cluster("alpha").await.unwrap().expect("alpha exists");
    assert_eq!(alpha.oidc_issuer.as_deref(), Some(a.as_str()));
    assert_eq!(alpha.arn, format!("arn:aws:eks:eu-central-1:{}:cluster/alpha", h.account.id));
    // A cluster made through the API without accessConfig is CONFIG_MAP, as in AWS.
    assert_eq!(alpha.authentication_mode.as_deref(), Some("CONFIG_MAP"));
    assert_eq!(eks.describe_cluster("beta").await.unwrap().unwrap().authentication_mode.as_deref(), Some("API"));
    let gamma = h.connect.eks("us-east-2").describe_cluster("gamma").await.unwrap().unwrap();
    assert_eq!(gamma.authentication_mode.as_deref(), Some("API_AND_CONFIG_MAP"));
    // Another region, or no such cluster: not found (ResourceNotFoundException), not an error.
    assert_eq!(eks.describe_cluster("gamma").await.unwrap(), None);
    assert_eq!(eks.describe_cluster("nope").await.unwrap(), None);

    // A GET with a query string is checked like any other request, and a wrong secret is
    // refused as EKS refuses it (403, InvalidSignatureException).
    let listed = emu.boto3(
        &h.account.creds,
        r#"
eks = boto3.client("eks", endpoint_url=sys.argv[1], region_name="eu-central-1")
out = sorted(eks.list_clusters(maxResults=10)["clusters"])
"#,
        serde_json::json!({}),
    );
    assert_eq!(listed, serde_json::json!(["alpha", "beta"]));
    let wrong = Credentials::long_lived(h.account.creds.access_key_id.clone(), SecretString::from("x".repeat(40)));
    let e = AwsConnect::with_static(&emu.url, "eu-west-1", &wrong).eks("eu-central-1").describe_cluster("alpha").await.unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (AwsErrorKind::SignatureDoesNotMatch, "InvalidSignatureException"), "{e}");

    // A mode AWS does not have is refused.
    let refused = emu.boto3(
        &h.account.creds,
        r#"
eks = boto3.client("eks", endpoint_url=sys.argv[1], region_name="eu-central-1")
try:
    eks.create_cluster(name="delta", roleArn="arn:aws:iam::%s:role/r" % args["account"], resourcesVpcConfig={"subnetIds": []}, accessConfig={"authenticationMode": "OPEN"})
    out = "made"
except Exception as e:
    out = code(e)
"#,
        serde_json::json!({"account": h.account.id}),
    );
    assert_eq!(refused, "InvalidParameterException");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_accounts_oidc_providers_read_back_with_their_url_and_audiences() {
    let h = Harness::new();
    let emu = emulator();
    let issuer = emu.eks_cluster(&h.account, "eu-central-1", "pipelines", None);
    let eks = h.connect.eks("eu-central-1");
    assert_eq!(eks.oidc_providers().await.unwrap(), vec![]);
    let arn = emu.oidc_provider(&h.account, &issuer, &["sts.amazonaws.com"]);
    let host = issuer.trim_start_matches("https://");
    assert_eq!(arn, format!("arn:aws:iam::{}:oidc-provider/{host}", h.account.id));
    let listed = eks.oidc_providers().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].arn.as_str(), listed[0].url.as_str()), (arn.as_str(), host));
    assert_eq!(listed[0].client_ids, ["sts.amazonaws.com"]);
}

/// Access entries, which moto lacks, answer as in AWS: only on a cluster whose
/// authentication mode admits the API, only for a principal of the account that exists,
/// one per principal, with their username, groups and tags; access policies associate
/// for namespaces and go with the entry. A principal ARN with a path travels
/// percent-encoded in the URL, and is signed so.
#[tokio::test(flavor = "multi_thread")]
async fn emulator_answers_access_entries_like_aws() {
    use rolegate_core::eks::AccessEntry;
    use rolegate_core::validate::Tag;
    let h = Harness::new();
    let emu = emulator();
    emu.eks_cluster(&h.account, "eu-central-1", "api", Some("API"));
    emu.eks_cluster(&h.account, "eu-central-1", "configmap", None);
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": []});
    let role = rolegate_tests::create_role(h.iam().as_ref(), "launcher", &trust).await.unwrap();
    let eks = h.connect.eks("eu-central-1");
    let entry = AccessEntry {
        principal_arn: role.clone(),
        username: "tower-launcher-role".into(),
        kubernetes_groups: vec!["tower-launcher-role".into()],
        tags: vec![Tag::new("rolegate:run-id", "rg-selftest")],
    };
    assert_eq!(eks.describe_access_entry("api", &role).await.unwrap(), None);
    eks.create_access_entry("api", &entry).await.unwrap();
    assert_eq!(eks.describe_access_entry("api", &role).await.unwrap().as_ref(), Some(&entry));
    let again = eks.create_access_entry("api", &entry).await.unwrap_err();
    assert_eq!(again.code, "ResourceInUseException", "{again}");
    let config_map = eks.create_access_entry("configmap", &entry).await.unwrap_err();
    assert_eq!(config_map.code, "InvalidRequestException", "{config_map}");
    assert!(config_map.message.contains("API, API_AND_CONFIG_MAP"), "{config_map}");
    let nobody = AccessEntry { principal_arn: format!("arn:aws:iam::{}:role/nobody", h.account.id), ..entry.clone() };
    assert_eq!(eks.create_access_entry("api", &nobody).await.unwrap_err().code, "InvalidParameterException");

    let edit = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
    eks.associate_access_policy("api", &role, edit, &["tower-nf".to_string()]).await.unwrap();
    assert_eq!(eks.associated_access_policies("api", &role).await.unwrap(), vec![(edit.to_string(), vec!["tower-nf".to_string()])]);

    eks.delete_access_entry("api", &role).await.unwrap();
    assert_eq!(eks.describe_access_entry("api", &role).await.unwrap(), None);
    let gone = eks.delete_access_entry("api", &role).await.unwrap_err();
    assert_eq!(gone.kind, AwsErrorKind::NotFound, "{gone}");
    // A second entry for the same principal starts without the old one's policies.
    eks.create_access_entry("api", &entry).await.unwrap();
    assert_eq!(eks.associated_access_policies("api", &role).await.unwrap(), vec![]);
}
