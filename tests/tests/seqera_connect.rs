//! A run handed to Seqera Platform end to end (`Engine::connect_seqera`): the emulator for
//! AWS, the Seqera stand-in (which checks every request against Seqera's API document,
//! generates External IDs and probes AWS on validate as Seqera does) and the real
//! keychain. Each scenario checks what exists on both sides afterwards. Without the
//! platform's verdict (it cannot reach AWS), a role only it can assume leaves the run
//! awaiting its check.

use std::sync::Arc;

use async_trait::async_trait;
use rolegate_core::checks::CheckStatus;
use rolegate_core::engine::trust::ExternalIdOptions;
use rolegate_core::engine::{PlatformApi, SeqeraOptions};
use rolegate_core::journal::{FileJournalStore, RunStatus};
use rolegate_core::plan::RunInputs;
use rolegate_core::platform::{
    NewCredential, PlatformCredential, PlatformError, PlatformErrorKind, PlatformUser, PlatformValidation, SeqeraApi, Workspace,
};
use rolegate_core::ports::{vault_entry, Vault};
use rolegate_core::template::find_builtin;
use rolegate_core::testing::CrashingStore;
use rolegate_core::{ApplyOptions, RollbackOptions, RunError};
use rolegate_seqera::SeqeraClient;
use rolegate_tests::seqera::{seqera, SeqeraUser};
use rolegate_tests::{sdk_iam, Harness};
use rolegate_vault::Keychain;
use secrecy::SecretString;

fn client(token: &str) -> Arc<dyn SeqeraApi> {
    Arc::new(SeqeraClient::new(&seqera().url, SecretString::from(token.to_string())).unwrap())
}

/// An applied run of `template` and a Seqera user with the workspace `acme/WS`.
async fn applied(template: &str, ws: &str) -> (Harness, String, SeqeraUser) {
    let h = Harness::new();
    let t = find_builtin(template).unwrap();
    let inp = RunInputs { template_id: template.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let plan = h.engine.plan(&t, &inp).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan, inp).unwrap();
    let j = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    (h, run_id, seqera().user(&[("acme", ws)]))
}

fn opts(ws: &str) -> SeqeraOptions {
    SeqeraOptions { workspace: format!("acme/{ws}"), credential_name: None }
}

fn live_trust_external_id(doc: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(doc).ok()?;
    v["Statement"].as_array()?.iter().find_map(|s| s["Condition"]["StringEquals"]["sts:ExternalId"].as_str().map(String::from))
}

async fn live_trust(h: &Harness, role: &str) -> String {
    h.iam().get_role(role).await.unwrap().expect("role").trust_policy
}

/// Rolls the run back with the platform and checks that both sides are empty.
async fn rolled_back_to_zero(h: &Harness, run_id: &str, api: &Arc<dyn SeqeraApi>, wid: i64) {
    let rb = h.engine.rollback(run_id, &RollbackOptions { platform: Some(PlatformApi(api.clone())), ..Default::default() }).await.unwrap();
    assert!(rb.kept.is_empty(), "{:?}", rb.kept);
    assert!(rb.deleted.iter().any(|d| d.starts_with("Seqera Platform")), "{:?}", rb.deleted);
    assert!(seqera().credentials_in(wid).is_empty(), "rollback deletes the Seqera credential");
    assert_eq!(h.inventory().await, Vec::<String>::new(), "rollback leaves nothing in AWS");
}

