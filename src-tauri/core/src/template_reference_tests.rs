//! Each built-in policy that names a platform document (`reference`) is held to it: its
//! mandatory statements grant every action of the document's mandatory statements, its
//! features cover the document's optional ones, nothing is granted beyond the document,
//! and every exception is written, with its reason, in the template file. The documents
//! are read at test time from `../shared/reference/<platform>/` beside the repository,
//! so a newer policy from the platform is one file to drop in and a failure that names
//! the difference (docs/TEMPLATES.md, "Refreshing a template").

use std::path::PathBuf;

use serde_json::Value;

use crate::policy::{self, action_matches};
use crate::template::{builtin, PolicyReference, Template, BUILTIN};

/// Where the platforms' documents are kept: `../shared/reference/seqera` of the repository.
fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/seqera")
}

/// (Sid, action) of every Allow statement of `statements` (a Deny grants nothing).
fn allowed(statements: &[&Value]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for st in statements {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let sid = st.get("Sid").and_then(Value::as_str).unwrap_or("").to_string();
        for a in policy::strings(st.get("Action")) {
            out.push((sid.clone(), a.to_string()));
        }
    }
    out
}

fn covered(action: &str, by: &[(String, String)]) -> bool {
    by.iter().any(|(_, pattern)| action_matches(pattern, action))
}

/// Every difference between policy `key` of `t` (mandatory statements, and the features
/// that add to it) and the platform `document`, as sentences naming the action.
pub(crate) fn differences(t: &Template, key: &str, r: &PolicyReference, document: &Value) -> Vec<String> {
    let p = t.policies.iter().find(|p| p.key == key).expect("the policy");
    let doc = p.document.as_ref().expect("a built-in document");
    let mandatory = allowed(&policy::as_list(&doc["Statement"]));
    let feature_statements: Vec<&Value> = t.features.iter().filter(|f| f.policy == key).flat_map(|f| f.statements.iter()).collect();
    let features = allowed(&feature_statements);
    let is_optional = |sid: &str| sid.starts_with("Optional") || r.optional_statements.iter().any(|s| s == sid);
    let reference = allowed(&policy::as_list(&document["Statement"]));
    let omitted = |sid: &str, action: &str| r.omitted.contains_key(action) || r.omitted.contains_key(sid);
    let mut out = Vec::new();
    for (sid, action) in &reference {
        if omitted(sid, action) {
            continue;
        }
        if !is_optional(sid) && !covered(action, &mandatory) {
            out.push(format!(
                "{key}: {action} (mandatory, {sid} of {}) is not granted by the mandatory statements{}",
                r.document,
                if covered(action, &features) { " (only by a feature)" } else { "" }
            ));
        }
        if is_optional(sid) && !covered(action, &mandatory) && !covered(action, &features) {
            out.push(format!("{key}: {action} (optional, {sid} of {}) is neither granted nor omitted with a reason", r.document));
        }
    }
    for (sid, action) in mandatory.iter().chain(features.iter()) {
        if !covered(action, &reference) && !r.added.contains_key(action) {
            out.push(format!("{key}: {action} (statement {sid}) is beyond {} and not listed in reference.added", r.document));
        }
    }
    // The written exceptions must stay true as the documents change.
    for k in r.omitted.keys() {
        let is_sid = reference.iter().any(|(sid, _)| sid == k);
        if !is_sid && !reference.iter().any(|(_, a)| a == k) {
            out.push(format!("{key}: reference.omitted names {k}, which {} does not have", r.document));
        } else if !is_sid && covered(k, &mandatory) {
            out.push(format!("{key}: reference.omitted names {k}, which the mandatory statements grant"));
        }
    }
    for k in r.added.keys() {
        if covered(k, &reference) {
            out.push(format!("{key}: reference.added names {k}, which {} grants", r.document));
        }
    }
    for s in &r.optional_statements {
        if !reference.iter().any(|(sid, _)| sid == s) {
            out.push(format!("{key}: reference.optional_statements names {s}, which {} does not have", r.document));
        }
    }
    out
}

