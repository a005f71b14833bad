//! What the client puts on the wire and how it reacts to answers mwauth never gives (maxlag,
//! 503, clientlogin), against a scripted HTTP server on loopback.

use mwauth_client::{Client, ClientLoginStatus, Error, RetryPolicy};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// One HTTP request as received.
#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    headers: String,
    body: String,
}

/// A server that answers each connection with the next scripted response, then closes it.
struct Scripted {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn response(status: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n{extra_headers}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn scripted(responses: Vec<String>) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/w/api.php", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let mut queue: VecDeque<String> = responses.into();
    tokio::spawn(async move {
        while let Some(reply) = queue.pop_front() {
            let (mut socket, _) = listener.accept().await.unwrap();
            let request = read_request(&mut socket).await;
            log.lock().unwrap().push(request);
            socket.write_all(reply.as_bytes()).await.unwrap();
            let _ = socket.shutdown().await;
        }
    });
    Scripted { url, seen }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Seen {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed mid-request");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    while buf.len() < head_end + 4 + length {
        let n = socket.read(&mut chunk).await.unwrap();
        buf.extend_from_slice(&chunk[..n]);
    }
    let (request_line, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    Seen {
        request_line: request_line.to_string(),
        headers: headers.to_string(),
        body: String::from_utf8_lossy(&buf[head_end + 4..]).to_string(),
    }
}

const MAXLAG: &str = r#"{"error":{"code":"maxlag","info":"Waiting for 10.0.0.1: 3 seconds lagged.","host":"10.0.0.1","lag":3,"type":"db"}}"#;
const USERINFO: &str =
    r#"{"batchcomplete":true,"query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":true}}}"#;
const LOGIN_TOKEN: &str = r#"{"batchcomplete":true,"query":{"tokens":{"logintoken":"abc+\\"}}}"#;

fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
    }
}

#[tokio::test]
async fn every_request_sends_format_json_formatversion_2_and_a_descriptive_user_agent() {
    let s = scripted(vec![
        response("200 OK", "", USERINFO),
        response("200 OK", "", "{}"),
    ])
    .await;
    let client = Client::new(&s.url).unwrap();
    client.userinfo().await.unwrap();
    client
        .post(&[("action", "logout"), ("token", "+\\"), ("format", "xml")])
        .await
        .unwrap();
    let seen = s.seen.lock().unwrap().clone();
    assert!(seen[0].request_line.starts_with("GET /w/api.php?"));
    assert!(seen[0]
        .request_line
        .contains("action=query&meta=userinfo&format=json&formatversion=2 "));
    assert!(seen[1].request_line.starts_with("POST /w/api.php "));
    // The caller's format=xml is dropped: answers must be JSON.
    assert_eq!(
        seen[1].body,
        "action=logout&token=%2B%5C&format=json&formatversion=2"
    );
    let ua = format!("user-agent: mwauth-client/{} (", env!("CARGO_PKG_VERSION"));
    assert!(
        seen[0].headers.to_lowercase().contains(&ua),
        "{}",
        seen[0].headers
    );
}

#[tokio::test]
async fn user_agent_contact_is_configurable() {
    let s = scripted(vec![response("200 OK", "", USERINFO)]).await;
    let client = Client::builder(&s.url)
        .contact("https://example.org/ops; ops@example.org")
        .build()
        .unwrap();
    client.userinfo().await.unwrap();
    let headers = s.seen.lock().unwrap()[0].headers.clone();
    let want = format!(
        "user-agent: mwauth-client/{} (https://example.org/ops; ops@example.org) reqwest/0.12",
        env!("CARGO_PKG_VERSION")
    );
    assert!(
        headers.to_lowercase().contains(&want.to_lowercase()),
        "{headers}"
    );
}

#[tokio::test]
async fn maxlag_error_is_retried_after_the_retry_after_seconds() {
    let s = scripted(vec![
        response("200 OK", "Retry-After: 1\r\nX-Database-Lag: 3\r\n", MAXLAG),
        response("200 OK", "", USERINFO),
    ])
    .await;
    let client = Client::builder(&s.url)
        .maxlag(Some(5))
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    let started = Instant::now();
    let info = client.userinfo().await.unwrap();
    assert!(info.anon);
    assert!(started.elapsed() >= Duration::from_secs(1));
    let seen = s.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].request_line.contains("&maxlag=5 "));
}