#[tokio::test(flavor = "multi_thread")]
async fn role_mode_takes_seqeras_external_id_and_seqera_confirms_the_role() {
    let (h, run_id, user) = applied("seqera-cloud-role", "cloud").await;
    let api = client(&user.token);
    let wid = user.workspaces[0].0;
    let made_up = h.engine.journal(&run_id).unwrap().plan.roles[0].external_id.clone();

    let c = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("cloud")).await.unwrap();
    assert_eq!(c.validation, PlatformValidation::Available, "{c:#?}");
    let held = seqera().credentials_in(wid);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["id"], c.credential_id.as_str());
    assert_eq!(held[0]["keys"]["mode"], "role");
    let external = c.external_id.clone().expect("Seqera generated the External ID");
    assert_ne!(external, made_up, "the platform's value, not the one Rolegate made up");
    let role = h.engine.journal(&run_id).unwrap().plan.roles[0].clone();
    assert_eq!(live_trust_external_id(&live_trust(&h, &role.name).await).as_deref(), Some(external.as_str()));
    assert_eq!(role.external_id, external, "the journal's plan took the platform's value");
    let check = c.verification.checks.iter().find(|c| c.id == "platform-validate").expect("the platform's check");
    assert_eq!(check.status, CheckStatus::Passed, "{check:?}");
    assert_eq!(c.status, RunStatus::Verified);
    let j = h.engine.journal(&run_id).unwrap();
    assert_eq!(j.platform.len(), 1);
    assert_eq!(j.platform[0].credential_id.as_deref(), Some(c.credential_id.as_str()));
    assert_eq!(j.platform[0].validation, Some(PlatformValidation::Available));

    // Asked again: the same credential, nothing new on the platform.
    let again = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("cloud")).await.unwrap();
    assert!(again.reused);
    assert_eq!(again.credential_id, c.credential_id);
    assert!(again.external_id_change.is_none(), "the trust already holds the value");
    assert_eq!(seqera().credentials_in(wid).len(), 1);
    rolled_back_to_zero(&h, &run_id, &api, wid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_and_role_mode_sends_the_key_and_never_lets_the_secret_or_token_out() {
    let (h, run_id, user) = applied("seqera-batch-launch", "launch").await;
    let api = client(&user.token);
    let wid = user.workspaces[0].0;
    let c = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("launch")).await.unwrap();
    assert_eq!(c.validation, PlatformValidation::Available, "{c:#?}");
    let change = c.external_id_change.as_ref().expect("Seqera generated an External ID for the assume-role ARN");
    assert!(change.waited, "the run's own key can watch the new trust take effect");
    let held = seqera().credentials_in(wid);
    let j = h.engine.journal(&run_id).unwrap();
    let key = j.access_key_id.clone().unwrap();
    assert_eq!(held[0]["keys"]["accessKey"], key.as_str());
    assert_eq!(held[0]["name"], format!("rolegate-seqera-batch-launch-{run_id}").as_str(), "the default name");
    assert_eq!(held[0]["keys"]["assumeRoleArn"], j.plan.roles[0].arn.as_str());
    assert_eq!(held[0]["keys"]["externalId"].as_str(), c.external_id.as_deref());
    assert_eq!(c.status, RunStatus::Verified, "{:#?}", c.verification.checks);

    let secret = Keychain::with_service(&h.keychain_service).get(&vault_entry(&key)).await.unwrap().expect("secret");
    let secret = secrecy::ExposeSecret::expose_secret(&secret).to_string();
    let mut said = vec![
        serde_json::to_string(&h.events.events()).unwrap(),
        format!("{:?}", h.events.events()),
        format!("{c:?}"),
        serde_json::to_string(&c).unwrap(),
        format!("{api:?}", api = PlatformApi(api.clone())),
    ];
    for entry in rolegate_tests::files_under(h.home.path()) {
        said.push(String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned());
    }
    for (i, text) in said.iter().enumerate() {
        assert!(!text.contains(&secret), "output {i} holds the run's secret access key");
        assert!(!text.contains(&user.token), "output {i} holds the Seqera token");
    }
    rolled_back_to_zero(&h, &run_id, &api, wid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_external_id_is_invalid_with_the_fix_and_set_external_id_makes_it_available() {
    let (h, run_id, user) = applied("seqera-cloud-role", "stale").await;
    let api = client(&user.token);
    let wid = user.workspaces[0].0;
    let c = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("stale")).await.unwrap();
    assert_eq!(c.validation, PlatformValidation::Available);
    let seqeras = c.external_id.unwrap();
    let role = h.engine.journal(&run_id).unwrap().plan.roles[0].name.clone();

    // Someone puts an old value back into the trust policy by hand.
    let stale = live_trust(&h, &role).await.replace(&seqeras, "an-old-external-id");
    sdk_iam(&h.account).update_assume_role_policy().role_name(&role).policy_document(stale).send().await.unwrap();
    let c = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("stale")).await.unwrap();
    let PlatformValidation::Invalid { message } = &c.validation else { panic!("a stale trust is INVALID: {:?}", c.validation) };
    assert!(!message.is_empty());
    let check = c.verification.checks.iter().find(|c| c.id == "platform-validate").unwrap();
    assert_eq!(check.status, CheckStatus::Failed);
    let fix = check.fix.as_deref().unwrap();
    assert!(fix.contains(&seqeras) && fix.contains("set-external-id"), "{fix}");
    assert_eq!(c.status, RunStatus::VerifyFailed);

    h.engine.set_external_id(&run_id, None, &seqeras, &ExternalIdOptions { verify: false }).await.unwrap();
    let c = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("stale")).await.unwrap();
    assert_eq!(c.validation, PlatformValidation::Available);
    assert_eq!(c.status, RunStatus::Verified);
    rolled_back_to_zero(&h, &run_id, &api, wid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_a_missing_workspace_and_a_taken_name_make_nothing() {
    let (h, run_id, user) = applied("seqera-batch-forge", "forge").await;
    let wid = user.workspaces[0].0;
    let api = client(&user.token);

    let e = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("elsewhere")).await.unwrap_err();
    let RunError::Invalid(errs) = &e else { panic!("{e}") };
    assert_eq!((errs[0].field.as_str(), errs[0].rule.as_str()), ("workspace", "unknown-workspace"));
    assert!(errs[0].message.contains("acme/forge"), "names the workspaces there are: {}", errs[0].message);

    let e = h.engine.connect_seqera(api.as_ref(), &run_id, &SeqeraOptions { workspace: "acme".into(), credential_name: None }).await;
    let Err(RunError::Invalid(errs)) = e else { panic!("{e:?}") };
    assert_eq!(errs[0].rule, "org-workspace");

    // A name someone already uses in the workspace.
    let other = NewCredential {
        name: "taken-name".into(),
        description: None,
        keys: rolegate_core::platform::CredentialKeys::AwsRole { role_arn: "arn:aws:iam::123456789012:role/other".into() },
    };
    api.create_credential(wid, &other).await.unwrap();
    let named = SeqeraOptions { workspace: "acme/forge".into(), credential_name: Some("taken-name".into()) };
    let e = h.engine.connect_seqera(api.as_ref(), &run_id, &named).await.unwrap_err();
    let RunError::Invalid(errs) = &e else { panic!("{e}") };
    assert_eq!((errs[0].field.as_str(), errs[0].rule.as_str()), ("credential_name", "name-taken"));
    assert_eq!(seqera().credentials_in(wid).len(), 1, "only the other credential");
    assert!(h.engine.journal(&run_id).unwrap().platform.is_empty(), "nothing recorded: nothing made");

    seqera().revoke(&user.token);
    let e = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("forge")).await.unwrap_err();
    assert!(matches!(e, RunError::PlatformTokenRefused { .. }), "{e}");
    assert!(!e.to_string().contains(&user.token));
    assert_eq!(seqera().credentials_in(wid).len(), 1);
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::Applied, "the run is untouched");
    let rb = h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert!(rb.kept.is_empty(), "{:?}", rb.kept);
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_any_journal_write_of_the_connection_it_resumes_and_rolls_back_both_sides() {
    let mut n = 1;
    loop {
        let (h, run_id, user) = applied("seqera-cloud-role", &format!("kill{n}")).await;
        let ws = format!("kill{n}");
        let api = client(&user.token);
        let wid = user.workspaces[0].0;
        let store = Arc::new(CrashingStore::new(FileJournalStore::new(h.home.path().join("runs")), n));
        let crashing = Harness::engine_with(&h.connect, &h.keychain_service, h.events.sink(), store);
        match crashing.connect_seqera(api.as_ref(), &run_id, &opts(&ws)).await {
            Err(RunError::Store(_)) => {}
            Err(e) => panic!("after write {n}: {e}"),
            Ok(_) => {
                assert!(n > 4, "a connection writes the journal several times");
                break;
            }
        }
        let c = h.engine.connect_seqera(api.as_ref(), &run_id, &opts(&ws)).await.unwrap_or_else(|e| panic!("resume after write {n}: {e}"));
        assert_eq!(c.validation, PlatformValidation::Available, "after write {n}");
        assert_eq!(seqera().credentials_in(wid).len(), 1, "after write {n}: one credential, not two");
        rolled_back_to_zero(&h, &run_id, &api, wid).await;
        n += 1;
    }
}

