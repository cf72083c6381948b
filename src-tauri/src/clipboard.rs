//! A secret copied to the clipboard does not stay there: Rolegate clears it 45 s after
//! the copy, and when the app quits, but only while the clipboard still holds what
//! Rolegate put there (something the person copied since is left alone). Only a digest
//! of the copied text is kept, never the text.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

/// How long a copied secret stays on the clipboard.
pub const CLEAR_AFTER: Duration = Duration::from_secs(45);

/// The clipboard as the guard needs it (the system one, or a test's).
pub trait Clipboard {
    fn read_text(&self) -> Option<String>;
    fn clear(&self) -> Result<(), String>;
}

/// What `export_copy` did, for the page's status line.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Copied {
    pub holds_secret: bool,
    /// When the secret is cleared from the clipboard, in seconds after the copy.
    pub cleared_in_seconds: Option<u32>,
}

struct Pending {
    digest: u64,
    due: Instant,
}

/// The secret Rolegate last put on the clipboard (as a digest) and when it is due to go.
pub struct Guard {
    hasher: RandomState,
    pending: Option<Pending>,
}

impl Default for Guard {
    fn default() -> Self {
        Guard { hasher: RandomState::new(), pending: None }
    }
}

impl Guard {
    /// Rolegate put `text`, a secret, on the clipboard at `now`; returns when to look again.
    pub fn copied(&mut self, text: &str, now: Instant) -> Instant {
        let due = now + CLEAR_AFTER;
        self.pending = Some(Pending { digest: self.hasher.hash_one(text), due });
        due
    }

    /// At `now`: clear the clipboard if the secret is due and still on it. Returns
    /// whether the clipboard was cleared. A later copy's secret is not cleared early.
    pub fn expire(&mut self, clip: &dyn Clipboard, now: Instant) -> bool {
        match &self.pending {
            Some(p) if now >= p.due => self.clear_if_ours(clip),
            _ => false,
        }
    }

    /// The app is quitting: clear the clipboard now if it still holds Rolegate's secret.
    pub fn quit(&mut self, clip: &dyn Clipboard) -> bool {
        self.clear_if_ours(clip)
    }

    fn clear_if_ours(&mut self, clip: &dyn Clipboard) -> bool {
        let Some(p) = self.pending.take() else { return false };
        match clip.read_text() {
            Some(now) if self.hasher.hash_one(now.as_str()) == p.digest => clip.clear().is_ok(),
            _ => false,
        }
    }
}

/// The guard the app holds.
pub type Shared = Arc<Mutex<Guard>>;

/// After a copy: wait until the secret is due, then clear it if it is still there.
pub fn schedule(guard: Shared, clip: impl Clipboard + Send + 'static, due: Instant) {
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
        // Reading the clipboard may block (X11 asks its owner), so not on the runtime's threads.
        let _ = tokio::task::spawn_blocking(move || guard.lock().expect("clipboard guard").expire(&clip, Instant::now())).await;
    });
}

/// The system clipboard through tauri-plugin-clipboard-manager.
pub struct System<R: tauri::Runtime>(pub tauri::AppHandle<R>);

impl<R: tauri::Runtime> Clipboard for System<R> {
    fn read_text(&self) -> Option<String> {
        use tauri_plugin_clipboard_manager::ClipboardExt;
        self.0.clipboard().read_text().ok()
    }
    fn clear(&self) -> Result<(), String> {
        use tauri_plugin_clipboard_manager::ClipboardExt;
        self.0.clipboard().clear().map_err(|e| e.to_string())
    }
}

/// On quit: clear a secret still on the clipboard, waiting at most a second for it.
pub fn on_quit<R: tauri::Runtime>(guard: Shared, app: tauri::AppHandle<R>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(guard.lock().map(|mut g| g.quit(&System(app))).unwrap_or(false));
    });
    let _ = rx.recv_timeout(Duration::from_secs(1));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct Fake(RefCell<Option<String>>);
    impl Clipboard for Fake {
        fn read_text(&self) -> Option<String> {
            self.0.borrow().clone()
        }
        fn clear(&self) -> Result<(), String> {
            *self.0.borrow_mut() = None;
            Ok(())
        }
    }
    impl Fake {
        fn put(&self, s: &str) {
            *self.0.borrow_mut() = Some(s.into());
        }
    }

    #[test]
    fn a_copied_secret_is_cleared_45_s_later_and_not_before() {
        let clip = Fake::default();
        let mut g = Guard::default();
        let t0 = Instant::now();
        clip.put("AWS_SECRET_ACCESS_KEY=s3cret");
        let due = g.copied("AWS_SECRET_ACCESS_KEY=s3cret", t0);
        assert_eq!(due, t0 + Duration::from_secs(45));
        assert!(!g.expire(&clip, t0 + Duration::from_secs(44)));
        assert_eq!(clip.read_text().as_deref(), Some("AWS_SECRET_ACCESS_KEY=s3cret"));
        assert!(g.expire(&clip, t0 + Duration::from_secs(45)));
        assert_eq!(clip.read_text(), None);
    }

    #[test]
    fn what_the_person_copied_since_is_left_alone() {
        let clip = Fake::default();
        let mut g = Guard::default();
        let t0 = Instant::now();
        clip.put("secret");
        g.copied("secret", t0);
        clip.put("something else");
        assert!(!g.expire(&clip, t0 + CLEAR_AFTER));
        assert_eq!(clip.read_text().as_deref(), Some("something else"));
        assert!(!g.quit(&clip), "nothing is pending after the check");
    }

    #[test]
    fn a_second_copy_restarts_the_wait_and_quitting_clears_at_once() {
        let clip = Fake::default();
        let mut g = Guard::default();
        let t0 = Instant::now();
        clip.put("one");
        g.copied("one", t0);
        clip.put("two");
        g.copied("two", t0 + Duration::from_secs(30));
        // The first copy's timer fires: the second secret has 30 s left.
        assert!(!g.expire(&clip, t0 + CLEAR_AFTER));
        assert_eq!(clip.read_text().as_deref(), Some("two"));
        assert!(g.quit(&clip));
        assert_eq!(clip.read_text(), None);
    }
}