fn read_reference(r: &PolicyReference) -> Value {
    let path = reference_dir().join(&r.document);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The base template of each built-in file (its variants share its policies).
fn files() -> Vec<Template> {
    BUILTIN.iter().map(|(id, _)| builtin().into_iter().find(|t| &t.id == id).unwrap()).collect()
}

#[test]
fn every_seqera_policy_matches_its_reference_document() {
    let mut checked = Vec::new();
    let mut problems = Vec::new();
    for t in files() {
        for p in &t.policies {
            let Some(r) = &p.reference else { continue };
            problems.extend(differences(&t, &p.key, r, &read_reference(r)).into_iter().map(|d| format!("{}: {d}", t.id)));
            checked.push(format!("{}/{}", t.id, p.key));
        }
    }
    assert!(problems.is_empty(), "templates differ from Seqera's documents:\n{}", problems.join("\n"));
    assert_eq!(
        checked,
        [
            "seqera-batch-forge/main",
            "seqera-batch-launch/main",
            "seqera-aws-cloud/main",
            "seqera-intelligent-compute/main",
            "seqera-intelligent-compute/sched",
        ]
        .into_iter()
        .chain(["seqera-eks/main", "seqera-eks/launcher"])
        .collect::<Vec<_>>()
    );
    // Every Seqera AWS template names its reference document, date and source.
    for t in builtin().iter().filter(|t| t.id.starts_with("seqera-")) {
        for p in &t.policies {
            let r = p.reference.as_ref().unwrap_or_else(|| panic!("{}/{} has no reference", t.id, p.key));
            assert!(!r.date.is_empty() && r.source.contains(&r.document), "{}/{}", t.id, p.key);
        }
    }
}

#[test]
fn verify_actions_are_mandatory_actions() {
    for t in builtin() {
        let mandatory: Vec<(String, String)> =
            t.policies.iter().filter_map(|p| p.document.as_ref()).flat_map(|d| allowed(&policy::as_list(&d["Statement"]))).collect();
        let principals =
            t.user.iter().map(|u| (&u.attach, &u.verify_actions)).chain(t.roles.iter().map(|r| (&r.attach, &r.verify_actions)));
        for (attach, verify) in principals {
            // A principal given an AWS managed policy (Spacelift's ReadOnlyAccess) is
            // proved by the simulation at verify; the template holds no document of it.
            let aws_managed = attach.iter().any(|a| !a.starts_with("policy:"));
            for a in verify {
                if t.policies.iter().all(|p| p.document.is_some()) && !a.contains('*') && !aws_managed {
                    assert!(covered(a, &mandatory), "{}: verify action {a} is not granted by the mandatory statements", t.id);
                }
            }
        }
    }
}

#[test]
fn a_dropped_or_added_action_is_named() {
    let mut t = files().into_iter().find(|t| t.id == "seqera-batch-forge").unwrap();
    let r = t.policies[0].reference.clone().unwrap();
    let reference = read_reference(&r);
    assert_eq!(differences(&t, "main", &r, &reference), Vec::<String>::new());
    // Drop batch:TerminateJob from the mandatory statements, add ec2:RunInstances.
    let doc = t.policies[0].document.as_mut().unwrap();
    for st in doc["Statement"].as_array_mut().unwrap() {
        if let Some(list) = st["Action"].as_array_mut() {
            list.retain(|a| a != "batch:TerminateJob");
        }
    }
    doc["Statement"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"Sid": "Extra", "Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}));
    let got = differences(&t, "main", &r, &reference);
    assert!(got.iter().any(|d| d.contains("batch:TerminateJob (mandatory, BatchJobsManagementCanBeRestricted")), "{got:?}");
    assert!(got.iter().any(|d| d.contains("ec2:RunInstances (statement Extra) is beyond")), "{got:?}");
    // An optional statement neither a feature nor omitted is named too.
    t.features.retain(|f| f.key != "lineage");
    let got = differences(&t, "main", &r, &reference);
    assert!(got.iter().any(|d| d.contains("sqs:CreateQueue (optional, OptionalLineageIntegrationSQSAndS3")), "{got:?}");
}
