// Rolegate's desktop app; everything lives in the library so tests can build it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if rolegate_app::is_credential_process(&args) {
        std::process::exit(rolegate_app::credential_process(&args));
    }
    rolegate_app::run()
}
