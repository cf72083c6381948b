//! Unit tests of the verdict: a failure fails, skipped AssumeRole checks of a role that
//! trusts a third party leave the run awaiting the platform, and either a passed
//! AssumeRole or the platform's own check (with the role-key suffix of a multi-role
//! run) proves a role; a key-only run rests on its key signing in.

use time::OffsetDateTime;

use super::*;
use crate::checks::Check;
use crate::plan::{build, RunInputs};
use crate::ports::CallerIdentity;
use crate::template::find_builtin;
use crate::testing::FixedEntropy;

fn plan(template: &str) -> Plan {
    let t = find_builtin(template).unwrap();
    let mut inputs = RunInputs { template_id: template.into(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    if template == "spacelift" {
        inputs.variables.insert("spacelift_account".into(), "acme".into());
    }
    let caller =
        CallerIdentity { account: "123456789012".into(), arn: "arn:aws:iam::123456789012:user/admin".into(), user_id: "AIDA".into() };
    build(&t, &inputs, &caller, "rg-verdict", &FixedEntropy::default()).unwrap()
}

fn report(checks: &[(&str, CheckStatus)]) -> VerifyReport {
    let mut r = VerifyReport::new(OffsetDateTime::UNIX_EPOCH);
    r.checks = checks.iter().map(|(id, st)| Check::new(id, id, *st, "")).collect();
    r
}

use CheckStatus::{Failed, Passed, Skipped};

/// The checks verification makes for the single role of a third-party run nobody assumed.
const UNASSUMED: [(&str, CheckStatus); 5] = [
    ("trust-policy", Passed),
    ("assume-with-external-id", Skipped),
    ("assume-without-external-id", Skipped),
    ("assume-with-wrong-external-id", Skipped),
    ("simulate", Passed),
];

#[test]
fn a_third_party_role_nobody_assumed_awaits_the_platform() {
    let p = plan("seqera-cloud-role");
    let r = report(&UNASSUMED);
    assert!(r.passed(), "nothing failed");
    assert_eq!(verdict(&p, &r), RunStatus::AwaitingPlatform);
    assert_eq!(unproven_roles(&p, &r).iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["main"]);
}

#[test]
fn the_platforms_own_check_proves_the_role() {
    let p = plan("seqera-cloud-role");
    let mut r = report(&UNASSUMED);
    r.checks.push(Check::new("platform-validate", "Seqera validates the credential", Passed, "AVAILABLE"));
    assert_eq!(verdict(&p, &r), RunStatus::Verified);
    // The platform's check skipped (a transient error) proves nothing.
    let mut r = report(&UNASSUMED);
    r.checks.push(Check::new("platform-validate", "Seqera validates the credential", Skipped, "transient"));
    assert_eq!(verdict(&p, &r), RunStatus::AwaitingPlatform);
    // And failed, it fails the run.
    let mut r = report(&UNASSUMED);
    r.checks.push(Check::new("platform-validate", "Seqera validates the credential", Failed, "INVALID"));
    assert_eq!(verdict(&p, &r), RunStatus::VerifyFailed);
}

#[test]
fn assuming_the_role_as_the_trusted_principal_proves_it() {
    let p = plan("seqera-cloud-role");
    let r = report(&[
        ("trust-policy", Passed),
        ("assume-with-external-id", Passed),
        ("assume-without-external-id", Passed),
        ("assume-with-wrong-external-id", Passed),
        ("session-identity", Passed),
    ]);
    assert_eq!(verdict(&p, &r), RunStatus::Verified);
}

#[test]
fn any_failed_check_fails_the_run_even_when_proven() {
    let p = plan("seqera-cloud-role");
    let r = report(&[("trust-policy", Failed), ("assume-with-external-id", Passed), ("platform-validate", Passed)]);
    assert_eq!(verdict(&p, &r), RunStatus::VerifyFailed);
    let r = report(&[("trust-policy", Passed), ("assume-with-external-id", Skipped), ("simulate", Failed)]);
    assert_eq!(verdict(&p, &r), RunStatus::VerifyFailed);
}

#[test]
fn every_role_of_a_multi_role_run_must_be_proven_under_its_own_key() {
    let p = plan("spacelift");
    assert_eq!(p.roles.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["read", "write"]);
    assert_eq!(role_check_id(&p, "read", PLATFORM_VALIDATE), "platform-validate:read");
    let only_read = report(&[("assume-with-external-id:read", Passed), ("assume-with-external-id:write", Skipped)]);
    assert_eq!(verdict(&p, &only_read), RunStatus::AwaitingPlatform);
    assert_eq!(unproven_roles(&p, &only_read).iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["write"]);
    let both = report(&[("assume-with-external-id:read", Passed), ("platform-validate:write", Passed)]);
    assert_eq!(verdict(&p, &both), RunStatus::Verified);
    // A check without the suffix belongs to no role of a multi-role run.
    let unsuffixed = report(&[("assume-with-external-id", Passed), ("platform-validate", Passed)]);
    assert_eq!(verdict(&p, &unsuffixed), RunStatus::AwaitingPlatform);
    // Nor does a suffixed one prove the role of a single-role run.
    let p = plan("seqera-cloud-role");
    assert_eq!(verdict(&p, &report(&[("assume-with-external-id:main", Passed)])), RunStatus::AwaitingPlatform);
}

#[test]
fn a_key_only_run_is_verified_when_its_key_signs_in() {
    let p = plan("seqera-batch-forge");
    assert!(p.roles.is_empty() && p.user.is_some());
    assert_eq!(verdict(&p, &report(&[("key-works", Passed), ("simulate", Passed)])), RunStatus::Verified);
    assert_eq!(verdict(&p, &report(&[("key-works", Failed)])), RunStatus::VerifyFailed);
    // No check of the key at all proves nothing, unless the platform signed in with it.
    assert_eq!(verdict(&p, &report(&[("simulate", Passed)])), RunStatus::AwaitingPlatform);
    assert_eq!(verdict(&p, &report(&[("platform-validate", Passed)])), RunStatus::Verified);
}

#[test]
fn a_key_and_role_run_is_verified_by_its_own_key_assuming_the_role() {
    let p = plan("seqera-batch-launch");
    assert!(p.roles[0].trusts_created_user);
    let r = report(&[("key-works", Passed), ("trust-policy", Passed), ("assume-with-external-id", Passed)]);
    assert_eq!(verdict(&p, &r), RunStatus::Verified);
    let r = report(&[("trust-policy", Passed), ("assume-with-external-id", Passed)]);
    assert_eq!(verdict(&p, &r), RunStatus::AwaitingPlatform, "the key was not shown to sign in");
}
