//! The session record against records MediaWiki 1.39 wrote (tests/fixtures/php-sessions,
//! recorded from `shared/oracle/mixed.sh`, in Redis and in the objectcache table) and against
//! PHP's own `unserialize()`.

use super::*;
use crate::session::Provider;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/php-sessions/",
            $name
        ))
        .as_slice()
    };
}

const SESSION_FIXTURES: &[(&str, &[u8])] = &[
    ("redis-botpassword", fixture!("redis-botpassword.ser")),
    ("redis-clientlogin", fixture!("redis-clientlogin.ser")),
    (
        "redis-clientlogin-remember",
        fixture!("redis-clientlogin-remember.ser"),
    ),
    (
        "redis-anon-login-token",
        fixture!("redis-anon-login-token.ser"),
    ),
    (
        "redis-special-userlogin",
        fixture!("redis-special-userlogin.ser"),
    ),
    ("db-botpassword", fixture!("db-botpassword.ser")),
    (
        "db-clientlogin-remember",
        fixture!("db-clientlogin-remember.ser"),
    ),
    ("db-oath-pending", fixture!("db-oath-pending.ser")),
    ("db-captcha-per-user", fixture!("db-captcha-per-user.ser")),
    ("synthetic-objects", fixture!("synthetic-objects.ser")),
];

/// `user_token` of Alice (id 3) in the two wikis the fixtures come from.
const ALICE_USER_TOKEN_REDIS_WIKI: &str = "0bda368f1d98ceca535966587094eb2f";
const ALICE_USER_TOKEN_DB_WIKI: &str = "8cda86f944ae57f427fbcedd62dd2940";

#[test]
fn php_records_of_mediawiki_read_and_write_back_to_the_same_bytes() {
    for (name, bytes) in SESSION_FIXTURES {
        let record = PhpRecord::decode(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&record.encode()),
            String::from_utf8_lossy(bytes),
            "{name}"
        );
    }
    for bytes in [
        fixture!("redis-wancache-user-3.ser"),
        fixture!("redis-user-quicktouched-4.ser"),
    ] {
        let tree = php_serialize::unserialize(bytes).unwrap();
        assert_eq!(php_serialize::serialize(&tree), bytes);
    }
}

#[test]
fn php_record_of_a_bot_password_login_reads_as_mwauths_session() {
    let r = PhpRecord::decode(fixture!("redis-botpassword.ser")).unwrap();
    assert_eq!(r.provider, Provider::BotPassword);
    assert_eq!((r.data.user_id, r.data.user_name.as_str()), (3, "Alice"));
    assert_eq!(r.data.user_token, "2f030e7afe83cf178453a22ab7770b79");
    let bot = r.data.bot.as_ref().unwrap();
    assert_eq!(bot.app_id, "editbot");
    assert_eq!(bot.token, "5ca7cae0f01b1d519697482f0eded1ca");
    assert!(
        bot.grants.is_empty(),
        "the loader fills grants from bp_grants"
    );
    assert_eq!(r.central_id, 3);
    assert_eq!(r.bot_rights.len(), 24);
    assert_eq!(r.bot_rights[0], "autocreateaccount");
    assert_eq!(
        r.data.token_secrets.get("default").unwrap().as_str(),
        "b3d62f2c0d5139527fe5d87ee4368511"
    );
    assert!(r.data.remember && r.persisted && !r.force_https);
    assert_eq!(
        (r.expires, r.logged_out, r.data.last_auth),
        (1796680767, 0, 0)
    );
}

#[test]
fn php_record_of_a_password_login_keeps_the_last_authentication() {
    let r = PhpRecord::decode(fixture!("redis-clientlogin.ser")).unwrap();
    assert_eq!(r.provider, Provider::Cookie);
    assert_eq!(r.data.last_auth, 1796677168);
    assert!(!r.data.remember);
    let anon = PhpRecord::decode(fixture!("redis-anon-login-token.ser")).unwrap();
    assert_eq!((anon.data.user_id, anon.data.user_name.as_str()), (0, ""));
    assert_eq!(anon.data.token_secrets.len(), 2);
}

