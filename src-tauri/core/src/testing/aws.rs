//! An in-memory IAM and STS for unit tests of the runner. It keeps users, keys,
//! policies and roles, evaluates trust policies (exact principal or account root,
//! `sts:ExternalId` under StringEquals or StringLike) and can be told to answer a given
//! operation with an error a number of times, which is how tests play out IAM's
//! propagation delays, throttling and lost responses; it can also hold one call in
//! flight until the test releases it. The emulator scenarios prove the same paths
//! against a real IAM implementation; this one makes them fast and exact.
//!
//! Longer than 500 lines on purpose: one fake IAM and STS whose operations share one
//! state, one fault queue and one held-call gate; split by service would split the state.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::policy::glob_match;
use crate::ports::{
    AccessKeyMeta, AssumeRoleInput, AssumedRole, AwsError, AwsErrorKind, CallerIdentity, Clock, Connect, CreateRole, Credentials, Iam,
    KeyStatus, NewAccessKey, PolicyInfo, PolicyVersion, RoleInfo, SimulationResult, Sts, UserInfo,
};
use crate::validate::Tag;

use super::ManualClock;

/// Who signs a call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Signer {
    /// The bootstrap identity (user `boot`, allowed everything).
    Bootstrap,
    /// Long-lived or session credentials, checked on every call.
    Key { id: String, secret: String },
}

/// When an injected fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    /// The call fails and changes nothing.
    Refuse,
    /// The call takes effect, then the answer is lost (a timeout after the server acted).
    AfterEffect,
}

#[derive(Debug, Clone)]
struct Fault {
    operation: String,
    error: AwsError,
    remaining: u32,
    /// Matching calls to let through before the fault fires.
    skip: u32,
    mode: FaultMode,
    /// Only for calls signed by something other than the bootstrap identity.
    only_new_credentials: bool,
}

/// A call of one operation held at the door until the test lets it through: how a
/// test catches a step while its AWS call is in flight.
#[derive(Clone)]
pub struct Hold {
    inner: Arc<HoldState>,
}

struct HoldState {
    reached: tokio::sync::Notify,
    open: tokio::sync::watch::Sender<bool>,
}

impl Hold {
    /// Resolves once the held call has arrived (at once if it already has).
    pub async fn reached(&self) {
        self.inner.reached.notified().await
    }
    /// Let the held call go on.
    pub fn release(&self) {
        self.inner.open.send_replace(true);
    }
}

struct User {
    path: String,
    tags: Vec<Tag>,
    attached: Vec<String>,
    inline: BTreeMap<String, String>,
}

struct Key {
    user: String,
    secret: String,
    status: KeyStatus,
    created: time::OffsetDateTime,
}

struct Policy {
    name: String,
    path: String,
    tags: Vec<Tag>,
    /// Version ids; only `v1` is ever made (Rolegate never adds a version).
    versions: Vec<String>,
    default_version: String,
}

struct Role {
    path: String,
    trust: String,
    tags: Vec<Tag>,
    attached: Vec<String>,
}

struct Session {
    secret: String,
    arn: String,
}

#[derive(Default)]
struct State {
    users: BTreeMap<String, User>,
    keys: BTreeMap<String, Key>,
    policies: BTreeMap<String, Policy>,
    roles: BTreeMap<String, Role>,
    sessions: BTreeMap<String, Session>,
    faults: Vec<Fault>,
    holds: Vec<(String, Hold)>,
    calls: Vec<String>,
    counter: u64,
}

/// The fake account. Clone it freely: clones share state.
#[derive(Clone)]
pub struct FakeAws {
    account: String,
    clock: Arc<ManualClock>,
    state: Arc<Mutex<State>>,
    /// The account's organization (none unless a test makes one).
    pub org: super::organizations::FakeOrganizations,
    /// Its StackSets (OU targets read from `org`).
    pub stacksets: super::stacksets::FakeStackSets,
    /// The account's EKS clusters and IAM OIDC providers (none unless a test makes them).
    pub eks: super::eks::FakeEks,
}

fn err(kind: AwsErrorKind, op: &str, code: &str, message: impl Into<String>) -> AwsError {
    AwsError::new(kind, op, code, message)
}

fn not_found(op: &str, what: &str) -> AwsError {
    err(AwsErrorKind::NotFound, op, "NoSuchEntity", format!("The {what} cannot be found."))
}

