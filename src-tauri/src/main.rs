// Rolegate's desktop app; everything lives in the library so tests can build it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    rolegate_app::run()
}
