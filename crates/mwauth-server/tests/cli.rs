//! The admin commands (`mwauth user …`, `mwauth botpassword …`, `mwauth oath …`) as an operator runs them:
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

/// `mwauth oath status|disable USER` on a real SQLite file with `[oath]` on: the key is
/// OATHAuth's row in `oathauth_users`, which status reports without its secret and disable
/// removes (ending the user's sessions, as disableOATHAuthForUser.php does).
#[test]
fn oath_status_and_disable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("mwauth.toml");
    std::fs::write(&config, "[oath]\nenabled = true\n").unwrap();
    let config = config.to_str().unwrap();
    let (ok, _, err) = mwauth(
        d,
        &["user", "create", "Alice", "--password", "Alice-pass-12345"],
    );
    assert!(ok, "{err}");
    let oath = |args: &[&str]| {
        let mut all = vec!["--config", config, "oath"];
        all.extend_from_slice(args);
        mwauth(d, &all)
    };
    let (ok, out, err) = oath(&["status", "alice"]);
    assert!(ok, "{err}");
    assert_eq!(out, "Alice (id 1): two-factor authentication not enabled\n");

    // Enrol Alice as Special:OATHManage would, straight into the file.
    const SECRET: &str = "ORACLETOTPSECRETORACLETOTPSECRET";
    let token_before = store(d, |users| async move {
        let row = mwauth::store::OathRow {
            module: "totp".into(),
            data: format!(
                r#"{{"keys":[{{"secret":"{SECRET}","scratch_tokens":["RECOVERYCODE0001"]}}]}}"#
            ),
        };
        users.set_oath_user(1, &row).await.unwrap();
        users.user_by_id(1).await.unwrap().unwrap().token
    });
    let (ok, out, err) = oath(&["status", "Alice"]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "Alice (id 1): two-factor authentication enabled (totp)\n"
    );
    assert!(!out.contains(SECRET) && !out.contains("RECOVERY"));
    // With [oath] off, the row is there but not asked for.
    let (ok, out, _) = mwauth(d, &["oath", "status", "Alice"]);
    assert!(ok);
    assert!(
        out.ends_with("enabled (totp) (not asked at login: [oath] is off)\n"),
        "{out}"
    );

    let (ok, out, err) = oath(&["disable", "Alice"]);
    assert!(ok, "{err}");
    assert_eq!(out, "OATHAuth disabled for Alice.\n");
    let (row, token_after) = store(d, |users| async move {
        (
            users.oath_user(1).await.unwrap(),
            users.user_by_id(1).await.unwrap().unwrap().token,
        )
    });
    assert!(row.is_none());
    assert_ne!(token_after, token_before, "the user's sessions end");
    let (ok, _, err) = oath(&["disable", "Alice"]);
    assert!(!ok);
    assert!(
        err.contains("User Alice doesn't have OATHAuth enabled!"),
        "{err}"
    );
    let (ok, _, err) = oath(&["status", "Nobody"]);
    assert!(!ok);
    assert!(err.contains("User Nobody doesn't exist!"), "{err}");
}

/// Runs `f` on the users store of the data directory's SQLite file.
fn store<T, F, Fut>(dir: &Path, f: F) -> T
where
    F: FnOnce(std::sync::Arc<dyn mwauth::store::UserStore>) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    use mwauth::store::url::{open, SessionsUrl, StoreOptions, UsersUrl};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let file = dir.join("mwauth.sqlite");
        let users = UsersUrl::Sqlite(file.clone());
        let sessions = SessionsUrl::parse("memory", &file).unwrap();
        let stores = open(&users, &sessions, &StoreOptions::default())
            .await
            .unwrap();
        f(stores.users).await
    })
}