impl FakeAws {
    pub fn new(account: &str, clock: Arc<ManualClock>) -> FakeAws {
        let org = super::organizations::FakeOrganizations::default();
        let stacksets = super::stacksets::FakeStackSets::new(org.clone());
        FakeAws { account: account.into(), clock, state: Arc::new(Mutex::new(State::default())), org, stacksets, eks: Default::default() }
    }

    /// Answer the next `times` calls of `operation` (`iam:CreateRole`, `sts:AssumeRole`)
    /// with `error`.
    pub fn fail(&self, operation: &str, times: u32, mode: FaultMode, error: AwsError) {
        self.push_fault(operation, 0, times, mode, error, false)
    }

    /// Like `fail`, after letting `skip` calls of `operation` through.
    pub fn fail_after(&self, operation: &str, skip: u32, times: u32, mode: FaultMode, error: AwsError) {
        self.push_fault(operation, skip, times, mode, error, false)
    }

    /// Like `fail`, but only for calls signed by credentials other than the bootstrap
    /// identity (how a new key or role looks before IAM has propagated it).
    pub fn fail_new_credentials(&self, operation: &str, times: u32, error: AwsError) {
        self.push_fault(operation, 0, times, FaultMode::Refuse, error, true)
    }

    fn push_fault(&self, operation: &str, skip: u32, times: u32, mode: FaultMode, error: AwsError, only_new_credentials: bool) {
        self.state.lock().unwrap().faults.push(Fault {
            operation: operation.into(),
            error,
            remaining: times,
            skip,
            mode,
            only_new_credentials,
        });
    }

    /// Hold the next call of `operation` (`iam:CreateAccessKey`, `iam:CreateUser`) after
    /// it has acted and before its answer arrives, until `Hold::release`.
    pub fn hold(&self, operation: &str) -> Hold {
        let hold =
            Hold { inner: Arc::new(HoldState { reached: tokio::sync::Notify::new(), open: tokio::sync::watch::Sender::new(false) }) };
        self.state.lock().unwrap().holds.push((operation.into(), hold.clone()));
        hold
    }

    /// Wait here if a test holds this call.
    async fn door(&self, operation: &str) {
        let hold = {
            let mut s = self.state.lock().unwrap();
            s.holds.iter().position(|(op, _)| op == operation).map(|i| s.holds.remove(i).1)
        };
        if let Some(h) = hold {
            h.inner.reached.notify_one();
            let mut open = h.inner.open.subscribe();
            let _ = open.wait_for(|o| *o).await;
        }
    }

    /// Drop every fault that has not fired yet.
    pub fn clear_faults(&self) {
        self.state.lock().unwrap().faults.clear();
    }

    /// Every operation called so far, in order (`iam:CreateUser`, ...).
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Everything that exists, one line each, sorted: what a test compares.
    pub fn inventory(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        let mut out = Vec::new();
        for (name, u) in &s.users {
            out.push(format!("user {name}"));
            out.extend(u.attached.iter().map(|a| format!("user {name} attached {a}")));
            out.extend(u.inline.keys().map(|p| format!("user {name} inline {p}")));
        }
        out.extend(s.keys.iter().map(|(id, k)| format!("key {id} of {}", k.user)));
        out.extend(s.policies.keys().map(|a| format!("policy {a}")));
        for (name, r) in &s.roles {
            out.push(format!("role {name}"));
            out.extend(r.attached.iter().map(|a| format!("role {name} attached {a}")));
        }
        out.sort();
        out
    }

    /// Make a user with keys, as someone else would have (no Rolegate tag).
    pub fn add_foreign_user(&self, name: &str, keys: usize) -> Vec<String> {
        let now = self.clock.now();
        let mut s = self.state.lock().unwrap();
        s.users.insert(name.into(), User { path: "/".into(), tags: Vec::new(), attached: Vec::new(), inline: BTreeMap::new() });
        (0..keys)
            .map(|_| {
                s.counter += 1;
                let id = format!("AKIAFOREIGN{:09}", s.counter);
                s.keys.insert(id.clone(), Key { user: name.into(), secret: "foreign".into(), status: KeyStatus::Active, created: now });
                id
            })
            .collect()
    }

    /// Add a key to an existing user directly (not through Rolegate).
    pub fn add_key(&self, user: &str) -> String {
        let now = self.clock.now();
        let mut s = self.state.lock().unwrap();
        s.counter += 1;
        let id = format!("AKIAHAND{:012}", s.counter);
        s.keys.insert(id.clone(), Key { user: user.into(), secret: "by-hand".into(), status: KeyStatus::Active, created: now });
        id
    }

