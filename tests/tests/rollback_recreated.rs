//! Roll-back against the emulator after a person deleted a run's role or user by hand
//! and made another under the same name: the new one is not the run's (it lacks the
//! `rolegate:run-id` tag), so it keeps its attachments, keys and policies, the report
//! says why for each, and everything else of the run is deleted.

use rolegate_core::journal::RunStatus;
use rolegate_core::plan::RunInputs;
use rolegate_core::ports::{vault_entry, CreateRole, Vault};
use rolegate_core::template::find_builtin;
use rolegate_core::{ApplyOptions, RollbackOptions, RollbackReport};
use rolegate_tests::Harness;
use rolegate_vault::Keychain;
use serde_json::json;

fn inputs(template: &str) -> RunInputs {
    RunInputs { template_id: template.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() }
}

async fn applied(h: &Harness, template: &str) -> rolegate_core::journal::Journal {
    let t = find_builtin(template).unwrap();
    let plan = h.engine.plan(&t, &inputs(template)).await.unwrap();
    let run_id = plan.run_id.clone();
    h.engine.start(plan, inputs(template)).unwrap();
    let j = h.engine.apply(&run_id, &ApplyOptions::default()).await.unwrap();
    assert_eq!(j.status, RunStatus::Applied);
    j
}

/// A managed policy the administrator makes by hand (no run tag).
async fn hand_made_policy(h: &Harness, name: &str) -> String {
    let doc = json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]});
    h.iam().create_policy(name, "/", &doc.to_string(), "made by hand", &[]).await.unwrap().arn
}

fn kept_reason<'a>(rb: &'a RollbackReport, what: &str) -> &'a str {
    rb.kept.iter().find(|(r, _)| r == what).map(|(_, why)| why.as_str()).unwrap_or_else(|| panic!("{what} is not kept: {rb:#?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_made_again_by_hand_keeps_its_attachments_through_rollback() {
    let h = Harness::new();
    let j = applied(&h, "seqera-batch-launch").await;
    let role = j.plan.roles[0].name.clone();
    let run_policy = j.plan.policies[0].arn.clone();
    let user = j.plan.user.clone().unwrap().name;
    let key = j.access_key_id.clone().unwrap();

    // By hand: detach, delete the role, then make one of the same name without the tag,
    // attached to the run's policy (as the old one was) and to one of its own.
    let iam = h.iam();
    for arn in iam.list_attached_role_policies(&role).await.unwrap() {
        iam.detach_role_policy(&role, &arn).await.unwrap();
    }
    iam.delete_role(&role).await.unwrap();
    let trust =
        json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":h.account.user_arn},"Action":"sts:AssumeRole"}]});
    iam.create_role(&CreateRole {
        name: role.clone(),
        path: "/".into(),
        trust_policy: trust.to_string(),
        description: "made by hand".into(),
        max_session_seconds: 3600,
        tags: vec![],
    })
    .await
    .unwrap();
    let own = hand_made_policy(&h, "hand-made-for-role").await;
    iam.attach_role_policy(&role, &run_policy).await.unwrap();
    iam.attach_role_policy(&role, &own).await.unwrap();

    let rb = h.engine.rollback(&j.run_id, &RollbackOptions::default()).await.unwrap();

    // The role made by hand keeps both attachments.
    let mut attached = iam.list_attached_role_policies(&role).await.unwrap();
    attached.sort();
    let mut want = vec![run_policy.clone(), own.clone()];
    want.sort();
    assert_eq!(attached, want, "{rb:#?}");
    let why = kept_reason(&rb, &format!("attachment of {run_policy} to role {role}"));
    assert!(why.contains(&format!("role {role} is no longer provably this run's")) && why.contains("no rolegate:run-id tag"), "{why}");
    assert!(kept_reason(&rb, &format!("IAM role {role}")).contains("no rolegate:run-id tag"));
    // The run's policy is still attached to that role, so it stays, and says so.
    assert!(kept_reason(&rb, &format!("managed policy {run_policy}")).contains("still attached"));
    // Everything else of the run is gone: its user, key and the key's secret.
    assert!(
        rb.deleted.contains(&format!("IAM user {user}")) && rb.deleted.contains(&format!("access key {key} of user {user}")),
        "{rb:#?}"
    );
    assert_eq!(rb.kept.len(), 3, "{rb:#?}");
    let mut left = h.inventory().await;
    left.sort();
    let mut want_left =
        vec![format!("policy:{}", j.plan.policies[0].name), "policy:hand-made-for-role".to_string(), format!("role:{role}")];
    want_left.sort();
    assert_eq!(left, want_left);
    assert!(Keychain::with_service(&h.keychain_service).get(&vault_entry(&key)).await.unwrap().is_none());
    assert_eq!(h.engine.journal(&j.run_id).unwrap().status, RunStatus::RollbackIncomplete);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_made_again_by_hand_keeps_its_key_and_attachments_through_rollback() {
    let h = Harness::new();
    let j = applied(&h, "seqera-batch-forge").await;
    let user = j.plan.user.clone().unwrap().name;
    let run_policy = j.plan.policies[0].arn.clone();
    let run_key = j.access_key_id.clone().unwrap();

    // By hand: empty and delete the user, then make one of the same name without the
    // tag, with a key of its own and the run's policy (as the old one had) and another.
    let iam = h.iam();
    for arn in iam.list_attached_user_policies(&user).await.unwrap() {
        iam.detach_user_policy(&user, &arn).await.unwrap();
    }
    for k in iam.list_access_keys(&user).await.unwrap() {
        iam.delete_access_key(&user, &k.id).await.unwrap();
    }
    iam.delete_user(&user).await.unwrap();
    iam.create_user(&user, "/", &[]).await.unwrap();
    let their_key = iam.create_access_key(&user).await.unwrap().id;
    let own = hand_made_policy(&h, "hand-made-for-user").await;
    iam.attach_user_policy(&user, &run_policy).await.unwrap();
    iam.attach_user_policy(&user, &own).await.unwrap();

    let rb = h.engine.rollback(&j.run_id, &RollbackOptions::default()).await.unwrap();

    let mut attached = iam.list_attached_user_policies(&user).await.unwrap();
    attached.sort();
    let mut want = vec![run_policy.clone(), own.clone()];
    want.sort();
    assert_eq!(attached, want, "{rb:#?}");
    let keys: Vec<String> = iam.list_access_keys(&user).await.unwrap().into_iter().map(|k| k.id).collect();
    assert_eq!(keys, std::slice::from_ref(&their_key), "the user's own key is untouched");
    let why = kept_reason(&rb, &format!("attachment of {run_policy} to user {user}"));
    assert!(why.contains(&format!("user {user} is no longer provably this run's")), "{why}");
    assert!(kept_reason(&rb, &format!("IAM user {user}")).contains("no rolegate:run-id tag"));
    assert!(kept_reason(&rb, &format!("managed policy {run_policy}")).contains("still attached"));
    assert_eq!(rb.kept.len(), 3, "{rb:#?}");
    // The run's own key went with the user that was deleted; its secret is removed.
    assert!(rb.deleted.contains(&format!("access key {run_key} of user {user}")), "{rb:#?}");
    assert!(Keychain::with_service(&h.keychain_service).get(&vault_entry(&run_key)).await.unwrap().is_none());
    let mut left = h.inventory().await;
    left.sort();
    let mut want_left = vec![
        format!("key:{their_key}"),
        format!("policy:{}", j.plan.policies[0].name),
        "policy:hand-made-for-user".to_string(),
        format!("user:{user}"),
    ];
    want_left.sort();
    assert_eq!(left, want_left);
}
