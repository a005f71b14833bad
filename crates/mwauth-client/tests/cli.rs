//! The `mwauth-client` binary as a shell script uses it: one process per step, the session
//! in a cookie file, against a real mwauth server on loopback.

mod common;

use common::{server_with_alice, BOT_NAME, BOT_PASSWORD, WRONG_PASSWORD_REASON};
use std::path::Path;
use std::process::{Command, Output};

fn cli(api: &str, jar: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mwauth-client"))
        .arg("--api")
        .arg(api)
        .arg("--cookie-jar")
        .arg(jar)
        .args(args)
        .env_remove("MWAUTH_CLIENT_API")
        .env_remove("MWAUTH_CLIENT_COOKIE_JAR")
        .output()
        .expect("run mwauth-client")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}, stderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_keeps_the_session_in_the_cookie_jar_across_invocations() {
    let t = server_with_alice().await;
    let api = t.api_url();
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("cookies.json");

    let login = stdout(&cli(&api, &jar, &["login", BOT_NAME, BOT_PASSWORD]));
    assert_eq!(
        login,
        format!("Logged in as Alice (user id {}).\n", t.alice_id)
    );
    assert_eq!(stdout(&cli(&api, &jar, &["whoami"])), "Alice\n");
    let token = stdout(&cli(&api, &jar, &["token"]));
    assert!(token.trim_end().ends_with("+\\"), "{token}");
    assert_eq!(stdout(&cli(&api, &jar, &["logout"])), "Logged out.\n");
    assert_eq!(stdout(&cli(&api, &jar, &["whoami"])), "127.0.0.1\n");
}

/// What `touch` or `mktemp` leaves is an empty jar, not an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_takes_an_empty_cookie_file_as_an_empty_jar() {
    let t = server_with_alice().await;
    let api = t.api_url();
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("cookies.json");
    std::fs::write(&jar, "").unwrap();
    assert_eq!(stdout(&cli(&api, &jar, &["whoami"])), "127.0.0.1\n");
    stdout(&cli(&api, &jar, &["login", BOT_NAME, BOT_PASSWORD]));
    assert_eq!(stdout(&cli(&api, &jar, &["whoami"])), "Alice\n");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_cookie_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let t = server_with_alice().await;
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("cache/mwauth-client/cookies.json");
    stdout(&cli(&t.api_url(), &jar, &["login", BOT_NAME, BOT_PASSWORD]));
    let mode = std::fs::metadata(&jar).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let saved = std::fs::read_to_string(&jar).unwrap();
    assert!(saved.contains("clientwiki_BPsession"), "{saved}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_reads_the_password_from_stdin_when_omitted() {
    use std::io::Write as _;
    let t = server_with_alice().await;
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("cookies.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mwauth-client"))
        .args(["--api", &t.api_url(), "--cookie-jar"])
        .arg(&jar)
        .args(["login", BOT_NAME])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{BOT_PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(stdout(&out).starts_with("Logged in as Alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_login_failure_prints_mediawikis_result_and_reason_and_exits_1() {
    let t = server_with_alice().await;
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("cookies.json");
    let out = cli(&t.api_url(), &jar, &["login", BOT_NAME, "wrong"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("mwauth-client: login failed (Failed): {WRONG_PASSWORD_REASON}\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_api_error_prints_code_and_info_and_exits_1() {
    let t = server_with_alice().await;
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("cookies.json");
    // Parameters in the API URL go with every request: a script can insist on a login.
    let api = format!("{}?assert=user", t.api_url());
    let out = cli(&api, &jar, &["whoami"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "mwauth-client: assertuserfailed: You are no longer logged in, so the action could not \
         be completed.\n"
    );
}