    /// Replace a role's trust policy (to play out a person weakening it).
    pub fn set_trust(&self, role: &str, trust: &Value) {
        self.state.lock().unwrap().roles.get_mut(role).expect("role").trust = trust.to_string();
    }

    /// Replace a role's tags (to play out someone re-tagging it).
    pub fn set_role_tags(&self, role: &str, tags: Vec<Tag>) {
        self.state.lock().unwrap().roles.get_mut(role).expect("role").tags = tags;
    }

    /// A role's trust policy as IAM holds it.
    pub fn trust_of(&self, role: &str) -> String {
        self.state.lock().unwrap().roles.get(role).expect("role").trust.clone()
    }

    fn arn(&self, kind: &str, name: &str) -> String {
        format!("arn:aws:iam::{}:{kind}/{name}", self.account)
    }

    /// Log the call, check the signer, and fire a fault if one is due. `Ok(Some(e))`
    /// means: act, then answer `e`.
    fn enter(&self, signer: &Signer, op: &str) -> Result<Option<AwsError>, AwsError> {
        let mut s = self.state.lock().unwrap();
        s.calls.push(op.into());
        if let Signer::Key { id, secret } = signer {
            let known = match (s.keys.get(id), s.sessions.get(id)) {
                (Some(k), _) if k.status == KeyStatus::Active => Some(k.secret == *secret),
                (_, Some(sess)) => Some(sess.secret == *secret),
                _ => None,
            };
            match known {
                None => {
                    return Err(err(
                        AwsErrorKind::InvalidClientTokenId,
                        op,
                        "InvalidClientTokenId",
                        "The security token included in the request is invalid.",
                    ))
                }
                Some(false) => {
                    return Err(err(
                        AwsErrorKind::SignatureDoesNotMatch,
                        op,
                        "SignatureDoesNotMatch",
                        "The request signature does not match.",
                    ))
                }
                Some(true) => {}
            }
        }
        let bootstrap = *signer == Signer::Bootstrap;
        if let Some(f) = s.faults.iter_mut().find(|f| f.operation == op && f.remaining > 0 && !(f.only_new_credentials && bootstrap)) {
            if f.skip > 0 {
                f.skip -= 1;
                return Ok(None);
            }
            f.remaining -= 1;
            let mut e = f.error.clone();
            e.operation = op.into();
            return match f.mode {
                FaultMode::Refuse => Err(e),
                FaultMode::AfterEffect => Ok(Some(e)),
            };
        }
        Ok(None)
    }

    fn caller_arn(&self, signer: &Signer) -> String {
        match signer {
            Signer::Bootstrap => self.arn("user", "boot"),
            Signer::Key { id, .. } => {
                let s = self.state.lock().unwrap();
                match (s.keys.get(id), s.sessions.get(id)) {
                    (Some(k), _) => self.arn("user", &k.user),
                    (_, Some(sess)) => sess.arn.clone(),
                    _ => String::new(),
                }
            }
        }
    }

    fn client(&self, signer: Signer) -> Arc<FakeClient> {
        Arc::new(FakeClient { aws: self.clone(), signer })
    }

    fn signer_for(creds: &Credentials) -> Signer {
        Signer::Key { id: creds.access_key_id.clone(), secret: creds.secret_access_key.expose_secret().to_string() }
    }
}

impl Connect for FakeAws {
    fn iam(&self) -> Arc<dyn Iam> {
        self.client(Signer::Bootstrap)
    }
    fn sts(&self) -> Arc<dyn Sts> {
        self.client(Signer::Bootstrap)
    }
    fn iam_as(&self, creds: &Credentials) -> Arc<dyn Iam> {
        self.client(Self::signer_for(creds))
    }
    fn sts_as(&self, creds: &Credentials) -> Arc<dyn Sts> {
        self.client(Self::signer_for(creds))
    }
    fn organizations(&self) -> Arc<dyn crate::fleet::Organizations> {
        Arc::new(self.org.clone())
    }
    fn stacksets(&self) -> Arc<dyn crate::fleet::StackSets> {
        Arc::new(self.stacksets.clone())
    }
    fn eks(&self, region: &str) -> Arc<dyn crate::eks::Eks> {
        Arc::new(self.eks.in_region(region))
    }
    fn region(&self) -> String {
        "eu-west-1".into()
    }
}

