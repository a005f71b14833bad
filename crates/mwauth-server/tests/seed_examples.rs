//! The API:Logout page's own sample programs (tests/examples/, copied verbatim from the
//! seed with only the endpoint and the bot credentials read from the environment) run
//! against a real mwauth server on loopback.
//!
//! Each example talks to the server through a small recording TCP relay, so the test can
//! see what the example could not print: that the login really succeeded, which
//! `…_BPsession` id it was given, and that this id no longer identifies a session once
//! the example has logged out (checked afterwards with a fresh HTTP client).
//!
//! Python needs `requests` (Debian: python3-requests) and PHP its curl extension (Debian:
//! php-cli, php-curl); a missing one fails the test with a message saying so. The Node
//! example needs the npm package `request`, which CI cannot install, so its test is
//! ignored unless asked for: `npm install --no-save request` in tests/examples/, then
//! `cargo test -p mwauth-server --test seed_examples -- --ignored`.

mod common;

use common::{oracle_server, TestServer, ALICE_BOT};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BP_COOKIE: &str = "oraclewiki_BPsession";

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/examples")
}

// ---------------------------------------------------------------------------------------
// A recording TCP relay between the example and the server.

/// Bytes seen on one relayed connection, in each direction.
#[derive(Default)]
struct Conn {
    to_server: Vec<u8>,
    to_client: Vec<u8>,
}

struct Relay {
    addr: SocketAddr,
    conns: Arc<Mutex<Vec<Arc<Mutex<Conn>>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    async fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind relay");
        let addr = listener.local_addr().expect("relay address");
        let conns: Arc<Mutex<Vec<Arc<Mutex<Conn>>>>> = Arc::default();
        let all = conns.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let conn: Arc<Mutex<Conn>> = Arc::default();
                all.lock().unwrap().push(conn.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let up = pump(cr, sw, conn.clone(), true);
                    let down = pump(sr, cw, conn, false);
                    let _ = tokio::join!(up, down);
                });
            }
        });
        Relay { addr, conns, task }
    }

    fn api_url(&self) -> String {
        format!("http://{}/w/api.php", self.addr)
    }

    /// The requests and the responses, connection after connection, as (request,
    /// response) pairs in the order sent.
    fn exchanges(&self) -> Vec<(Message, Message)> {
        let mut out = Vec::new();
        for c in self.conns.lock().unwrap().iter() {
            let c = c.lock().unwrap();
            let requests = parse_messages(&c.to_server);
            let responses = parse_messages(&c.to_client);
            assert_eq!(
                requests.len(),
                responses.len(),
                "unanswered requests on a connection:\n{}",
                String::from_utf8_lossy(&c.to_server)
            );
            out.extend(requests.into_iter().zip(responses));
        }
        out
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    conn: Arc<Mutex<Conn>>,
    to_server: bool,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        {
            let mut c = conn.lock().unwrap();
            let log = if to_server {
                &mut c.to_server
            } else {
                &mut c.to_client
            };
            log.extend_from_slice(&buf[..n]);
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// One HTTP/1.1 message read back from a relayed byte stream.
struct Message {
    /// Request line or status line.
    start: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits what one side sent into messages: bodies by Content-Length, chunked, or (for a
/// response) up to the connection's end.
fn parse_messages(stream: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut rest = stream;
    while let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 4..];
        let mut lines = head.split("\r\n");
        let start = lines.next().unwrap_or("").to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut msg = Message {
            start,
            headers,
            body: String::new(),
        };
        let chunked = msg
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        let mut body = Vec::new();
        if chunked {
            while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
                let size_text = String::from_utf8_lossy(&rest[..eol]).into_owned();
                let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                    .unwrap_or(0);
                rest = &rest[eol + 2..];
                if size == 0 {
                    rest = &rest[rest.len().min(2)..];
                    break;
                }
                let size = size.min(rest.len());
                body.extend_from_slice(&rest[..size]);
                rest = &rest[(size + 2).min(rest.len())..];
            }
        } else if let Some(len) = msg.header("content-length") {
            let len = len.parse::<usize>().unwrap_or(0).min(rest.len());
            body.extend_from_slice(&rest[..len]);
            rest = &rest[len..];
        } else if msg.start.starts_with("HTTP/") {
            // A response without a length ends with the connection.
            body.extend_from_slice(rest);
            rest = &[];
        }
        msg.body = String::from_utf8_lossy(&body).into_owned();
        out.push(msg);
    }
    out
}

/// Checks the relayed exchange of a seed example: the page's four requests, a successful
/// bot password login as Alice, a logged-in csrf token, a logout answered `{}` that clears
/// the BPsession cookie. Returns the BPsession id the login handed out, and the csrf token.
fn check_transcript(relay: &Relay) -> (String, String) {
    let exchanges = relay.exchanges();
    let summary: Vec<String> = exchanges
        .iter()
        .map(|(q, r)| format!("{} {} -> {} {}", q.start, q.body, r.start, r.body))
        .collect();
    let methods: Vec<&str> = exchanges
        .iter()
        .map(|(q, _)| q.start.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(
        methods,
        ["GET", "POST", "GET", "POST"],
        "the example should send the page's four requests; it sent: {summary:#?}"
    );
    let [(q1, _), (q2, r2), (_, r3), (q4, r4)] = &exchanges[..] else {
        unreachable!()
    };
    assert!(
        q1.start.contains("meta=tokens") && q1.start.contains("type=login"),
        "step 1 should ask for a login token: {summary:#?}"
    );
    assert!(q2.body.contains("action=login"), "step 2: {summary:#?}");
    assert_eq!(
        r2.body, r#"{"login":{"result":"Success","lguserid":3,"lgusername":"Alice"}}"#,
        "the example's bot password login did not succeed: {summary:#?}"
    );
    let bp_id = r2
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.strip_prefix(&format!("{BP_COOKIE}=")))
        .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("the login set no {BP_COOKIE}: {:?}", r2.headers));
    let tokens: Value = serde_json::from_str(&r3.body).expect("step 3 answers JSON");
    let csrf = tokens["query"]["tokens"]["csrftoken"]
        .as_str()
        .unwrap_or_else(|| panic!("step 3 got no csrf token: {}", r3.body))
        .to_string();
    assert_ne!(
        csrf, "+\\",
        "step 3 got the anonymous csrf token: not logged in"
    );
    assert!(q4.body.contains("action=logout"), "step 4: {summary:#?}");
    assert_eq!(r4.body, "{}");
    let cleared: Vec<&str> = r4
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        cleared,
        [format!(
            "{BP_COOKIE}=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; HttpOnly"
        )],
        "the logout should clear {BP_COOKIE} and nothing else"
    );
    (bp_id, csrf)
}

