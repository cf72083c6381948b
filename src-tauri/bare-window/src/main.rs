//! The baseline for the app benchmark: Tauri's window with one static page and one
//! command, nothing else. The page calls `ready` once it is shown, with its navigation
//! start (ms since the Unix epoch) and the time it called (ms after that); the
//! benchmark reads the same marks on stderr as from Rolegate.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn mark(name: &str) {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    eprintln!("ROLEGATE_MARKS {name}={ms:.1}");
}

#[tauri::command]
fn ready(origin: f64, ready: f64) {
    use std::io::Write;
    eprintln!("ROLEGATE_MARKS origin={origin:.1} ready={:.1}", origin + ready);
    mark("answered");
    let mut out = std::io::stdout();
    let _ = writeln!(out, "ROLEGATE_READY");
    let _ = out.flush();
}

fn main() {
    mark("main");
    tauri::Builder::default()
        .setup(|_| {
            mark("setup");
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("error while running the bare window");
}