/// One signer's view of the fake account.
pub struct FakeClient {
    aws: FakeAws,
    signer: Signer,
}

impl FakeClient {
    /// Run `f` on the state after `enter`; for after-effect faults, act and then fail.
    fn call<T>(&self, op: &str, f: impl FnOnce(&mut State, &FakeAws) -> Result<T, AwsError>) -> Result<T, AwsError> {
        let late = self.aws.enter(&self.signer, op)?;
        if self.signer != Signer::Bootstrap && op.starts_with("iam:") {
            let arn = self.aws.caller_arn(&self.signer);
            return Err(err(
                AwsErrorKind::AccessDenied,
                op,
                "AccessDenied",
                format!("User: {arn} is not authorized to perform: {op} on resource: *"),
            ));
        }
        let r = {
            let mut s = self.aws.state.lock().unwrap();
            f(&mut s, &self.aws)
        };
        match late {
            Some(e) => Err(e),
            None => r,
        }
    }
}

fn user_info(aws: &FakeAws, name: &str, u: &User) -> UserInfo {
    UserInfo { name: name.into(), arn: aws.arn("user", name), path: u.path.clone(), tags: u.tags.clone() }
}

fn role_info(aws: &FakeAws, name: &str, r: &Role) -> RoleInfo {
    RoleInfo { name: name.into(), arn: aws.arn("role", name), path: r.path.clone(), trust_policy: r.trust.clone(), tags: r.tags.clone() }
}

fn policy_info(s: &State, arn: &str, p: &Policy) -> PolicyInfo {
    let attachments = s.users.values().filter(|u| u.attached.iter().any(|a| a == arn)).count()
        + s.roles.values().filter(|r| r.attached.iter().any(|a| a == arn)).count();
    PolicyInfo {
        arn: arn.into(),
        name: p.name.clone(),
        path: p.path.clone(),
        default_version: p.default_version.clone(),
        attachment_count: attachments as u32,
        tags: p.tags.clone(),
    }
}

fn values(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    }
}

/// Whether a trust policy lets `caller` (in `account`) assume the role with `external_id`.
fn trust_allows(trust: &str, caller: &str, account: &str, external_id: Option<&str>) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(trust) else { return false };
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        v @ Value::Object(_) => vec![v.clone()],
        _ => Vec::new(),
    };
    let root = format!("arn:aws:iam::{account}:root");
    statements.iter().any(|st| {
        if st["Effect"] != "Allow" || !values(st.get("Action")).iter().any(|a| a == "sts:AssumeRole") {
            return false;
        }
        let principals = values(st.get("Principal").and_then(|p| p.get("AWS")));
        let star = st.get("Principal") == Some(&Value::String("*".into()));
        if !star && !principals.iter().any(|p| p == caller || p == &root || p == account) {
            return false;
        }
        let cond = st.get("Condition");
        let equals = values(cond.and_then(|c| c.get("StringEquals")).and_then(|c| c.get("sts:ExternalId")));
        let like = values(cond.and_then(|c| c.get("StringLike")).and_then(|c| c.get("sts:ExternalId")));
        if !equals.is_empty() && !external_id.is_some_and(|x| equals.iter().any(|e| e == x)) {
            return false;
        }
        if !like.is_empty() && !external_id.is_some_and(|x| like.iter().any(|p| glob_match(p, x))) {
            return false;
        }
        true
    })
}

#[async_trait]
impl Sts for FakeClient {
    async fn get_caller_identity(&self) -> Result<CallerIdentity, AwsError> {
        // Read before `call` takes the state lock (it is not re-entrant).
        let arn = self.aws.caller_arn(&self.signer);
        self.call("sts:GetCallerIdentity", |_, aws| Ok(CallerIdentity { account: aws.account.clone(), arn, user_id: "AIDAFAKE".into() }))
    }

