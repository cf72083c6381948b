// Rolegate's desktop app; everything lives in the library so tests can build it.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // ROLEGATE_LOG (stderr), refused together with the SDK's secret-printing switch.
    if let Err(message) = rolegate_aws::logging::init_from_env() {
        eprintln!("error: {message}");
        std::process::exit(2);
    }
    let args: Vec<String> = std::env::args().collect();
    if let Some(request) = rolegate_app::credential_process::requested(&args) {
        std::process::exit(rolegate_app::credential_process::run(request));
    }
    #[cfg(target_os = "linux")]
    for (name, value) in rolegate_app::webkit_renderer_env(|name| std::env::var_os(name).is_some()) {
        // Before any thread is started (Tauri, GTK and WebKit read it later), so no other
        // thread can be reading the environment while it changes.
        std::env::set_var(name, value);
    }
    rolegate_app::run()
}
