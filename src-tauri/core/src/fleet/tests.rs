//! Unit tests of fleet targets against the in-memory Organizations: the tree, the
//! marks, and the refusals that name what the caller needs.

use std::sync::Arc;

use crate::error::{Frontend, RunError};
use crate::journal::FileJournalStore;
use crate::propagation::PollSettings;
use crate::testing::aws::FakeAws;
use crate::testing::organizations::ROOT;
use crate::testing::{FixedEntropy, ManualClock, MemoryVault};
use crate::Engine;

struct Rig {
    aws: FakeAws,
    engine: Engine,
    _dir: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let clock = Arc::new(ManualClock::new());
        let aws = FakeAws::new(CALLER, clock.clone());
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine {
            connect: Arc::new(aws.clone()),
            vault: Arc::new(MemoryVault::default()),
            store: Arc::new(FileJournalStore::new(dir.path())),
            fleets: Arc::new(crate::fleet::FleetStore::new(dir.path().join("fleets"))),
            clock,
            entropy: Arc::new(FixedEntropy::default()),
            events: Arc::new(|_: &crate::events::Event| {}),
            poll: PollSettings::default(),
        };
        Rig { aws, engine, _dir: dir }
    }
}

/// The rig's caller is account 111122223333.
const CALLER: &str = "111122223333";

#[tokio::test]
async fn targets_are_the_nested_tree_with_the_management_and_caller_accounts_marked() {
    let rig = Rig::new();
    let org = &rig.aws.org;
    org.create(CALLER);
    let apps = org.add_ou(ROOT, "Apps");
    let deep = org.add_ou(&apps, "Deep");
    let deeper = org.add_ou(&deep, "Deeper");
    org.add_ou(ROOT, "Empty");
    for (i, parent) in [&apps, &apps, &apps, &deep, &deeper].into_iter().enumerate() {
        org.add_account(parent, &format!("20000000000{i}"), &format!("acct-{i}"));
    }
    let t = rig.engine.fleet_targets().await.unwrap();
    assert_eq!((t.management_account_id.as_str(), t.caller_account_id.as_str(), t.caller_is_management), (CALLER, CALLER, true));
    let units: Vec<_> = t.units().iter().map(|u| u.name.as_str()).collect();
    assert_eq!(units, ["Apps", "Deep", "Deeper", "Empty"], "OUs at every depth, depth first, by name");
    assert_eq!(t.root.children[0].accounts.len(), 3);
    assert_eq!(t.root.children[0].children[0].children[0].accounts[0].id, "200000000004", "an account two OUs down");
    let management = t.management_account().unwrap();
    assert_eq!((management.id.as_str(), management.caller), (CALLER, true));
    assert_eq!(t.accounts().iter().filter(|a| a.management).count(), 1, "only the management account is marked so");
    assert_eq!(t.accounts().len(), 6);
}

#[tokio::test]
async fn an_account_in_no_organization_is_told_what_fleet_onboarding_needs() {
    let rig = Rig::new();
    let e = rig.engine.fleet_targets().await.unwrap_err();
    assert!(matches!(&e, RunError::NotOrganizationAdmin { management_account: None, .. }), "{e:?}");
    assert_eq!((e.code(), e.exit_code()), ("not-in-organization", 2));
    assert!(e.to_string().contains("account 111122223333 is not in an AWS Organization"), "{e}");
    assert!(e.hint(Frontend::Cli).unwrap().contains("management account"));
}

#[tokio::test]
async fn a_member_account_is_refused_with_the_management_account_and_the_delegation_named() {
    let rig = Rig::new();
    rig.aws.org.create("999999999999");
    rig.aws.org.read_as_member();
    let e = rig.engine.fleet_targets().await.unwrap_err();
    assert_eq!((e.code(), e.exit_code()), ("not-organization-admin", 2), "{e}");
    let message = e.to_string();
    assert!(message.contains("only the management account 999999999999"), "{message}");
    assert!(message.contains("AccessDeniedException"), "the AWS answer is kept: {message}");
    let hint = e.hint(Frontend::Cli).unwrap();
    assert!(hint.contains("register-delegated-administrator --account-id 111122223333"), "{hint}");
    assert!(hint.contains(crate::fleet::STACKSETS_SERVICE_PRINCIPAL));
    assert_eq!(rig.aws.org.calls(), ["organizations:DescribeOrganization", "organizations:ListRoots"], "nothing more is asked");
}

#[tokio::test]
async fn the_management_account_refused_by_its_own_iam_policy_gets_the_permission_named() {
    let rig = Rig::new();
    rig.aws.org.create(CALLER);
    let orgs = Arc::new(IamDenied(rig.aws.org.clone()));
    let mut engine = rig.engine.clone();
    engine.connect = Arc::new(WithOrgs { inner: rig.aws.clone(), orgs });
    let e = engine.fleet_targets().await.unwrap_err();
    assert_eq!(e.code(), "aws-access-denied", "{e}");
    assert!(e.to_string().contains("organizations:ListRoots"), "{e}");
}

/// Organizations whose ListRoots IAM denies (the caller's policy lacks it).
struct IamDenied(crate::testing::organizations::FakeOrganizations);

#[async_trait::async_trait]
impl super::Organizations for IamDenied {
    async fn describe_organization(&self) -> Result<super::Organization, crate::ports::AwsError> {
        self.0.describe_organization().await
    }
    async fn list_roots(&self) -> Result<Vec<super::OrgUnit>, crate::ports::AwsError> {
        Err(crate::ports::AwsError::new(
            crate::ports::AwsErrorKind::AccessDenied,
            "organizations:ListRoots",
            "AccessDeniedException",
            "User: arn:aws:iam::111122223333:user/boot is not authorized to perform: organizations:ListRoots on resource: *",
        ))
    }
    async fn list_organizational_units(&self, p: &str) -> Result<Vec<super::OrgUnit>, crate::ports::AwsError> {
        self.0.list_organizational_units(p).await
    }
    async fn list_accounts_for_parent(&self, p: &str) -> Result<Vec<super::OrgAccount>, crate::ports::AwsError> {
        self.0.list_accounts_for_parent(p).await
    }
}

struct WithOrgs {
    inner: crate::testing::aws::FakeAws,
    orgs: Arc<IamDenied>,
}

impl crate::ports::Connect for WithOrgs {
    fn iam(&self) -> Arc<dyn crate::ports::Iam> {
        self.inner.iam()
    }
    fn sts(&self) -> Arc<dyn crate::ports::Sts> {
        self.inner.sts()
    }
    fn iam_as(&self, c: &crate::ports::Credentials) -> Arc<dyn crate::ports::Iam> {
        self.inner.iam_as(c)
    }
    fn sts_as(&self, c: &crate::ports::Credentials) -> Arc<dyn crate::ports::Sts> {
        self.inner.sts_as(c)
    }
    fn organizations(&self) -> Arc<dyn super::Organizations> {
        self.orgs.clone()
    }
    fn stacksets(&self) -> Arc<dyn super::StackSets> {
        self.inner.stacksets()
    }
    fn region(&self) -> String {
        self.inner.region()
    }
}
