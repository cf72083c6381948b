//! Start-up: what the app sets for WebKitGTK before GTK starts, and the marks the
//! start-up benchmark reads (`ROLEGATE_READY_MARK`, docs/PERFORMANCE.md), ending with
//! the page's `ui_ready`.

/// What Rolegate sets for WebKitGTK before it starts, unless the person has set it:
/// WebKit's non-composited rendering. Its default composites through OpenGL, and where
/// that GL is software (llvmpipe: virtual machines, remote desktops, Xvfb) painting this
/// app's forms costs about 50 MB more memory in the web process and a GL set-up at
/// start, for nothing a form wizard shows (docs/PERFORMANCE.md has the figures). To get
/// WebKit's default back, start the app with `WEBKIT_DISABLE_COMPOSITING_MODE=0`.
/// `is_set` says whether a variable is already in the environment.
pub fn webkit_renderer_env(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    [("WEBKIT_DISABLE_COMPOSITING_MODE", "1")].into_iter().filter(|(name, _)| !is_set(name)).collect()
}

/// With `ROLEGATE_READY_MARK` set (only the start-up benchmark sets it), a line
/// `ROLEGATE_MARKS name=<ms since the Unix epoch>` on stderr for one step of start-up.
pub fn startup_mark(name: &str) {
    if std::env::var_os("ROLEGATE_READY_MARK").is_some() {
        let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        eprintln!("ROLEGATE_MARKS {name}={ms:.1}");
    }
}

/// The UI's first screen is interactive. With `ROLEGATE_READY_MARK` set, a line
/// `ROLEGATE_READY` goes to stdout (the start-up benchmark waits for it), after the
/// page's own marks on stderr: `origin`, its navigation start in ms since the Unix
/// epoch, and the others (sent as ms after it) put on the same line.
#[tauri::command]
pub fn ui_ready(marks: Vec<(String, f64)>) {
    if std::env::var_os("ROLEGATE_READY_MARK").is_some() {
        use std::io::Write;
        let origin = marks.iter().find(|(k, _)| k == "origin").map_or(0.0, |(_, v)| *v);
        let marks: Vec<String> =
            marks.iter().map(|(k, v)| if k == "origin" { format!("{k}={v:.1}") } else { format!("{k}={:.1}", origin + v) }).collect();
        eprintln!("ROLEGATE_MARKS {}", marks.join(" "));
        startup_mark("answered");
        let mut out = std::io::stdout();
        let _ = writeln!(out, "ROLEGATE_READY");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::webkit_renderer_env;

    #[test]
    fn webkit_rendering_is_set_only_where_the_person_has_not_chosen() {
        assert_eq!(webkit_renderer_env(|_| false), vec![("WEBKIT_DISABLE_COMPOSITING_MODE", "1")]);
        assert!(webkit_renderer_env(|name| name == "WEBKIT_DISABLE_COMPOSITING_MODE").is_empty());
    }
}
