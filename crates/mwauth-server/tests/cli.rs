//! The admin commands (`mwauth user …`, `mwauth botpassword …`) as an operator runs them:
//! the real binary on a data directory of its own. They go through the same engine as
//! Special:CreateAccount and Special:BotPasswords, so they refuse in MediaWiki's words.

use std::path::Path;
use std::process::Command;

/// Runs `mwauth ARGS…` on `dir`: (success, stdout, stderr).
fn mwauth(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mwauth"))
        .args(args)
        .env("MWAUTH_DATA_DIR", dir)
        .env_remove("MWAUTH_CONFIG")
        .env_remove("MWAUTH_WIKI_ID")
        .env_remove("MWAUTH_USERS")
        .env_remove("MWAUTH_SESSIONS")
        .env_remove("MWAUTH_TABLE_PREFIX")
        .output()
        .expect("run mwauth");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `mwauth ARGS…` on `dir` and checks it fails with `text` on stderr.
fn refused(dir: &Path, args: &[&str], text: &str) {
    let (ok, _, err) = mwauth(dir, args);
    assert!(!ok, "{args:?} succeeded");
    assert!(err.contains(text), "{args:?}: {err}");
}

#[test]
fn user_create_refuses_as_special_createaccount_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, err) = mwauth(
        d,
        &["user", "create", "alice", "--password", "Alice-pass-12345"],
    );
    assert!(ok, "{err}");
    assert_eq!(out, "created user \"Alice\" (id 1)\n");
    refused(
        d,
        &["user", "create", "Alice", "--password", "Other-pass-12345"],
        "Username entered already in use.",
    );
    refused(
        d,
        &["user", "create", "A@b", "--password", "Other-pass-12345"],
        "You have not specified a valid username.",
    );
    // A sysop's password policy asks for 10 characters.
    refused(
        d,
        &[
            "user",
            "create",
            "Bob",
            "--password",
            "short-pw",
            "--groups",
            "sysop",
        ],
        "Passwords must be at least 10 characters.",
    );
    refused(
        d,
        &[
            "user",
            "create",
            "Bob",
            "--password",
            "Bob-pass-12345",
            "--groups",
            "nogroup",
        ],
        "There is no user group \"nogroup\".",
    );
    let (ok, out, err) = mwauth(
        d,
        &[
            "user",
            "create",
            "Bob",
            "--password",
            "Bob-pass-12345",
            "--groups",
            "sysop",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(out, "created user \"Bob\" (id 2)\n");
    let (_, out, _) = mwauth(d, &["user", "list"]);
    let names: Vec<(&str, &str)> = out
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[1], f[2])
        })
        .collect();
    assert_eq!(names, [("Alice", ""), ("Bob", "sysop")]);
}

#[test]
fn botpassword_commands_share_the_pages_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        mwauth(
            d,
            &["user", "create", "Alice", "--password", "Alice-pass-12345"]
        )
        .0
    );
    // Grants: `basic` always, in $wgGrantPermissions order.
    let (ok, out, err) = mwauth(
        d,
        &[
            "botpassword",
            "create",
            "Alice",
            "bot",
            "--grants",
            "rollback,highvolume",
        ],
    );
    assert!(ok, "{err}");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("login name: Alice@bot"));
    let password = lines.next().unwrap().strip_prefix("password:   ").unwrap();
    assert!(
        password.len() >= 32
            && password
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'w'))
    );
    let (_, out, _) = mwauth(d, &["botpassword", "list", "Alice"]);
    assert_eq!(out, "Alice@bot\tbasic,highvolume,rollback\n");
    refused(
        d,
        &["botpassword", "create", "Alice", "bot"],
        "Failed to add bot name \"bot\". Was it already added?",
    );
    refused(
        d,
        &["botpassword", "create", "Alice", "a@b"],
        "The bot name \"a@b\" is not valid.",
    );
    refused(
        d,
        &[
            "botpassword",
            "create",
            "Alice",
            "x",
            "--grants",
            "nonsense",
        ],
        "There is no grant \"nonsense\".",
    );
    refused(
        d,
        &[
            "botpassword",
            "create",
            "Alice",
            "x",
            "--password",
            "too-short",
        ],
        "at least 32 characters",
    );
    let chosen = "abcdefghijklmnopqrstuvw012345678";
    let (ok, out, err) = mwauth(
        d,
        &["botpassword", "create", "Alice", "x", "--password", chosen],
    );
    assert!(ok, "{err}");
    assert!(out.ends_with(&format!("password:   {chosen}\n")), "{out}");
    let (ok, out, _) = mwauth(d, &["botpassword", "invalidate", "Alice"]);
    assert!(ok);
    assert_eq!(out, "Bot passwords invalidated for Alice\n");
    let (ok, out, _) = mwauth(d, &["botpassword", "delete", "Alice", "bot"]);
    assert!(ok);
    assert_eq!(out, "deleted bot password Alice@bot\n");
    refused(
        d,
        &["botpassword", "delete", "Alice", "bot"],
        "has no bot password \"bot\"",
    );
}