    async fn assume_role(&self, input: &AssumeRoleInput) -> Result<AssumedRole, AwsError> {
        let op = "sts:AssumeRole";
        let caller = self.aws.caller_arn(&self.signer);
        let late = self.aws.enter(&self.signer, op)?;
        let mut s = self.aws.state.lock().unwrap();
        let name = input.role_arn.rsplit('/').next().unwrap_or_default();
        let denied = || {
            err(
                AwsErrorKind::AccessDenied,
                op,
                "AccessDenied",
                format!("User: {caller} is not authorized to perform: sts:AssumeRole on resource: {}", input.role_arn),
            )
        };
        let role = s.roles.get(name).ok_or_else(denied)?;
        if !trust_allows(&role.trust, &caller, &self.aws.account, input.external_id.as_deref()) {
            return Err(denied());
        }
        s.counter += 1;
        let id = format!("ASIAFAKE{:012}", s.counter);
        let secret = format!("session-secret-{}", s.counter);
        let arn = format!("arn:aws:sts::{}:assumed-role/{name}/{}", self.aws.account, input.session_name);
        s.sessions.insert(id.clone(), Session { secret: secret.clone(), arn: arn.clone() });
        if let Some(e) = late {
            return Err(e);
        }
        let credentials = Credentials {
            access_key_id: id,
            secret_access_key: SecretString::from(secret),
            session_token: Some(SecretString::from(format!("token-{}", s.counter))),
            expiration: Some(self.aws.clock.now() + time::Duration::hours(1)),
        };
        Ok(AssumedRole { credentials, arn })
    }
}

fn tags_of(tags: &[Tag]) -> Vec<Tag> {
    tags.to_vec()
}