#[test]
fn php_user_token_is_hmac_whirlpool_of_the_token_version() {
    // What the wikis stored as Alice's userToken (and sent as her Token cookie).
    assert_eq!(
        session_user_token(ALICE_USER_TOKEN_REDIS_WIKI, Some("1")),
        "2f030e7afe83cf178453a22ab7770b79"
    );
    let db = PhpRecord::decode(fixture!("db-clientlogin-remember.ser")).unwrap();
    assert_eq!(
        session_user_token(ALICE_USER_TOKEN_DB_WIKI, Some("1")),
        db.data.user_token
    );
    assert!(user_token_matches(
        &db.data.user_token,
        ALICE_USER_TOKEN_DB_WIKI,
        Some("1")
    ));
    assert!(!user_token_matches(
        &db.data.user_token,
        ALICE_USER_TOKEN_REDIS_WIKI,
        Some("1")
    ));
    // Without $wgAuthenticationTokenVersion the raw column is the token.
    assert_eq!(
        session_user_token(ALICE_USER_TOKEN_DB_WIKI, None),
        ALICE_USER_TOKEN_DB_WIKI
    );
    assert!(user_token_matches(
        ALICE_USER_TOKEN_DB_WIKI,
        ALICE_USER_TOKEN_DB_WIKI,
        None
    ));
}

#[test]
fn php_invalidated_user_token_never_matches() {
    let stored = session_user_token(INVALID_USER_TOKEN, Some("1"));
    assert_eq!(stored.len(), 32);
    assert_ne!(stored, session_user_token(INVALID_USER_TOKEN, Some("1")));
    for version in [None, Some("1")] {
        assert!(!user_token_matches(
            INVALID_USER_TOKEN,
            INVALID_USER_TOKEN,
            version
        ));
        assert!(!user_token_matches(&stored, INVALID_USER_TOKEN, version));
        assert!(!user_token_matches("", "", version));
    }
}

#[test]
fn php_records_that_are_not_sessions_are_refused() {
    for (bytes, want) in [
        (&b"i:1;"[..], "Shape"),
        (b"a:1:{s:4:\"data\";a:0:{}}", "Shape"),
        (
            b"a:2:{s:4:\"data\";a:0:{}s:8:\"metadata\";a:3:{s:6:\"userId\";i:0;s:8:\"userName\";N;s:9:\"userToken\";N;}}",
            "Shape",
        ),
        (
            b"a:2:{s:4:\"data\";a:0:{}s:8:\"metadata\";a:4:{s:8:\"provider\";s:3:\"Foo\";s:6:\"userId\";i:0;s:8:\"userName\";N;s:9:\"userToken\";N;}}",
            "OtherProvider",
        ),
        (b"a:2:{s:4:\"data\";", "Syntax"),
    ] {
        let err = PhpRecord::decode(bytes).unwrap_err();
        assert!(format!("{err:?}").starts_with(want), "{err:?}");
    }
}

#[test]
fn php_record_rewrite_changes_only_what_mwauth_changed() {
    let bytes = fixture!("synthetic-objects.ser");
    let mut r = PhpRecord::decode(bytes).unwrap();
    // A second token secret (sorted before "default"), then a re-authentication.
    r.data
        .token_secrets
        .insert("createaccount".into(), "c".repeat(32));
    r.data.last_auth = 1796677000;
    let written = r.encode();
    let again = PhpRecord::decode(&written).unwrap();
    assert_eq!(
        again
            .data
            .token_secrets
            .get("createaccount")
            .unwrap()
            .as_str(),
        "c".repeat(32)
    );
    assert_eq!(again.data.last_auth, 1796677000);
    // Every value PHP or an extension put there is still there, byte for byte.
    let text = String::from_utf8_lossy(&written);
    for piece in [
        "O:3:\"Ext\":3:{s:1:\"a\";i:1;s:4:\"\0*\0b\";a:1:{i:0;d:2.5;}s:6:\"\0Ext\0c\";N;}",
        "C:6:\"Legacy\":20:{payload;with\"quotes}}",
        "E:11:\"Suit:Hearts\";",
        "i:6;d:1.2345678901234568E+17;i:7;d:NAN;",
    ] {
        assert!(text.contains(piece), "{piece} missing from {text}");
    }
    // The references moved with their targets (one more secret and two lastAuth values now
    // come before them); PHP agrees (php_record_written_by_mwauth_reads_in_php).
    let tree = php_serialize::unserialize(&written).unwrap();
    assert_eq!(php_serialize::serialize(&tree), written);
}