#[tokio::test]
async fn http_503_is_retried_with_backoff_until_it_succeeds() {
    let s = scripted(vec![
        response("503 Service Unavailable", "", "<html>busy</html>"),
        response("503 Service Unavailable", "", "<html>busy</html>"),
        response("200 OK", "", USERINFO),
    ])
    .await;
    let client = Client::builder(&s.url)
        .retry_policy(fast_retries(3))
        .build()
        .unwrap();
    assert!(client.userinfo().await.unwrap().anon);
    assert_eq!(s.seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn retries_are_bounded_and_the_last_error_is_returned() {
    let busy = || response("503 Service Unavailable", "Retry-After: 0\r\n", "busy");
    let s = scripted(vec![busy(), busy(), busy()]).await;
    let client = Client::builder(&s.url)
        .retry_policy(fast_retries(2))
        .build()
        .unwrap();
    let err = client.userinfo().await.unwrap_err();
    assert!(
        matches!(&err, Error::Http { status: 503, body } if body == "busy"),
        "{err:?}"
    );
    assert_eq!(s.seen.lock().unwrap().len(), 3);

    let lagged = || response("200 OK", "Retry-After: 0\r\n", MAXLAG);
    let s = scripted(vec![lagged(), lagged()]).await;
    let client = Client::builder(&s.url)
        .retry_policy(fast_retries(1))
        .build()
        .unwrap();
    let err = client.userinfo().await.unwrap_err();
    assert_eq!(err.code(), Some("maxlag"));
    assert_eq!(err.info(), Some("Waiting for 10.0.0.1: 3 seconds lagged."));
}

#[tokio::test]
async fn clientlogin_posts_the_documented_fields_and_reads_pass() {
    let s = scripted(vec![
        response("200 OK", "", LOGIN_TOKEN),
        response(
            "200 OK",
            "",
            r#"{"clientlogin":{"status":"PASS","username":"Alice"}}"#,
        ),
    ])
    .await;
    let client = Client::new(&s.url).unwrap();
    let status = client
        .client_login("Alice", "Alice-pass-12345", "http://127.0.0.1/")
        .await
        .unwrap();
    assert_eq!(
        status,
        ClientLoginStatus::Pass {
            username: Some("Alice".into())
        }
    );
    let seen = s.seen.lock().unwrap().clone();
    assert!(seen[0]
        .request_line
        .contains("action=query&meta=tokens&type=login"));
    assert_eq!(
        seen[1].body,
        "action=clientlogin&username=Alice&password=Alice-pass-12345\
         &loginreturnurl=http%3A%2F%2F127.0.0.1%2F&logintoken=abc%2B%5C\
         &format=json&formatversion=2"
    );
}

#[tokio::test]
async fn clientlogin_ui_step_is_continued_with_the_requested_fields() {
    let ui = r#"{"clientlogin":{"status":"UI","message":"Enter a verification code.","messagecode":"oathauth-auth-ui","requests":[{"id":"TOTPAuthenticationRequest","required":"required","provider":"","account":"","fields":{"OATHToken":{"type":"string","label":"Token","help":"A code"}}}]}}"#;
    let s = scripted(vec![
        response("200 OK", "", LOGIN_TOKEN),
        response("200 OK", "", ui),
        response("200 OK", "", LOGIN_TOKEN),
        response(
            "200 OK",
            "",
            r#"{"clientlogin":{"status":"PASS","username":"Alice"}}"#,
        ),
    ])
    .await;
    let client = Client::new(&s.url).unwrap();
    let first = client
        .client_login("Alice", "Alice-pass-12345", "http://127.0.0.1/")
        .await
        .unwrap();
    let ClientLoginStatus::Ui { requests, .. } = first else {
        panic!("{first:?}")
    };
    assert!(requests[0].fields.contains_key("OATHToken"));
    let second = client
        .client_login_continue(&[("OATHToken", "123456")])
        .await
        .unwrap();
    assert!(matches!(second, ClientLoginStatus::Pass { .. }));
    assert_eq!(
        s.seen.lock().unwrap()[3].body,
        "action=clientlogin&logincontinue=1&logintoken=abc%2B%5C&OATHToken=123456\
         &format=json&formatversion=2"
    );
}

#[tokio::test]
async fn clientlogin_fail_is_a_status_not_an_error() {
    let fail = r#"{"clientlogin":{"status":"FAIL","message":"Incorrect username or password entered.\nPlease try again.","messagecode":"wrongpassword","canpreservestate":false}}"#;
    let s = scripted(vec![
        response("200 OK", "", LOGIN_TOKEN),
        response("200 OK", "", fail),
    ])
    .await;
    let client = Client::new(&s.url).unwrap();
    let status = client
        .client_login("Alice", "wrong", "http://127.0.0.1/")
        .await
        .unwrap();
    assert_eq!(
        status,
        ClientLoginStatus::Fail {
            message: "Incorrect username or password entered.\nPlease try again.".into(),
            message_code: "wrongpassword".into(),
            can_preserve_state: false,
        }
    );
}
