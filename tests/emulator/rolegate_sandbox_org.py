"""The Sandbox's organization, for the Fleet screen and `rolegate fleet` in the Sandbox:
unless the Sandbox account is in an organization, make it the management account of one
with a few OUs (one nested) and member accounts, through the emulator's Organizations API.
Each new account gets the OrganizationAccountAccessRole that fleet verification assumes,
as in AWS. The app runs this (src-tauri/src/sandbox_org.rs embeds it) and so does
scripts/run.sh; the administrator's key comes in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.

Usage: rolegate_sandbox_org.py URL   (prints {"made": bool, "ous": N, "accounts": N})
"""
import json, sys
import boto3
url = sys.argv[1]
layout = [("Workloads", 2), ("Workloads/Dev", 1), ("Security", 1)]
org = boto3.client("organizations", endpoint_url=url, region_name="us-east-1")
try:
    org.describe_organization()
    print(json.dumps({"made": False}))
    sys.exit(0)
except org.exceptions.AWSOrganizationsNotInUseException:
    pass
org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
ous, accounts = {"": root}, 0
for path, count in layout:
    parent, name = path.rpartition("/")[0], path.rpartition("/")[2]
    ous[path] = org.create_organizational_unit(ParentId=ous[parent], Name=name)["OrganizationalUnit"]["Id"]
    for i in range(count):
        label = (path.replace("/", "-") + f"-{i + 1}").lower()
        made = org.create_account(AccountName=label, Email=f"{label}@sandbox.example.com")["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=made, SourceParentId=root, DestinationParentId=ous[path])
        accounts += 1
print(json.dumps({"made": True, "ous": len(ous) - 1, "accounts": accounts}))
