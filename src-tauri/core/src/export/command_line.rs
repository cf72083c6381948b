//! The `credential_process` command line a profile names: which program (the installed
//! one, never a temporary mount, never one in a folder anyone can write to) and how each
//! argument is quoted so that both ways clients run it split it the same and run
//! nothing else: the AWS SDK for Rust hands the line to `sh -c` (`cmd.exe /C` on
//! Windows); botocore splits it with POSIX shell rules (Windows rules on Windows).

use std::path::{Path, PathBuf};

use crate::validate::FieldError;

/// How the command line is written: the rules of the shell the clients use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Posix,
    Windows,
}

impl Shell {
    /// The rules of the platform this build runs on.
    pub const fn native() -> Shell {
        if cfg!(windows) {
            Shell::Windows
        } else {
            Shell::Posix
        }
    }
}

fn plain(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:=@,".contains(c))
}

/// One argument, quoted for `shell`. POSIX: single quotes, inside which `sh` expands
/// nothing (`$`, backticks and `\` stay literal), a `'` written as `'\''`. Windows:
/// double quotes with the backslash rules of `CommandLineToArgvW`; `%` (expanded by
/// `cmd.exe` even inside quotes) and `"` cannot be made safe there and are refused.
pub fn quote(s: &str, shell: Shell) -> Result<String, FieldError> {
    match shell {
        Shell::Posix if plain(s) => Ok(s.to_string()),
        Shell::Posix => Ok(format!("'{}'", s.replace('\'', "'\\''"))),
        Shell::Windows => {
            if s.contains(['"', '%', '\n', '\r']) {
                return Err(FieldError::new(
                    "credential_process",
                    "unquotable",
                    format!("{s:?} holds a character (\" % or a line break) that cmd.exe would interpret; move Rolegate or its data folder to a path without it"),
                ));
            }
            if plain(&s.replace('\\', "/")) {
                return Ok(s.to_string());
            }
            // Backslashes before the closing quote are doubled so it stays a quote.
            let trailing = s.len() - s.trim_end_matches('\\').len();
            Ok(format!("\"{s}{}\"", "\\".repeat(trailing)))
        }
    }
}

/// The program a `credential_process` line should run: `$APPIMAGE` when this is an
/// AppImage (the running file is inside a temporary mount that is gone after exit),
/// else this program, resolved. Refused when the folder holding it can be written by
/// anyone: another user could replace it and be handed the person's AWS secret.
pub fn program(current_exe: &Path, appimage: Option<&Path>) -> Result<PathBuf, FieldError> {
    let chosen = match appimage {
        Some(a) if a.is_absolute() && a.is_file() => a.to_path_buf(),
        _ => current_exe.to_path_buf(),
    };
    let resolved = chosen.canonicalize().unwrap_or(chosen);
    if let Some(dir) = resolved.parent() {
        if world_writable(dir) {
            return Err(FieldError::new(
                "credential_process",
                "world-writable-folder",
                format!(
                    "{} is in {}, a folder anyone can write to; a profile that runs it could be handed to whoever replaces it. Install Rolegate in a folder only you or root can write",
                    resolved.display(),
                    dir.display()
                ),
            ));
        }
    }
    Ok(resolved)
}

#[cfg(unix)]
fn world_writable(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(dir).map(|m| m.permissions().mode() & 0o002 != 0).unwrap_or(false)
}

#[cfg(not(unix))]
fn world_writable(_dir: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `sh -c` makes of a line: the arguments it would pass, via `printf`.
    #[cfg(unix)]
    fn sh_args(line: &str) -> Vec<String> {
        let out = std::process::Command::new("sh").arg("-c").arg(format!("printf '%s\\n' {line}")).output().unwrap();
        String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect()
    }

    #[cfg(unix)]
    #[test]
    fn posix_quoting_runs_nothing_under_sh_c() {
        let canary = std::env::temp_dir().join(format!("rolegate-quote-canary-{}", std::process::id()));
        let hostile = [
            format!("/home/a$(touch {})b/.rolegate", canary.display()),
            format!("/home/`touch {}`/x", canary.display()),
            "/home/o'brien/$HOME/\\n \"quoted\"".to_string(),
            "/opt/Role Gate/rolegate".to_string(),
        ];
        for h in &hostile {
            let q = quote(h, Shell::Posix).unwrap();
            assert_eq!(sh_args(&q), vec![h.clone()], "{q}");
        }
        assert!(!canary.exists(), "a quoted path ran a command");
        assert_eq!(quote("/usr/bin/rolegate", Shell::Posix).unwrap(), "/usr/bin/rolegate");
    }

    #[test]
    fn windows_quoting_keeps_backslashes_and_refuses_what_cmd_expands() {
        assert_eq!(
            quote(r"C:\Program Files\Rolegate\rolegate.exe", Shell::Windows).unwrap(),
            r#""C:\Program Files\Rolegate\rolegate.exe""#
        );
        assert_eq!(quote(r"C:\Users\a b\", Shell::Windows).unwrap(), r#""C:\Users\a b\\""#);
        assert_eq!(quote(r"C:\Rolegate\rolegate.exe", Shell::Windows).unwrap(), r"C:\Rolegate\rolegate.exe");
        for bad in [r"C:\Users\%USERNAME%\x", "C:\\a\"b"] {
            let e = quote(bad, Shell::Windows).unwrap_err();
            assert_eq!(e.rule, "unquotable", "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_program_is_the_appimage_and_never_in_a_world_writable_folder() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let safe = dir.path().join("bin");
        std::fs::create_dir(&safe).unwrap();
        std::fs::set_permissions(&safe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let exe = safe.join("rolegate");
        std::fs::write(&exe, "").unwrap();
        let image = safe.join("Rolegate.AppImage");
        std::fs::write(&image, "").unwrap();
        let mount = dir.path().join(".mount_abc/usr/bin/rolegate-app");
        assert_eq!(program(&mount, Some(&image)).unwrap(), image.canonicalize().unwrap());
        assert_eq!(program(&exe, None).unwrap(), exe.canonicalize().unwrap());
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let planted = open.join("rolegate");
        std::fs::write(&planted, "").unwrap();
        assert_eq!(program(&planted, None).unwrap_err().rule, "world-writable-folder");
    }
}
