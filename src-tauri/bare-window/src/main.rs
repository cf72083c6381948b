//! The baseline for the app benchmark: Tauri's window with one static page and one
//! command, nothing else. The page calls `ready` once it is shown.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[tauri::command]
fn ready() {
    use std::io::Write;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "ROLEGATE_READY");
    let _ = out.flush();
}

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("error while running the bare window");
}