#[async_trait]
impl Iam for FakeClient {
    async fn get_user(&self, name: &str) -> Result<Option<UserInfo>, AwsError> {
        self.call("iam:GetUser", |s, aws| Ok(s.users.get(name).map(|u| user_info(aws, name, u))))
    }
    async fn create_user(&self, name: &str, path: &str, tags: &[Tag]) -> Result<UserInfo, AwsError> {
        let made = self.call("iam:CreateUser", |s, aws| {
            if s.users.contains_key(name) {
                return Err(err(
                    AwsErrorKind::AlreadyExists,
                    "iam:CreateUser",
                    "EntityAlreadyExists",
                    format!("User {name} already exists."),
                ));
            }
            let u = User { path: path.into(), tags: tags_of(tags), attached: Vec::new(), inline: BTreeMap::new() };
            let info = user_info(aws, name, &u);
            s.users.insert(name.into(), u);
            Ok(info)
        });
        self.aws.door("iam:CreateUser").await;
        made
    }
    async fn delete_user(&self, name: &str) -> Result<(), AwsError> {
        let op = "iam:DeleteUser";
        self.call(op, |s, _| {
            let u = s.users.get(name).ok_or_else(|| not_found(op, "user"))?;
            if !u.attached.is_empty() || !u.inline.is_empty() || s.keys.values().any(|k| k.user == name) {
                return Err(err(
                    AwsErrorKind::DeleteConflict,
                    op,
                    "DeleteConflict",
                    "Cannot delete entity, must delete subordinate entities first.",
                ));
            }
            s.users.remove(name);
            Ok(())
        })
    }
    async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKeyMeta>, AwsError> {
        let op = "iam:ListAccessKeys";
        self.call(op, |s, _| {
            if !s.users.contains_key(user) {
                return Err(not_found(op, "user"));
            }
            Ok(s.keys
                .iter()
                .filter(|(_, k)| k.user == user)
                .map(|(id, k)| AccessKeyMeta { id: id.clone(), status: k.status, created: Some(k.created) })
                .collect())
        })
    }
    async fn create_access_key(&self, user: &str) -> Result<NewAccessKey, AwsError> {
        let op = "iam:CreateAccessKey";
        let made = self.call(op, |s, aws| {
            if !s.users.contains_key(user) {
                return Err(not_found(op, "user"));
            }
            if s.keys.values().filter(|k| k.user == user).count() >= 2 {
                return Err(err(AwsErrorKind::LimitExceeded, op, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2"));
            }
            s.counter += 1;
            let id = format!("AKIAFAKE{:012}", s.counter);
            let secret = format!("fake-secret-{:032}", s.counter);
            let created = aws.clock.now();
            s.keys.insert(id.clone(), Key { user: user.into(), secret: secret.clone(), status: KeyStatus::Active, created });
            Ok(NewAccessKey { id, secret: SecretString::from(secret), created: Some(created) })
        });
        self.aws.door(op).await;
        made
    }
    async fn update_access_key(&self, user: &str, id: &str, status: KeyStatus) -> Result<(), AwsError> {
        let op = "iam:UpdateAccessKey";
        self.call(op, |s, _| match s.keys.get_mut(id) {
            Some(k) if k.user == user => {
                k.status = status;
                Ok(())
            }
            _ => Err(not_found(op, "access key")),
        })
    }
    async fn delete_access_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        let op = "iam:DeleteAccessKey";
        self.call(op, |s, _| match s.keys.get(id) {
            Some(k) if k.user == user => {
                s.keys.remove(id);
                Ok(())
            }
            _ => Err(not_found(op, "access key")),
        })
    }
    async fn attach_user_policy(&self, user: &str, policy_arn: &str) -> Result<(), AwsError> {
        let op = "iam:AttachUserPolicy";
        self.call(op, |s, _| {
            let u = s.users.get_mut(user).ok_or_else(|| not_found(op, "user"))?;
            if !u.attached.iter().any(|a| a == policy_arn) {
                u.attached.push(policy_arn.into());
            }
            Ok(())
        })
    }
    async fn detach_user_policy(&self, user: &str, policy_arn: &str) -> Result<(), AwsError> {
        let op = "iam:DetachUserPolicy";
        self.call(op, |s, _| {
            let u = s.users.get_mut(user).ok_or_else(|| not_found(op, "user"))?;
            let before = u.attached.len();
            u.attached.retain(|a| a != policy_arn);
            if u.attached.len() == before {
                return Err(not_found(op, "attachment"));
            }
            Ok(())
        })
    }
    async fn list_attached_user_policies(&self, user: &str) -> Result<Vec<String>, AwsError> {
        let op = "iam:ListAttachedUserPolicies";
        self.call(op, |s, _| Ok(s.users.get(user).ok_or_else(|| not_found(op, "user"))?.attached.clone()))
    }
    async fn put_user_policy(&self, user: &str, name: &str, document: &str) -> Result<(), AwsError> {
        let op = "iam:PutUserPolicy";
        self.call(op, |s, _| {
            s.users.get_mut(user).ok_or_else(|| not_found(op, "user"))?.inline.insert(name.into(), document.into());
            Ok(())
        })
    }
    async fn delete_user_policy(&self, user: &str, name: &str) -> Result<(), AwsError> {
        let op = "iam:DeleteUserPolicy";
        self.call(op, |s, _| {
            s.users
                .get_mut(user)
                .ok_or_else(|| not_found(op, "user"))?
                .inline
                .remove(name)
                .map(|_| ())
                .ok_or_else(|| not_found(op, "policy"))
        })
    }
    async fn list_user_policies(&self, user: &str) -> Result<Vec<String>, AwsError> {
        let op = "iam:ListUserPolicies";
        self.call(op, |s, _| Ok(s.users.get(user).ok_or_else(|| not_found(op, "user"))?.inline.keys().cloned().collect()))
    }
    async fn get_policy(&self, arn: &str) -> Result<Option<PolicyInfo>, AwsError> {
        self.call("iam:GetPolicy", |s, _| Ok(s.policies.get(arn).map(|p| policy_info(s, arn, p))))
    }
    async fn create_policy(
        &self,
        name: &str,
        path: &str,
        _document: &str,
        _description: &str,
        tags: &[Tag],
    ) -> Result<PolicyInfo, AwsError> {
        let op = "iam:CreatePolicy";
        self.call(op, |s, aws| {
            let arn = aws.arn("policy", &format!("{}{name}", path.trim_start_matches('/')));
            if s.policies.contains_key(&arn) {
                return Err(err(AwsErrorKind::AlreadyExists, op, "EntityAlreadyExists", format!("A policy called {name} already exists.")));
            }
            let p = Policy {
                name: name.into(),
                path: path.into(),
                tags: tags_of(tags),
                versions: vec!["v1".into()],
                default_version: "v1".into(),
            };
            let info = policy_info(s, &arn, &p);
            s.policies.insert(arn, p);
            Ok(info)
        })
    }
    async fn list_policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersion>, AwsError> {
        let op = "iam:ListPolicyVersions";
        self.call(op, |s, _| {
            let p = s.policies.get(arn).ok_or_else(|| not_found(op, "policy"))?;
            Ok(p.versions.iter().map(|v| PolicyVersion { id: v.clone(), is_default: *v == p.default_version }).collect())
        })
    }
    async fn delete_policy_version(&self, arn: &str, version: &str) -> Result<(), AwsError> {
        let op = "iam:DeletePolicyVersion";
        self.call(op, |s, _| {
            let p = s.policies.get_mut(arn).ok_or_else(|| not_found(op, "policy"))?;
            if p.default_version == version {
                return Err(err(AwsErrorKind::DeleteConflict, op, "DeleteConflict", "Cannot delete the default version of a policy."));
            }
            p.versions.retain(|v| v != version);
            Ok(())
        })
    }
    async fn delete_policy(&self, arn: &str) -> Result<(), AwsError> {
        let op = "iam:DeletePolicy";
        self.call(op, |s, _| {
            let p = s.policies.get(arn).ok_or_else(|| not_found(op, "policy"))?;
            if policy_info(s, arn, p).attachment_count > 0 || p.versions.len() > 1 {
                return Err(err(
                    AwsErrorKind::DeleteConflict,
                    op,
                    "DeleteConflict",
                    "Cannot delete a policy attached to entities or with versions.",
                ));
            }
            s.policies.remove(arn);
            Ok(())
        })
    }
    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, AwsError> {
        self.call("iam:GetRole", |s, aws| Ok(s.roles.get(name).map(|r| role_info(aws, name, r))))
    }
    async fn create_role(&self, input: &CreateRole) -> Result<RoleInfo, AwsError> {
        let op = "iam:CreateRole";
        self.call(op, |s, aws| {
            if s.roles.contains_key(&input.name) {
                return Err(err(
                    AwsErrorKind::AlreadyExists,
                    op,
                    "EntityAlreadyExists",
                    format!("Role with name {} already exists.", input.name),
                ));
            }
            let r = Role { path: input.path.clone(), trust: input.trust_policy.clone(), tags: input.tags.clone(), attached: Vec::new() };
            let info = role_info(aws, &input.name, &r);
            s.roles.insert(input.name.clone(), r);
            Ok(info)
        })
    }
    async fn delete_role(&self, name: &str) -> Result<(), AwsError> {
        let op = "iam:DeleteRole";
        self.call(op, |s, _| {
            let r = s.roles.get(name).ok_or_else(|| not_found(op, "role"))?;
            if !r.attached.is_empty() {
                return Err(err(
                    AwsErrorKind::DeleteConflict,
                    op,
                    "DeleteConflict",
                    "Cannot delete entity, must detach all policies first.",
                ));
            }
            s.roles.remove(name);
            Ok(())
        })
    }
    async fn update_assume_role_policy(&self, role_name: &str, document: &str) -> Result<(), AwsError> {
        let op = "iam:UpdateAssumeRolePolicy";
        self.call(op, |s, _| {
            if serde_json::from_str::<Value>(document).is_err() {
                return Err(err(AwsErrorKind::MalformedPolicy, op, "MalformedPolicyDocument", "Syntax errors in policy."));
            }
            s.roles.get_mut(role_name).ok_or_else(|| not_found(op, "role"))?.trust = document.into();
            Ok(())
        })
    }
    async fn attach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        let op = "iam:AttachRolePolicy";
        self.call(op, |s, _| {
            let r = s.roles.get_mut(role).ok_or_else(|| not_found(op, "role"))?;
            if !r.attached.iter().any(|a| a == policy_arn) {
                r.attached.push(policy_arn.into());
            }
            Ok(())
        })
    }
    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), AwsError> {
        let op = "iam:DetachRolePolicy";
        self.call(op, |s, _| {
            let r = s.roles.get_mut(role).ok_or_else(|| not_found(op, "role"))?;
            let before = r.attached.len();
            r.attached.retain(|a| a != policy_arn);
            if r.attached.len() == before {
                return Err(not_found(op, "attachment"));
            }
            Ok(())
        })
    }
    async fn list_attached_role_policies(&self, role: &str) -> Result<Vec<String>, AwsError> {
        let op = "iam:ListAttachedRolePolicies";
        self.call(op, |s, _| Ok(s.roles.get(role).ok_or_else(|| not_found(op, "role"))?.attached.clone()))
    }
    async fn simulate_principal_policy(
        &self,
        _principal_arn: &str,
        _actions: &[String],
        _resources: &[String],
    ) -> Result<Vec<SimulationResult>, AwsError> {
        let op = "iam:SimulatePrincipalPolicy";
        self.call(op, |_, _| Err(err(AwsErrorKind::NotImplemented, op, "NotImplemented", "the fake does not simulate policies")))
    }
}
