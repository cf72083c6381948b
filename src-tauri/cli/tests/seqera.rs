//! `rolegate seqera login|workspaces|logout` through the real binary against the Seqera
//! stand-in (tests/seqera): who signed in, the workspaces in text and JSON, a revoked
//! token, a bad URL, nothing listening, signing out, and the token in no output and no
//! file of the home.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{Cli, Raw};
use rolegate_core::ports::Vault;
use rolegate_tests::seqera::seqera;
use rolegate_vault::Keychain;
use secrecy::ExposeSecret;
use serde_json::Value;

/// `rolegate [--json] seqera ARGS` with `stdin` and extra environment, no AWS identity.
fn seqera_cmd(cli: &Cli, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Raw {
    run_seqera(cli, &[], args, stdin, env)
}

/// `rolegate GLOBAL... seqera ARGS`, with `stdin` on standard input.
fn run_seqera(cli: &Cli, global: &[&str], args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Raw {
    let mut c = cli.command();
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(global).arg("seqera").args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("run rolegate");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Raw {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn json_of(r: &Raw) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}\nstderr: {}", r.stdout, r.stderr))
}

fn login(cli: &Cli, url: &str, token: &str) -> Raw {
    seqera_cmd(cli, &["login", "--url", url, "--token-stdin"], &format!("{token}\n"), &[])
}

fn login_json(cli: &Cli, url: &str, token: &str) -> Raw {
    seqera_cmd_json(cli, &["login", "--url", url, "--token-stdin"], &format!("{token}\n"))
}

/// `rolegate --json seqera ARGS`.
fn seqera_cmd_json(cli: &Cli, args: &[&str], stdin: &str) -> Raw {
    run_seqera(cli, &["--json"], args, stdin, &[])
}

/// A loopback web server that answers every request with an HTML page, as a web app does.
fn web_page() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = std::io::Read::read(&mut conn, &mut buf);
            let body = "<!doctype html><html><body>Seqera</body></html>";
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn keychain_token(cli: &Cli, url: &str) -> Option<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(Keychain::with_service(&cli.service).get(&format!("seqera-token/{url}"))).unwrap().map(|s| s.expose_secret().to_string())
}

#[test]
fn login_shows_the_user_and_workspaces_lists_the_stand_ins_workspaces_in_text_and_json() {
    let cli = Cli::new();
    let user = seqera().user(&[("acme", "genomics"), ("acme", "wave")]);
    let url = &seqera().url;

    let r = login(&cli, url, &user.token);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!("signed in to {url} as ")), "{}", r.stdout);
    assert!(r.stdout.contains(&format!("user id {}", user.user_id)), "{}", r.stdout);
    assert_eq!(keychain_token(&cli, url).as_deref(), Some(user.token.as_str()), "the token is in the keychain");

    let r = seqera_cmd(&cli, &["workspaces"], "", &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for (id, path) in &user.workspaces {
        assert!(r.stdout.lines().any(|l| l.starts_with(&format!("{path}\tworkspace {id}\t"))), "{path} {id} in:\n{}", r.stdout);
    }
    assert_eq!(r.stdout.lines().count(), 2, "one line a workspace, no organization rows:\n{}", r.stdout);

    let r = seqera_cmd_json(&cli, &["workspaces"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r);
    assert_eq!(v["url"], url.as_str());
    assert_eq!(v["user"]["id"], user.user_id);
    let got: Vec<(i64, String)> = v["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["workspace_id"].as_i64().unwrap(), w["path"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(got, user.workspaces);
}

#[test]
fn login_json_and_the_url_from_the_environment() {
    let cli = Cli::new();
    let user = seqera().user(&[("beta", "lab")]);
    let url = &seqera().url;
    let r = seqera_cmd(&cli, &["--json", "login", "--token-stdin"], &user.token, &[("ROLEGATE_SEQERA_URL", url.as_str())]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = json_of(&r);
    assert_eq!(v["signed_in"]["url"], url.as_str());
    assert_eq!(v["signed_in"]["user"]["id"], user.user_id);
    assert_eq!(v["signed_in"]["entry"], format!("seqera-token/{url}"));
}

#[test]
fn a_revoked_token_is_refused_with_its_own_code() {
    let cli = Cli::new();
    let user = seqera().user(&[("gamma", "ws")]);
    let url = &seqera().url;
    assert_eq!(login(&cli, url, &user.token).code, 0);
    seqera().revoke(&user.token);

    let r = seqera_cmd_json(&cli, &["workspaces"], "");
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    let v = json_of(&r);
    assert_eq!(v["error"]["code"], "platform-token-refused");
    assert!(v["error"]["hint"].as_str().unwrap().contains("rolegate seqera login"), "{v}");

    let r = login_json(&cli, url, &user.token);
    assert_eq!((r.code, json_of(&r)["error"]["code"].as_str()), (4, Some("platform-token-refused")), "{}", r.stdout);
    let r = login(&cli, url, &user.token);
    assert_eq!(r.code, 4);
    assert!(r.stderr.contains("error: ") && r.stderr.contains("refused the access token"), "{}", r.stderr);
}

#[test]
fn a_bad_url_is_bad_input_naming_url_and_nothing_listening_is_a_network_error() {
    let cli = Cli::new();
    let r = login_json(&cli, "http://example.com", "some-token");
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let v = json_of(&r);
    assert_eq!(v["error"]["code"], "invalid-input");
    assert_eq!(v["error"]["fields"][0]["field"], "url");
    assert!(v["error"]["fields"][0]["message"].as_str().unwrap().contains("https://"), "{v}");

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = login_json(&cli, &format!("http://127.0.0.1:{port}"), "some-token");
    assert_eq!(r.code, 4, "{}{}", r.stdout, r.stderr);
    assert_eq!(json_of(&r)["error"]["code"], "platform-unreachable");

    // Something answers, but not as Seqera's API: a web page (Seqera's web app's URL
    // answers every path with its HTML page).
    let r = login_json(&cli, &web_page(), "some-token");
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(json_of(&r)["error"]["code"], "platform-not-seqera");

    let r = seqera_cmd(&cli, &["login", "--url", "https://x.example", "--token-stdin"], "\n", &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("token"), "an empty token names the field: {}", r.stderr);
    assert_eq!(keychain_token(&cli, "https://x.example"), None);
}

#[test]
fn logout_removes_the_token_and_then_nobody_is_signed_in() {
    let cli = Cli::new();
    let user = seqera().user(&[("delta", "ws")]);
    let url = &seqera().url;
    assert_eq!(login(&cli, url, &user.token).code, 0);
    let r = seqera_cmd_json(&cli, &["logout"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r);
    assert_eq!((v["signed_out"]["url"].as_str(), v["signed_out"]["removed"].as_bool()), (Some(url.as_str()), Some(true)));
    assert_eq!(keychain_token(&cli, url), None, "the keychain entry is gone");

    let r = seqera_cmd(&cli, &["workspaces"], "", &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("not signed in to Seqera Platform"), "{}", r.stderr);
    assert!(r.stderr.contains("rolegate seqera login"), "{}", r.stderr);
    let r = seqera_cmd_json(&cli, &["workspaces"], "");
    assert_eq!(json_of(&r)["error"]["code"], "platform-not-signed-in");
}

#[test]
fn the_token_appears_in_no_output_and_no_file_of_the_home() {
    let cli = Cli::new();
    let user = seqera().user(&[("eps", "ws")]);
    let url = &seqera().url;
    // The diagnostic log at its most detailed, on stderr, is searched too.
    let log = [("ROLEGATE_LOG", "trace")];
    let login_as = |json: bool, token: &str| {
        let mut args = vec!["login", "--url", url.as_str(), "--token-stdin"];
        if json {
            args.insert(0, "--json");
        }
        seqera_cmd(&cli, &args, &format!("{token}\n"), &log)
    };
    let mut seen = String::new();
    let mut keep = |r: Raw| {
        seen.push_str(&r.stdout);
        seen.push_str(&r.stderr);
        r.code
    };
    assert_eq!(keep(login_as(false, &user.token)), 0);
    assert_eq!(keep(login_as(true, &user.token)), 0);
    assert_eq!(keep(seqera_cmd(&cli, &["workspaces"], "", &log)), 0);
    assert_eq!(keep(seqera_cmd(&cli, &["--json", "workspaces"], "", &log)), 0);
    assert!(common::files_text(cli.home.path()).contains(url.as_str()), "the home remembers the URL (the scan reads the home)");
    assert!(!common::files_text(cli.home.path()).contains(&user.token), "no file of the home holds the accepted token");
    // A refused token (another user's, revoked) and a refused sign-in while signed in.
    let other = seqera().user(&[("eps", "other")]);
    seqera().revoke(&other.token);
    assert_eq!(keep(login_as(false, &other.token)), 4);
    assert_eq!(keep(login_as(true, &other.token)), 4);
    assert_eq!(keep(seqera_cmd(&cli, &["--json", "login", "--url", url, "--token-stdin"], &format!("{} x", other.token), &log)), 2);
    assert_eq!(keep(seqera_cmd(&cli, &["logout"], "", &log)), 0);
    assert!(seen.contains("signed in to"), "the outputs were collected");
    assert!(seen.contains("seqera call") || seen.contains("TRACE") || seen.contains("DEBUG"), "the log was on:\n{seen}");
    for token in [&user.token, &other.token] {
        assert!(!seen.contains(token.as_str()), "a token was printed:\n{seen}");
        assert!(!common::files_text(cli.home.path()).contains(token.as_str()), "a token is in a file of the home");
    }
}
