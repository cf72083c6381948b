//! Roll-back of what a run made on Seqera Platform: only the credentials the journal
//! recorded with their platform id, each reported; the rest kept with the reason.

use super::*;

/// The platform API roll-back deletes a run's platform credentials through.
#[derive(Clone)]
pub struct PlatformApi(pub std::sync::Arc<dyn SeqeraApi>);

impl std::fmt::Debug for PlatformApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PlatformApi").field(&self.0.url()).finish()
    }
}

impl Engine {
    /// Delete the platform credentials the journal records as this run's, each reported;
    /// one that cannot be deleted (not signed in there, refused, or never confirmed as
    /// this run's) is kept with the reason.
    pub(in crate::engine) async fn rollback_platform(
        &self,
        journal: &mut Journal,
        api: Option<&PlatformApi>,
        report: &mut crate::engine::RollbackReport,
    ) -> Result<(), RunError> {
        for i in 0..journal.platform.len() {
            let rec = journal.platform[i].clone();
            if !rec.live() {
                continue;
            }
            let desc = rec.describe();
            let kept = |reason: String, report: &mut crate::engine::RollbackReport| {
                self.emit(Event::Kept { resource: desc.clone(), reason: reason.clone() });
                report.kept.push((desc.clone(), reason));
            };
            let Some(id) = rec.credential_id.as_deref() else {
                kept(
                    format!("not deleted: Seqera Platform's answer to creating it never arrived, so it is not known to be this run's; look for {} in {} and delete it there if it is", rec.name, rec.workspace),
                    report,
                );
                continue;
            };
            let api = match api {
                Some(a) if a.0.url() == rec.url => a,
                _ => {
                    kept(
                        format!("not deleted: not signed in to Seqera Platform at {}; sign in there (rolegate seqera login --url {} --token-stdin) and roll back again", rec.url, rec.url),
                        report,
                    );
                    continue;
                }
            };
            let detail = match api.0.delete_credential(rec.workspace_id, id).await {
                Ok(()) => "deleted on Seqera Platform".to_string(),
                Err(e) if e.kind == PlatformErrorKind::NotFound => "it was already gone from Seqera Platform".to_string(),
                Err(e) => {
                    kept(format!("Seqera Platform refused to delete it: {e}"), report);
                    continue;
                }
            };
            let now = self.clock.now();
            journal.platform[i].deleted_at = Some(now);
            journal.note(now, format!("deleted {desc}"));
            self.store.save(journal)?;
            self.emit(Event::Deleted { resource: desc.clone(), detail, kind: crate::events::DeletionKind::RolledBack });
            report.deleted.push(desc);
        }
        Ok(())
    }
}
