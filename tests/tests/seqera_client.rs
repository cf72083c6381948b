//! The Seqera adapter (rolegate-seqera) against the Seqera stand-in, which checks every
//! request against Seqera's OpenAPI document and validates credentials by probing the
//! IAM/STS emulator as Seqera would.

use rolegate_core::platform::{CredentialKeys, NewCredential, PlatformErrorKind, PlatformValidation, SeqeraApi};
use rolegate_seqera::SeqeraClient;
use rolegate_tests::seqera::seqera;
use rolegate_tests::{emulator, sdk_iam};
use secrecy::SecretString;
use serde_json::json;

const SEQERA_ROLE: &str = "arn:aws:iam::161471496260:role/SeqeraPlatformCloudAccessRole";

fn trust(external_id: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": SEQERA_ROLE},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}
    }]})
    .to_string()
}

fn client(token: &str) -> SeqeraClient {
    SeqeraClient::new(&seqera().url, SecretString::from(token.to_string())).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn role_mode_takes_seqeras_external_id_and_seqera_confirms_the_role() {
    let user = seqera().user(&[("acme", "genomics")]);
    let api = client(&user.token);
    let me = api.user().await.unwrap();
    assert_eq!(me.id, user.user_id);
    let ws = api.workspaces(me.id).await.unwrap();
    assert_eq!(ws.iter().map(|w| w.path()).collect::<Vec<_>>(), ["acme/genomics"], "organization rows are not workspaces");
    let wid = ws[0].workspace_id;

    // The customer's role, trusting Seqera's role with a value Seqera did not make.
    let account = emulator().admin_account();
    let iam = sdk_iam(&account);
    let role_arn = iam.create_role().role_name("seqera-onboarded").assume_role_policy_document(trust("made-up")).send().await.unwrap();
    let role_arn = role_arn.role().unwrap().arn().to_string();

    api.check_name(wid, "acme-role").await.expect("the name is free");
    let new = NewCredential { name: "acme-role".into(), description: None, keys: CredentialKeys::AwsRole { role_arn: role_arn.clone() } };
    let id = api.create_credential(wid, &new).await.expect("the stand-in accepts what the adapter sends");
    let taken = api.check_name(wid, "acme-role").await.unwrap_err();
    assert_eq!(taken.kind, PlatformErrorKind::Conflict, "{taken}");
    let again = api.create_credential(wid, &new).await.unwrap_err();
    assert_eq!(again.kind, PlatformErrorKind::Conflict, "{again}");

    let cred = api.credential(wid, &id).await.unwrap();
    assert_eq!((cred.provider.as_str(), cred.mode.as_deref()), ("aws", Some("role")));
    assert_eq!(cred.assume_role_arn.as_deref(), Some(role_arn.as_str()));
    let external = cred.external_id.expect("Seqera generates the External ID in role mode");
    assert_ne!(external, "made-up");

    match api.validate_credential(wid, &id).await.unwrap() {
        PlatformValidation::Invalid { message } => assert!(!message.is_empty()),
        other => panic!("a trust with another External ID must be INVALID, got {other:?}"),
    }
    iam.update_assume_role_policy().role_name("seqera-onboarded").policy_document(trust(&external)).send().await.unwrap();
    assert_eq!(api.validate_credential(wid, &id).await.unwrap(), PlatformValidation::Available);

    api.delete_credential(wid, &id).await.unwrap();
    assert!(seqera().credentials_in(wid).is_empty());
    let gone = api.credential(wid, &id).await.unwrap_err();
    assert_eq!(gone.kind, PlatformErrorKind::NotFound, "{gone}");
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_and_registry_credentials_are_accepted_and_a_bad_secret_is_invalid() {
    let user = seqera().user(&[("acme", "wave")]);
    let api = client(&user.token);
    let wid = user.workspaces[0].0;
    let account = emulator().admin_account();
    let good = NewCredential {
        name: "acme-keys".into(),
        description: Some("made by Rolegate".into()),
        keys: CredentialKeys::AwsKeys {
            access_key_id: account.creds.access_key_id.clone(),
            secret_access_key: account.creds.secret_access_key.clone(),
            assume_role_arn: None,
            generate_external_id: false,
        },
    };
    let id = api.create_credential(wid, &good).await.unwrap();
    let cred = api.credential(wid, &id).await.unwrap();
    assert_eq!(cred.access_key_id.as_deref(), Some(account.creds.access_key_id.as_str()));
    assert_eq!(cred.external_id, None, "no role, no External ID");
    assert_eq!(api.validate_credential(wid, &id).await.unwrap(), PlatformValidation::Available);

    let bad = NewCredential {
        name: "acme-bad".into(),
        description: None,
        keys: CredentialKeys::AwsKeys {
            access_key_id: account.creds.access_key_id.clone(),
            secret_access_key: SecretString::from("not-the-secret"),
            assume_role_arn: None,
            generate_external_id: false,
        },
    };
    let bad_id = api.create_credential(wid, &bad).await.unwrap();
    assert!(matches!(api.validate_credential(wid, &bad_id).await.unwrap(), PlatformValidation::Invalid { .. }));

    let registry = NewCredential {
        name: "acme-ecr".into(),
        description: None,
        keys: CredentialKeys::ContainerRegistry {
            registry: format!("{}.dkr.ecr.eu-west-1.amazonaws.com", account.id),
            user_name: account.creds.access_key_id.clone(),
            password: account.creds.secret_access_key.clone(),
        },
    };
    let reg_id = api.create_credential(wid, &registry).await.unwrap();
    assert_eq!(api.credential(wid, &reg_id).await.unwrap().provider, "container-reg");
    assert_eq!(api.validate_credential(wid, &reg_id).await.unwrap(), PlatformValidation::Available);
    // The stand-in never lets a secret out in what it holds or answers.
    let held = serde_json::to_string(&seqera().credentials_in(wid)).unwrap();
    assert!(!held.contains(secrecy::ExposeSecret::expose_secret(&account.creds.secret_access_key)));
    for id in [id, bad_id, reg_id] {
        api.delete_credential(wid, &id).await.unwrap();
    }
    assert!(seqera().credentials_in(wid).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_and_a_workspace_gone_are_told_apart() {
    let user = seqera().user(&[("acme", "gone")]);
    let api = client(&user.token);
    let wid = user.workspaces[0].0;
    seqera().remove_workspace(wid);
    let e = api.check_name(wid, "x").await.unwrap_err();
    assert_eq!(e.kind, PlatformErrorKind::Forbidden, "{e}");
    seqera().revoke(&user.token);
    let e = api.user().await.unwrap_err();
    assert_eq!(e.kind, PlatformErrorKind::Unauthorized, "{e}");
    assert!(!e.to_string().contains(&user.token), "the token never shows in an error");
    // Nothing listens here: a network error, not a refusal.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let e = SeqeraClient::new(&url, SecretString::from("t".to_string())).unwrap().user().await.unwrap_err();
    assert_eq!(e.kind, PlatformErrorKind::Network, "{e}");
}
