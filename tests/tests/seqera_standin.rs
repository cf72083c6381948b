//! Runs the Seqera stand-in's own self-test (tests/seqera/test_standin.py, Python
//! unittest against the IAM/STS emulator) so that `cargo test` fails when the stand-in
//! stops behaving as Seqera does or stops checking Seqera's OpenAPI document.

use std::process::Command;

use rolegate_tests::repo_root;

#[test]
fn seqera_standin_self_test_passes() {
    let python = std::env::var("ROLEGATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .current_dir(repo_root())
        .args(["-m", "unittest", "-v", "tests/seqera/test_standin.py"])
        .output()
        .unwrap_or_else(|e| panic!("could not run {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // unittest reports on stderr; print it so a failure shows which check broke.
    println!("{stdout}{stderr}");
    assert!(out.status.success(), "the Seqera stand-in's self-test failed (is openapi-core 0.23.1 installed? scripts/setup.sh)");
    let ran = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Ran ").and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse::<u32>().ok()))
        .unwrap_or(0);
    assert!(ran >= 18, "the self-test ran {ran} tests; expected all 18");
    assert!(stderr.lines().any(|l| l.trim() == "OK"), "unittest did not say OK");
}