// ---------------------------------------------------------------------------------------
// Checks made afterwards with a fresh client.

fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http client")
}

async fn api_get(server: &TestServer, cookie: &str, params: &[(&str, &str)]) -> Value {
    let mut req = fresh_client().get(server.api_url()).query(params);
    if !cookie.is_empty() {
        req = req.header("Cookie", cookie);
    }
    let res = req.send().await.expect("request to mwauth");
    let text = res.text().await.expect("response body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn anonymous_userinfo() -> Value {
    json!({"batchcomplete": "", "query": {"userinfo": {"id": 0, "name": "127.0.0.1", "anon": ""}}})
}

/// The BPsession id and csrf token the example was given no longer work: api.php treats
/// the id as anonymous and the token as invalid.
async fn assert_session_ended(server: &TestServer, bp_id: &str, csrf: &str) {
    let cookie = format!("{BP_COOKIE}={bp_id}");
    let userinfo = api_get(
        server,
        &cookie,
        &[
            ("action", "query"),
            ("meta", "userinfo"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(
        userinfo,
        anonymous_userinfo(),
        "the example's {BP_COOKIE} should be anonymous after its logout"
    );
    let check = api_get(
        server,
        &cookie,
        &[
            ("action", "checktoken"),
            ("type", "csrf"),
            ("token", csrf),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(
        check["checktoken"]["result"], "invalid",
        "the example's csrf token should be invalid after its logout: {check}"
    );
}

// ---------------------------------------------------------------------------------------
// Running an example.

fn can_run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// /usr/bin/python3 if it can import requests, else `python3` from PATH if that can.
fn python_with_requests() -> String {
    let check = ["-c", "import requests"];
    for candidate in ["/usr/bin/python3", "python3"] {
        if (!candidate.starts_with('/') || Path::new(candidate).exists())
            && can_run(candidate, &check)
        {
            return candidate.to_string();
        }
    }
    panic!(
        "no Python interpreter with the `requests` module: neither /usr/bin/python3 nor \
         `python3` on PATH can `import requests`. Install it (Debian: apt-get install \
         python3-requests) to run the seed's Python example."
    );
}

fn php_with_curl() -> String {
    if can_run(
        "php",
        &["-r", "exit(function_exists('curl_init') ? 0 : 1);"],
    ) {
        return "php".to_string();
    }
    panic!(
        "no `php` with the curl extension on PATH (`php -r \"function_exists('curl_init')\"` \
         failed). Install it (Debian: apt-get install php-cli php-curl) to run the seed's \
         PHP example."
    );
}

struct Ran {
    stdout: String,
    stderr: String,
}

/// Runs `program script` in `cwd` with the endpoint and Alice's bot password in the
/// environment (and no proxy settings), for at most a minute.
async fn run_example(program: &str, script: &Path, cwd: &Path, api_url: &str) -> Ran {
    let mut cmd = Command::new(program);
    cmd.arg(script)
        .current_dir(cwd)
        .env("MW_API", api_url)
        .env("MW_LGNAME", ALICE_BOT.0)
        .env("MW_LGPASSWORD", ALICE_BOT.1)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    let describe = format!("{program} {}", script.display());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {describe}: {e}"));
    // The server runs on this test's runtime: wait for the child off it.
    let output = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if child.try_wait().expect("waiting for the example").is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().expect("example output")
    })
    .await
    .expect("waiting task");
    let ran = Ran {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        output.status.success(),
        "{describe} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        output.status,
        ran.stdout,
        ran.stderr
    );
    ran
}

/// Netscape cookie file (as curl writes it) → `name=value` pairs.
fn read_cookie_jar(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the PHP example wrote no {}: {e}", path.display()));
    text.lines()
        .filter_map(|line| {
            let line = line.strip_prefix("#HttpOnly_").unwrap_or(line);
            if line.starts_with('#') || line.trim().is_empty() {
                return None;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            (fields.len() == 7).then(|| (fields[5].to_string(), fields[6].to_string()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_example_logs_out_with_a_bot_password() {
    let python = python_with_requests();
    let server = oracle_server().await;
    let relay = Relay::start(server.server.addr).await;
    let work = tempfile::tempdir().expect("tempdir");
    let ran = run_example(
        &python,
        &examples_dir().join("logout.py"),
        work.path(),
        &relay.api_url(),
    )
    .await;
    // print(DATA) of the empty JSON object MediaWiki answers to a logout.
    assert_eq!(ran.stdout, "{}\n", "stderr:\n{}", ran.stderr);
    let (bp_id, csrf) = check_transcript(&relay);
    assert_session_ended(&server, &bp_id, &csrf).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn php_example_logs_out_with_a_bot_password() {
    let php = php_with_curl();
    let server = oracle_server().await;
    let relay = Relay::start(server.server.addr).await;
    let work = tempfile::tempdir().expect("tempdir");
    let ran = run_example(
        &php,
        &examples_dir().join("logout.php"),
        work.path(),
        &relay.api_url(),
    )
    .await;
    // echo ( $output ): the raw response body.
    assert_eq!(ran.stdout, "{}", "stderr:\n{}", ran.stderr);
    let (bp_id, csrf) = check_transcript(&relay);
    assert_session_ended(&server, &bp_id, &csrf).await;

    // The cookie file the example leaves behind: curl dropped the cleared BPsession, and
    // whatever it kept is anonymous to api.php.
    let jar = read_cookie_jar(&work.path().join("cookie.txt"));
    assert!(
        jar.iter().all(|(name, _)| name != BP_COOKIE),
        "cookie.txt still holds {BP_COOKIE}: {jar:?}"
    );
    assert!(
        jar.iter().any(|(name, _)| name == "oraclewiki_session"),
        "cookie.txt should keep the anonymous session of step 1: {jar:?}"
    );
    let cookie = jar
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let userinfo = api_get(
        &server,
        &cookie,
        &[
            ("action", "query"),
            ("meta", "userinfo"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(
        userinfo,
        anonymous_userinfo(),
        "cookie.txt after the example's logout should be anonymous"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the npm package `request`, which CI cannot install: run \
            `npm install --no-save request` in crates/mwauth-server/tests/examples, then \
            `cargo test -p mwauth-server --test seed_examples -- --ignored`"]
async fn node_example_logs_out_with_a_bot_password() {
    let dir = examples_dir();
    assert!(
        can_run("node", &["--version"]),
        "no `node` on PATH to run the seed's Node example"
    );
    assert!(
        dir.join("node_modules/request").is_dir(),
        "the npm package `request` is not installed in {}: run `npm install --no-save \
         request` there first",
        dir.display()
    );
    let server = oracle_server().await;
    let relay = Relay::start(server.server.addr).await;
    let work = tempfile::tempdir().expect("tempdir");
    let ran = run_example(
        "node",
        &dir.join("logout.js"),
        work.path(),
        &relay.api_url(),
    )
    .await;
    // console.log(body): the raw response body and a newline.
    assert_eq!(ran.stdout, "{}\n", "stderr:\n{}", ran.stderr);
    let (bp_id, csrf) = check_transcript(&relay);
    assert_session_ended(&server, &bp_id, &csrf).await;
}