#[test]
fn php_record_keeps_a_half_done_login_pending_captchas_and_an_enrolment_for_the_next_node() {
    use crate::auth::captcha::{Answer, Captcha, PendingCaptcha};
    let bytes = fixture!("redis-anon-login-token.ser");
    let mut r = PhpRecord::decode(bytes).unwrap();
    r.data.authn = Some(crate::session::AuthnState {
        user_id: 3,
        user_name: "Alice".into(),
        remember: true,
    });
    r.data.captchas = vec![PendingCaptcha {
        id: "123456".into(),
        captcha: Captcha {
            question: "5\u{2212}3".into(),
            answer: Answer::Number(2),
        },
    }];
    r.data.oath_enrolment = Some(crate::user::oath::TotpKey {
        secret: "ORACLETOTPSECRETORACLETOTPSECRET".into(),
        scratch_tokens: vec!["RECOVERYCODE0001".into()],
    });
    let again = PhpRecord::decode(&r.encode()).unwrap();
    assert_eq!(again.data.authn, r.data.authn);
    assert_eq!(again.data.captchas, r.data.captchas);
    assert_eq!(again.data.oath_enrolment, r.data.oath_enrolment);
    // Once the login passes and the captcha is answered, the keys leave the record, which
    // is PHP's own again.
    let mut done = again.clone();
    done.data.authn = None;
    done.data.captchas.clear();
    done.data.oath_enrolment = None;
    assert_eq!(
        String::from_utf8_lossy(&done.encode()),
        String::from_utf8_lossy(bytes)
    );
}

