//! EKS set-up for the tests, through boto3 against the emulator: a cluster of the
//! account (in a region, with an authentication mode) and the account's IAM OIDC
//! provider for a cluster's issuer, as a person would have made them before onboarding.

use serde_json::json;

use crate::{Account, Emulator};

impl Emulator {
    /// Make EKS cluster `name` in `region` of `account` (authentication mode `mode`, the
    /// API's default when None); its OIDC issuer URL.
    pub fn eks_cluster(&self, account: &Account, region: &str, name: &str, mode: Option<&str>) -> String {
        let script = r#"
eks = boto3.client("eks", endpoint_url=sys.argv[1], region_name=args["region"])
extra = {"accessConfig": {"authenticationMode": args["mode"]}} if args["mode"] else {}
role = "arn:aws:iam::%s:role/eks-cluster-role" % args["account"]
eks.create_cluster(name=args["name"], roleArn=role, resourcesVpcConfig={"subnetIds": []}, **extra)
out = eks.describe_cluster(name=args["name"])["cluster"]["identity"]["oidc"]["issuer"]
"#;
        let out = self.boto3(&account.creds, script, json!({"region": region, "name": name, "mode": mode, "account": account.id}));
        out.as_str().expect("the cluster's issuer").to_string()
    }

    /// Make the account's IAM OIDC provider for `issuer`, accepting `audiences`; its ARN.
    pub fn oidc_provider(&self, account: &Account, issuer: &str, audiences: &[&str]) -> String {
        let script = r#"
out = iam.create_open_id_connect_provider(Url=args["issuer"], ClientIDList=args["audiences"], ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"])["OpenIDConnectProviderArn"]
"#;
        let out = self.boto3(&account.creds, script, json!({"issuer": issuer, "audiences": audiences}));
        out.as_str().expect("the provider's ARN").to_string()
    }
}
