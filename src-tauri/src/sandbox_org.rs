//! The Sandbox's organization, so a newcomer can walk the Fleet screen: when the Sandbox
//! account is in no organization, it is made the management account of one with a few
//! OUs (one nested) and member accounts, by tests/emulator/rolegate_sandbox_org.py
//! (embedded here; boto3, which the emulator's moto brings, signed as the Sandbox
//! administrator, the key passed in the environment, never in argv). Each new account
//! gets the OrganizationAccountAccessRole that fleet verification assumes, as in AWS.

use std::process::Command;

use secrecy::ExposeSecret;

use rolegate_core::ports::Credentials;

const SCRIPT: &str = include_str!("../../tests/emulator/rolegate_sandbox_org.py");

/// Give the Sandbox an organization unless it has one; a sentence for the start notice.
pub fn ensure(url: &str, creds: &Credentials) -> String {
    let python = std::env::var("ROLEGATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut c = Command::new(&python);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    let out = c
        .args(["-c", SCRIPT, url])
        .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.expose_secret())
        .output();
    let answer = match out {
        Ok(o) if o.status.success() => serde_json::from_slice::<serde_json::Value>(o.stdout.trim_ascii()).ok(),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("it printed nothing").trim().to_string();
            return format!("No organization for the Fleet screen: making it failed ({last}).");
        }
        Err(e) => return format!("No organization for the Fleet screen: {python} did not run ({e})."),
    };
    match answer {
        Some(v) if v["made"] == true => format!(
            "The Sandbox account is the management account of an organization with {} OUs and {} member accounts, for the Fleet screen.",
            v["ous"], v["accounts"]
        ),
        Some(_) => "The Sandbox account is in an organization already (the Fleet screen reads it).".into(),
        None => "No organization for the Fleet screen: its maker printed no answer.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh Sandbox gets its organization once: the tree the Fleet screen shows has the
    /// OUs nested and the accounts in them, the Sandbox account as its management account.
    #[tokio::test]
    async fn a_fresh_sandbox_gets_an_organization_once() {
        let script = crate::sandbox::locate(None).expect("the emulator script in the source tree");
        let sb = tokio::task::spawn_blocking(move || crate::sandbox::start(&script, None)).await.unwrap().expect("sandbox starts");
        let said = ensure(&sb.url, &sb.creds);
        assert!(said.contains("3 OUs and 4 member accounts"), "{said}");
        let again = ensure(&sb.url, &sb.creds);
        assert!(again.contains("in an organization already"), "{again}");

        let c = rolegate_aws::AwsConnect::with_static(&sb.url, "eu-west-1", &sb.creds);
        let home = tempfile::tempdir().unwrap();
        let engine = rolegate_core::Engine::with_home(
            std::sync::Arc::new(c),
            std::sync::Arc::new(rolegate_core::testing::MemoryVault::default()),
            home.path(),
            rolegate_core::events::discard(),
            rolegate_core::propagation::PollSettings::default(),
        );
        let t = engine.fleet_targets().await.expect("the tree");
        assert_eq!(t.management_account_id, crate::sandbox::ACCOUNT);
        assert!(t.caller_is_management);
        let names: Vec<&str> = t.units().iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        let workloads = t.root.children.iter().find(|u| u.name == "Workloads").expect("Workloads");
        assert_eq!(workloads.accounts.len(), 2);
        assert_eq!(workloads.children[0].name, "Dev");
        assert_eq!(workloads.children[0].accounts.len(), 1);
        assert_eq!(t.accounts().len(), 5, "4 members and the management account");
    }
}