/// ConfirmEdit's `ConfirmEdit:loginCaptchaPerUserTriggered`, as the extensions wiki wrote it
/// after a fourth failed login as Bob with `$wgCaptchaBadLoginPerUserAttempts = 3`
/// (db-captcha-per-user.ser: `b:1`, after PHP's other keys), is mwauth's flag, read from and
/// written to that key only.
#[test]
fn php_record_shares_confirmedits_per_user_login_captcha_flag() {
    const ENTRY: &str = r#"s:40:"ConfirmEdit:loginCaptchaPerUserTriggered";b:1;"#;
    let flagged = fixture!("db-captcha-per-user.ser");
    let r = PhpRecord::decode(flagged).unwrap();
    assert!(r.data.login_captcha_per_user);
    // A login passes: the key goes (Session::remove), the rest stays byte for byte.
    let mut passed = r.clone();
    passed.data.login_captcha_per_user = false;
    let text = String::from_utf8(passed.encode()).unwrap();
    let expected = String::from_utf8_lossy(flagged)
        .replace(ENTRY, "")
        .replacen(r#"s:4:"data";a:6:"#, r#"s:4:"data";a:5:"#, 1);
    assert_eq!(text, expected);
    assert!(
        !PhpRecord::decode(text.as_bytes())
            .unwrap()
            .data
            .login_captcha_per_user
    );
    // mwauth raises it: PHP's `true` under the same key, appended as PHP's set() appends,
    // and nothing of it anywhere else in the record.
    let bytes = fixture!("redis-anon-login-token.ser");
    let mut r = PhpRecord::decode(bytes).unwrap();
    assert!(!r.data.login_captcha_per_user);
    r.data.login_captcha_per_user = true;
    let raised = r.encode();
    let text = String::from_utf8_lossy(&raised);
    assert_eq!(text.matches("loginCaptchaPerUser").count(), 1, "{text}");
    assert!(text.contains(&format!("{ENTRY}}}")), "{text}");
    assert!(
        PhpRecord::decode(&raised)
            .unwrap()
            .data
            .login_captcha_per_user
    );
    // A truthy value PHP left there stays as it is while the flag is up; a falsy one is no
    // flag.
    for (value, up) in [("i:1;", true), ("s:1:\"0\";", false), ("b:0;", false)] {
        let record = String::from_utf8_lossy(flagged).replace(
            ENTRY,
            &format!(r#"s:40:"ConfirmEdit:loginCaptchaPerUserTriggered";{value}"#),
        );
        let r = PhpRecord::decode(record.as_bytes()).unwrap();
        assert_eq!(r.data.login_captcha_per_user, up, "{value}");
        assert_eq!(String::from_utf8(r.encode()).unwrap(), record, "{value}");
    }
    let script = r#"$r = unserialize(file_get_contents($argv[1]));
        var_export($r['data']['ConfirmEdit:loginCaptchaPerUserTriggered']);"#;
    if let Some(out) = php(script, &raised) {
        assert_eq!(out, "true");
    }
}

/// Runs PHP's unserialize() on `bytes` and returns what the script printed.
fn php(script: &str, bytes: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("record");
    std::fs::write(&path, bytes).unwrap();
    let out = match std::process::Command::new("php")
        .arg("-r")
        .arg(script)
        .arg(&path)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            println!("skipped: php is not installed here ({e}); apt-get install php-cli");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn php_record_written_by_mwauth_reads_in_php() {
    // A new bot-password session, as a login through mwauth writes it.
    let mut data = SessionData {
        user_id: 3,
        user_name: "Alice".into(),
        user_token: session_user_token(ALICE_USER_TOKEN_REDIS_WIKI, Some("1")),
        remember: true,
        bot: Some(BotGrant {
            app_id: "editbot".into(),
            grants: vec!["basic".into()],
            token: "5ca7cae0f01b1d519697482f0eded1ca".into(),
        }),
        ..SessionData::default()
    };
    data.token_secrets.insert("default".into(), "d".repeat(32));
    let mut r = PhpRecord::new(Provider::BotPassword, data, 1796680767);
    r.bot_rights = vec!["read".into(), "edit".into()];
    let script = r#"$r = unserialize(file_get_contents($argv[1]));
        echo json_encode([$r['metadata'], $r['data']]);"#;
    let Some(out) = php(script, &r.encode()) else {
        return;
    };
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v[0],
        serde_json::json!({
            "provider": BOT_PASSWORD_PROVIDER,
            "providerMetadata": {"centralId": 3, "appId": "editbot",
                "token": "5ca7cae0f01b1d519697482f0eded1ca", "rights": ["read", "edit"]},
            "userId": 3, "userName": "Alice", "userToken": "2f030e7afe83cf178453a22ab7770b79",
            "remember": true, "forceHTTPS": false, "expires": 1796680767, "loggedOut": 0,
            "persisted": true,
        })
    );
    assert_eq!(
        v[1],
        serde_json::json!({"wsUserID": 3, "wsUserName": "Alice",
            "wsToken": "2f030e7afe83cf178453a22ab7770b79",
            "wsTokenSecrets": {"default": "d".repeat(32)}})
    );

    // A record PHP wrote with objects and references, rewritten by mwauth: PHP reads every
    // object and reference back where it was.
    let mut r = PhpRecord::decode(fixture!("synthetic-objects.ser")).unwrap();
    r.data
        .token_secrets
        .insert("createaccount".into(), "c".repeat(32));
    r.data.last_auth = 1796677000;
    let script = r#"error_reporting(E_ALL & ~E_DEPRECATED);
        enum Suit { case Hearts; }
        class Legacy implements Serializable { public $v;
            public function serialize() { return ''; } public function unserialize($s) { $this->v = $s; } }
        class Ext { public $a; protected $b; private $c; }
        $r = unserialize(file_get_contents($argv[1]));
        $d = $r['data'];
        echo json_encode([
            $d['ext:object'] === $d['ext:same-object'],
            get_class($d['ext:date']), $d['ext:date']->format('U'),
            $d['ext:legacy']->v, $d['ext:enum'] === Suit::Hearts,
            $d['ext:ref-a'], $d['ext:floats'][5], array_keys($d['wsTokenSecrets']),
            $d['AuthManager:lastAuthTimestamp'],
        ]);
        $d['ext:ref-a']['k'] = 'changed';
        echo ' ', $d['ext:ref-b']['k'];"#;
    let Some(out) = php(script, &r.encode()) else {
        return;
    };
    assert_eq!(
        out,
        r#"[true,"DateTime","86400","payload;with\"quotes}",true,{"k":"v"},1.0e+25,["default","createaccount"],1796677000] changed"#
    );
}