/// A platform that misbehaves one way, passing everything else through.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// It makes the credential, but its answer is lost on the way back.
    CreateAnswerLost,
    /// It cannot reach AWS when asked to check the credential (`transientError`).
    CloudUnreachable,
    /// It describes the credential with another role than the one sent.
    OtherRole,
}

struct Faulty(Arc<dyn SeqeraApi>, Fault);

#[async_trait]
impl SeqeraApi for Faulty {
    fn url(&self) -> &str {
        self.0.url()
    }
    async fn user(&self) -> Result<PlatformUser, PlatformError> {
        self.0.user().await
    }
    async fn workspaces(&self, user_id: i64) -> Result<Vec<Workspace>, PlatformError> {
        self.0.workspaces(user_id).await
    }
    async fn check_name(&self, workspace_id: i64, name: &str) -> Result<(), PlatformError> {
        self.0.check_name(workspace_id, name).await
    }
    async fn create_credential(&self, workspace_id: i64, credential: &NewCredential) -> Result<String, PlatformError> {
        let id = self.0.create_credential(workspace_id, credential).await?;
        if self.1 == Fault::CreateAnswerLost {
            return Err(PlatformError::new(PlatformErrorKind::Network, "POST /credentials", None, "the connection failed"));
        }
        Ok(id)
    }
    async fn credential(&self, workspace_id: i64, id: &str) -> Result<PlatformCredential, PlatformError> {
        let mut c = self.0.credential(workspace_id, id).await?;
        if self.1 == Fault::OtherRole {
            c.assume_role_arn = Some("arn:aws:iam::999999999999:role/someone-else".into());
        }
        Ok(c)
    }
    async fn validate_credential(&self, workspace_id: i64, id: &str) -> Result<PlatformValidation, PlatformError> {
        if self.1 == Fault::CloudUnreachable {
            return Ok(PlatformValidation::Transient { message: "AWS could not be reached".into() });
        }
        self.0.validate_credential(workspace_id, id).await
    }
    async fn delete_credential(&self, workspace_id: i64, id: &str) -> Result<(), PlatformError> {
        self.0.delete_credential(workspace_id, id).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_platforms_verdict_a_role_only_it_can_assume_awaits_its_check() {
    let (h, run_id, user) = applied("seqera-cloud-role", "later").await;
    let api = client(&user.token);
    let wid = user.workspaces[0].0;
    let c = h.engine.connect_seqera(&Faulty(api.clone(), Fault::CloudUnreachable), &run_id, &opts("later")).await.unwrap();
    let check = c.verification.checks.iter().find(|c| c.id == "platform-validate").expect("the platform's check");
    assert_eq!(check.status, CheckStatus::Skipped, "{check:?}");
    assert!(c.verification.passed(), "nothing failed: {:#?}", c.verification.checks);
    assert_eq!(c.status, RunStatus::AwaitingPlatform, "skipped checks prove nothing");
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::AwaitingPlatform);

    // Once the platform can check it, its verdict proves the role.
    let again = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("later")).await.unwrap();
    assert_eq!(again.validation, PlatformValidation::Available);
    assert_eq!(again.status, RunStatus::Verified);
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::Verified);
    rolled_back_to_zero(&h, &run_id, &api, wid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_whose_answer_was_lost_is_never_used_nor_deleted_and_the_person_is_told() {
    let (h, run_id, user) = applied("seqera-cloud-role", "lost").await;
    let api = client(&user.token);
    let wid = user.workspaces[0].0;
    let e = h.engine.connect_seqera(&Faulty(api.clone(), Fault::CreateAnswerLost), &run_id, &opts("lost")).await.unwrap_err();
    assert!(matches!(&e, RunError::Platform { error, .. } if error.kind == PlatformErrorKind::Network), "{e}");
    let j = h.engine.journal(&run_id).unwrap();
    assert_eq!(j.platform.len(), 1, "the intent stays");
    assert_eq!(j.platform[0].credential_id, None);

    // Again: the name is taken now, by a credential Rolegate cannot prove it made.
    let e = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("lost")).await.unwrap_err();
    let RunError::Invalid(errs) = &e else { panic!("{e}") };
    assert_eq!(errs[0].rule, "unconfirmed");
    assert!(errs[0].message.contains("choose another credential name"), "{}", errs[0].message);
    assert_eq!(seqera().credentials_in(wid).len(), 1);

    let rb = h.engine.rollback(&run_id, &RollbackOptions { platform: Some(PlatformApi(api.clone())), ..Default::default() }).await.unwrap();
    assert_eq!(rb.kept.len(), 1, "{:?}", rb.kept);
    assert!(rb.kept[0].1.contains("not known to be this run's"), "{:?}", rb.kept);
    assert_eq!(seqera().credentials_in(wid).len(), 1, "not deleted: not provably this run's");
    assert_eq!(h.inventory().await, Vec::<String>::new(), "AWS is rolled back");
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::RollbackIncomplete);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credential_described_with_another_role_is_not_taken_for_the_runs() {
    let (h, run_id, user) = applied("seqera-cloud-role", "other").await;
    let api = client(&user.token);
    let wid = user.workspaces[0].0;
    let before = h.engine.journal(&run_id).unwrap().plan.roles[0].external_id.clone();
    let e = h.engine.connect_seqera(&Faulty(api.clone(), Fault::OtherRole), &run_id, &opts("other")).await.unwrap_err();
    assert!(matches!(&e, RunError::Platform { error, .. } if error.kind == PlatformErrorKind::Decode), "{e}");
    assert!(e.to_string().contains("someone-else"), "{e}");
    let j = h.engine.journal(&run_id).unwrap();
    assert_eq!(j.plan.roles[0].external_id, before, "the trust policy is not changed for a credential that is not the run's");
    assert_eq!(j.platform.len(), 1, "the credential made is recorded, so roll-back deletes it");
    rolled_back_to_zero(&h, &run_id, &api, wid).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_without_the_platform_keeps_the_credential_and_says_how_to_delete_it() {
    let (h, run_id, user) = applied("ecr-wave-readonly", "ecr").await;
    let api = client(&user.token);
    let wid = user.workspaces[0].0;
    let c = h.engine.connect_seqera(api.as_ref(), &run_id, &opts("ecr")).await.unwrap();
    assert_eq!(c.validation, PlatformValidation::Available, "{c:#?}");
    let held = seqera().credentials_in(wid);
    assert_eq!(held[0]["provider"], "container-reg");
    assert_eq!(held[0]["keys"]["registry"], format!("{}.dkr.ecr.eu-west-1.amazonaws.com", h.account.id).as_str());

    let rb = h.engine.rollback(&run_id, &RollbackOptions::default()).await.unwrap();
    assert_eq!(rb.kept.len(), 1, "{:?}", rb.kept);
    assert!(rb.kept[0].1.contains("rolegate seqera login"), "{:?}", rb.kept);
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::RollbackIncomplete);
    // Signed in again: the rest goes.
    rolled_back_to_zero(&h, &run_id, &api, wid).await;
    assert_eq!(h.engine.journal(&run_id).unwrap().status, RunStatus::RolledBack);
}
