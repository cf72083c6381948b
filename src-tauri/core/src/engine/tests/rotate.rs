//! Unit tests of a rotation's effect on the files beside the keychain: a plain-key
//! profile is backed up before the rotation rewrites it, and the person is told where.

use std::path::Path;
use std::sync::Arc;

use secrecy::ExposeSecret;

use crate::export::backup;
use crate::export::profile::{ProfileFiles, ProfileOptions, Source};
use crate::journal::FileJournalStore;
use crate::plan::RunInputs;
use crate::propagation::PollSettings;
use crate::template::find_builtin;
use crate::testing::aws::FakeAws;
use crate::testing::{FixedEntropy, ManualClock, MemoryVault};
use crate::{ApplyOptions, Engine};

fn engine(dir: &Path) -> Engine {
    let clock = Arc::new(ManualClock::new());
    Engine {
        connect: Arc::new(FakeAws::new("111122223333", clock.clone())),
        vault: Arc::new(MemoryVault::default()),
        store: Arc::new(FileJournalStore::new(dir.join("runs"))),
        clock,
        entropy: Arc::new(FixedEntropy::with_jitter(100)),
        events: Arc::new(|_| {}),
        poll: PollSettings::default(),
    }
}

#[tokio::test]
async fn a_rotation_backs_up_the_credentials_file_before_rewriting_it() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(dir.path());
    let t = find_builtin("seqera-batch-forge").unwrap();
    let inputs = RunInputs { template_id: t.id.clone(), region: "eu-west-1".into(), path: "/".into(), ..Default::default() };
    let plan = engine.plan(&t, &inputs).await.unwrap();
    let run = engine.start(plan, inputs).unwrap().run_id;
    let old = engine.apply(&run, &ApplyOptions::default()).await.unwrap().access_key_id.unwrap();
    let files = ProfileFiles { config: dir.path().join("aws/config"), credentials: dir.path().join("aws/credentials") };
    std::fs::create_dir_all(dir.path().join("aws")).unwrap();
    std::fs::write(&files.credentials, "[mine]\naws_access_key_id = AKIAMINE\naws_secret_access_key = mine\n").unwrap();
    let opts = ProfileOptions { name: "forge".into(), source: Source::PlainKeys, force: false };
    engine.write_profile(&run, &opts, &files).await.unwrap();
    let before = std::fs::read_to_string(&files.credentials).unwrap();
    assert!(before.contains(&old), "{before}");
    let backups_before = backup::backups_of(&files.credentials).unwrap();

    let r = engine.rotate_key(&run, &crate::engine::rotate::RotateOptions::default()).await.unwrap();
    assert_eq!(r.profiles_updated, ["forge"]);
    let after = std::fs::read_to_string(&files.credentials).unwrap();
    assert!(after.contains(&r.new_key) && !after.contains(&old), "{after}");
    // The text the rotation replaced is in a backup of its own, named in the report.
    assert_eq!(r.backups.len(), 1, "{r:?}");
    let backup = &r.backups[0];
    assert!(!backups_before.contains(backup), "a new backup, not the profile export's");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), before);
    assert!(r.done.iter().any(|d| d.contains(&backup.display().to_string())), "{:?}", r.done);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(backup).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let secret = engine.credentials_for_key(&r.new_key).await.unwrap().secret_access_key;
    assert!(!r.done.join(" ").contains(secret.expose_secret()));
}
