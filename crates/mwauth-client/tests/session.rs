//! The library against a real mwauth server on loopback.

mod common;

use common::{server_with_alice, BOT_NAME, BOT_PASSWORD, WRONG_PASSWORD_REASON};
use mwauth_client::{Client, ClientLoginStatus, CookieJar, Error, TokenValidity};
use std::sync::Arc;

#[tokio::test]
async fn bot_password_login_then_logout_ends_the_session() {
    let t = server_with_alice().await;
    let client = Client::new(&t.api_url()).unwrap();

    let me = client.login(BOT_NAME, BOT_PASSWORD).await.unwrap();
    assert_eq!(me.name, "Alice");
    assert_eq!(me.user_id, t.alice_id);

    let info = client.userinfo().await.unwrap();
    assert_eq!(
        (info.id, info.name.as_str(), info.anon),
        (t.alice_id, "Alice", false)
    );

    let csrf = client.token("csrf").await.unwrap();
    assert!(csrf.ends_with("+\\"), "{csrf}");
    let check = client.check_token("csrf", &csrf).await.unwrap();
    assert_eq!(check.result, TokenValidity::Valid);
    assert!(check.generated.is_some());

    client.logout().await.unwrap();
    let info = client.userinfo().await.unwrap();
    assert_eq!(
        (info.id, info.name.as_str(), info.anon),
        (0, "127.0.0.1", true)
    );
    let stale = client.check_token("csrf", &csrf).await.unwrap();
    assert_eq!(stale.result, TokenValidity::Invalid);
}

#[tokio::test]
async fn wrong_bot_password_is_a_login_failure_with_mediawikis_reason() {
    let t = server_with_alice().await;
    let client = Client::new(&t.api_url()).unwrap();
    let err = client
        .login(BOT_NAME, "not-the-password")
        .await
        .unwrap_err();
    match &err {
        Error::LoginFailed { result, reason } => {
            assert_eq!(result, "Failed");
            assert_eq!(reason, WRONG_PASSWORD_REASON);
        }
        other => panic!("expected LoginFailed, got {other:?}"),
    }
    assert_eq!(err.code(), Some("Failed"));
    assert!(client.userinfo().await.unwrap().anon);
}

#[tokio::test]
async fn logout_with_a_bad_token_is_an_api_error_with_code_and_info() {
    let t = server_with_alice().await;
    let client = Client::new(&t.api_url()).unwrap();
    client.login(BOT_NAME, BOT_PASSWORD).await.unwrap();

    let err = client
        .post(&[("action", "logout"), ("token", "0123456789abcdef+\\")])
        .await
        .unwrap_err();
    match &err {
        Error::Api { code, info } => {
            assert_eq!(code, "badtoken");
            assert_eq!(info, "Invalid CSRF token.");
        }
        other => panic!("expected Api error, got {other:?}"),
    }
    assert_eq!(err.to_string(), "badtoken: Invalid CSRF token.");
    // The refused logout ended nothing.
    assert_eq!(client.userinfo().await.unwrap().name, "Alice");
}

#[tokio::test]
async fn logout_token_in_the_query_string_is_refused_with_mustpostparams() {
    let t = server_with_alice().await;
    let client = Client::new(&t.api_url()).unwrap();
    client.login(BOT_NAME, BOT_PASSWORD).await.unwrap();
    let csrf = client.token("csrf").await.unwrap();
    let err = client
        .get(&[("action", "logout"), ("token", &csrf)])
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("mustpostparams"), "{err}");
    assert_eq!(
        err.info(),
        Some("The following parameter was found in the query string, but must be in the POST body: token.")
    );
    assert_eq!(client.userinfo().await.unwrap().name, "Alice");
}

#[tokio::test]
async fn saved_cookie_jar_carries_the_session_to_a_new_client() {
    let t = server_with_alice().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cookies.json");

    let first = Client::new(&t.api_url()).unwrap();
    first.login(BOT_NAME, BOT_PASSWORD).await.unwrap();
    first.cookie_jar().save(&path).unwrap();

    let jar = Arc::new(CookieJar::load(&path).unwrap());
    let second = Client::builder(&t.api_url())
        .cookie_jar(jar)
        .build()
        .unwrap();
    assert_eq!(second.userinfo().await.unwrap().name, "Alice");
}

#[tokio::test]
async fn each_client_has_its_own_session() {
    let t = server_with_alice().await;
    let alice = Client::new(&t.api_url()).unwrap();
    alice.login(BOT_NAME, BOT_PASSWORD).await.unwrap();
    let stranger = Client::new(&t.api_url()).unwrap();
    assert!(stranger.userinfo().await.unwrap().anon);
    let alices_token = alice.token("csrf").await.unwrap();
    let check = stranger.check_token("csrf", &alices_token).await.unwrap();
    assert_eq!(check.result, TokenValidity::Invalid);
}

#[tokio::test]
async fn clientlogin_with_the_main_password_passes_and_a_wrong_one_fails() {
    let t = server_with_alice().await;
    let client = Client::new(&t.api_url()).unwrap();
    let wrong = client
        .client_login("Alice", "not-the-password", "http://127.0.0.1/")
        .await
        .unwrap();
    assert_eq!(
        wrong,
        ClientLoginStatus::Fail {
            message: "Incorrect username or password entered.\nPlease try again.".into(),
            message_code: "wrongpassword".into(),
            can_preserve_state: false,
        }
    );
    assert!(client.userinfo().await.unwrap().anon);

    let pass = client
        .client_login("Alice", "Alice-pass-12345", "http://127.0.0.1/")
        .await
        .unwrap();
    assert_eq!(
        pass,
        ClientLoginStatus::Pass {
            username: Some("Alice".into())
        }
    );
    assert_eq!(client.userinfo().await.unwrap().id, t.alice_id);
}
