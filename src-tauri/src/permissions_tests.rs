//! The window may call exactly the commands the app registers, each through its own
//! permission (permissions/commands.toml), and no plugin command (capabilities/default.json).

/// Every registered command has its own permission, and the window's capability
/// grants exactly those plus the plugin permissions the UI uses, nothing more.
#[test]
fn the_capability_grants_exactly_the_commands_the_app_registers() {
    let src = include_str!("lib.rs");
    let start = src.find("generate_handler![").expect("handler list") + "generate_handler![".len();
    let end = start + src[start..].find(']').expect("end of handler list");
    // A command in a module (`settings::settings_get`) is named without its path.
    let mut commands: Vec<String> = src[start..end]
        .split(',')
        .map(|s| s.trim().rsplit("::").next().unwrap_or_default().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    commands.sort();

    let perms: toml::Value = toml::from_str(include_str!("../permissions/commands.toml")).expect("permissions toml");
    let mut granted_by: Vec<(String, String)> = perms["permission"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| {
            let allow = p["commands"]["allow"].as_array().expect("allow list");
            assert_eq!(allow.len(), 1, "one command per permission: {p:?}");
            (allow[0].as_str().unwrap().to_string(), p["identifier"].as_str().unwrap().to_string())
        })
        .collect();
    granted_by.sort();
    assert_eq!(granted_by.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>(), commands, "a permission for every command");

    let cap: serde_json::Value = serde_json::from_str(include_str!("../capabilities/default.json")).expect("capability json");
    let mut listed: Vec<String> = cap["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
    listed.sort();
    let mut want: Vec<String> = granted_by.into_iter().map(|(_, id)| id).collect();
    want.sort();
    // No plugin command at all: settings, dialogs and the clipboard go through Rust.
    assert!(listed.iter().all(|p| !p.contains(':')), "a plugin permission in the capability: {listed:?}");
    assert_eq!(listed, want);
}
