//! The seed's API:Logout examples (tests/examples/logout.{py,php,js}) and the mwclient
//! script (tests/examples/mwclient_session.py), run as the clients they are, against an
//! mwauth on loopback: stand-alone (seed_examples.rs) or in front of a PHP wiki
//! (front_door.rs).
//!
//! Each example talks to the server through a small recording TCP relay, so the test can
//! see what the example could not print: that the login really succeeded, which
//! `…_BPsession` id it was given, and what its csrf token was. A relay with a gate holds
//! the example's logout request until the test has looked at the session it is about to
//! end (on the PHP wiki, say): the example waits on its socket, nothing waits on a clock.

use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const BP_COOKIE: &str = "oraclewiki_BPsession";

pub fn examples_dir() -> PathBuf {
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

type Conns = Arc<Mutex<Vec<Arc<Mutex<Conn>>>>>;

/// What runs once, before the first request that holds `action=logout` goes on: given the
/// `BPsession` id and the csrf token the example has been handed so far, it returns what
/// it saw, kept for the test ([`Relay::gate_saw`]).
pub type GateCheck = Box<dyn Fn(&str, &str) -> Value + Send + Sync>;

struct Gate {
    check: GateCheck,
    saw: Mutex<Option<Value>>,
}

pub struct Relay {
    pub addr: SocketAddr,
    conns: Conns,
    gate: Option<Arc<Gate>>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    pub async fn start(upstream: SocketAddr) -> Relay {
        Self::start_gated(upstream, None).await
    }

    /// A relay whose `gate` runs before the logout is passed on (on a multi-threaded
    /// runtime: it blocks the relaying task while it runs).
    pub async fn start_gated(upstream: SocketAddr, gate: Option<GateCheck>) -> Relay {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind relay");
        let addr = listener.local_addr().expect("relay address");
        let conns: Conns = Arc::default();
        let gate = gate.map(|check| {
            Arc::new(Gate {
                check,
                saw: Mutex::new(None),
            })
        });
        let (all, g) = (conns.clone(), gate.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let conn: Arc<Mutex<Conn>> = Arc::default();
                all.lock().unwrap().push(conn.clone());
                let (all, g) = (all.clone(), g.clone());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let up = pump(cr, sw, conn.clone(), Some((all, g)));
                    let down = pump(sr, cw, conn, None);
                    let _ = tokio::join!(up, down);
                });
            }
        });
        Relay {
            addr,
            conns,
            gate,
            task,
        }
    }

    pub fn api_url(&self) -> String {
        format!("http://{}/w/api.php", self.addr)
    }

    /// What the gate returned (None: it never ran, there was no logout).
    pub fn gate_saw(&self) -> Option<Value> {
        self.gate.as_ref()?.saw.lock().unwrap().clone()
    }

    /// The requests and the responses, connection after connection, as (request,
    /// response) pairs in the order sent.
    pub fn exchanges(&self) -> Vec<(Message, Message)> {
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

/// The last `BPsession` id set and the last csrf token answered, on every connection so far.
fn handed_out(conns: &Conns) -> (String, String) {
    let (mut bp, mut csrf) = (String::new(), String::new());
    for c in conns.lock().unwrap().iter() {
        for r in parse_messages(&c.lock().unwrap().to_client) {
            for (n, v) in &r.headers {
                let value = v.strip_prefix(&format!("{BP_COOKIE}="));
                if let Some(id) = value.filter(|_| n.eq_ignore_ascii_case("set-cookie")) {
                    let id = id.split(';').next().unwrap_or("");
                    if id != "deleted" {
                        bp = id.to_string();
                    }
                }
            }
            let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
            if let Some(t) = body["query"]["tokens"]["csrftoken"].as_str() {
                csrf = t.to_string();
            }
        }
    }
    (bp, csrf)
}

/// Copies `from` to `to`, recording; toward the server (`gate` given) the gate runs once
/// before the bytes that complete a request holding `action=logout` go on.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    conn: Arc<Mutex<Conn>>,
    gate: Option<(Conns, Option<Arc<Gate>>)>,
) {
    let to_server = gate.is_some();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let logout = {
            let mut c = conn.lock().unwrap();
            let log = if to_server {
                &mut c.to_server
            } else {
                &mut c.to_client
            };
            log.extend_from_slice(&buf[..n]);
            log.windows(13).any(|w| w == b"action=logout")
        };
        if let Some((conns, Some(gate))) = gate.as_ref().filter(|_| logout) {
            let mut saw = gate.saw.lock().unwrap();
            if saw.is_none() {
                let (bp, csrf) = handed_out(conns);
                *saw = Some(tokio::task::block_in_place(|| (gate.check)(&bp, &csrf)));
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// One HTTP/1.1 message read back from a relayed byte stream.
pub struct Message {
    /// Request line or status line.
    pub start: String,
    pub headers: Vec<(String, String)>,
    body: String,
}

impl Message {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits what one side sent into messages: bodies by Content-Length, chunked, or (for a
/// response) up to the connection's end.
pub fn parse_messages(stream: &[u8]) -> Vec<Message> {
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
/// bot password login as `user` (id, name), a logged-in csrf token, a logout answered `{}`
/// that clears the BPsession cookie. Returns the BPsession id the login handed out, and the
/// csrf token.
pub fn check_transcript(relay: &Relay, user: (u32, &str)) -> (String, String) {
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
        r2.body,
        format!(
            r#"{{"login":{{"result":"Success","lguserid":{},"lgusername":"{}"}}}}"#,
            user.0, user.1
        ),
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
// Running an example.

pub fn can_run(program: &str, args: &[&str]) -> bool {
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
pub fn python_with_requests() -> String {
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

pub fn php_with_curl() -> String {
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

pub struct Ran {
    pub stdout: String,
    pub stderr: String,
}

/// Runs `program script` in `cwd` with the endpoint and a bot password (`User@bot`,
/// password) in the environment (and no proxy settings), for at most a minute.
pub async fn run_example(
    program: &str,
    script: &Path,
    cwd: &Path,
    api_url: &str,
    bot: (&str, &str),
) -> Ran {
    let mut cmd = Command::new(program);
    cmd.arg(script)
        .current_dir(cwd)
        .env("MW_API", api_url)
        .env("MW_LGNAME", bot.0)
        .env("MW_LGPASSWORD", bot.1)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("NODE_PATH", node_path())
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
pub fn read_cookie_jar(path: &Path) -> Vec<(String, String)> {
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

/// /usr/bin/python3 with Debian's python3-mwclient, or a failure that says what to install.
pub fn python_with_mwclient() -> String {
    let python = "/usr/bin/python3";
    assert!(
        can_run(python, &["-c", "import mwclient"]),
        "{python} cannot `import mwclient`: install Debian's python3-mwclient (scripts/test \
         does) to run the mwclient client"
    );
    python.to_string()
}

/// Runs tests/examples/mwclient_session.py against the wiki at `host` ("127.0.0.1:PORT",
/// api.php under /w/) with bot password `bot`, saving `edit` (title, text) when given. After
/// each step the script prints one JSON line and waits: `at_step` looks at the wiki, then
/// the script goes on. Returns the lines. A script that has not finished after 60 s is
/// killed (by its handle) and fails the test.
pub fn run_mwclient(
    host: &str,
    bot: (&str, &str),
    edit: Option<(&str, &str)>,
    mut at_step: impl FnMut(&Value),
) -> Vec<Value> {
    use std::io::{BufRead, Write};
    let python = python_with_mwclient();
    let mut cmd = Command::new(&python);
    cmd.arg(examples_dir().join("mwclient_session.py"))
        .env("MW_HOST", host)
        .env("MW_LGNAME", bot.0)
        .env("MW_LGPASSWORD", bot.1)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
        cmd.env_remove(var);
    }
    if let Some((title, text)) = edit {
        cmd.env("MW_TITLE", title).env("MW_TEXT", text);
    }
    let mut child = cmd.spawn().expect("start the mwclient script");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    let finished = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| panic!("mwclient script printed {line:?}"));
                at_step(&v);
                lines.push(v);
                // The script may have ended after its last line: a closed pipe is fine.
                let _ = stdin.write_all(b"go\n");
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break true,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => break false,
        }
    };
    if !finished {
        let _ = child.kill();
    }
    drop(stdin);
    let out = child.wait_with_output().expect("the mwclient script's end");
    assert!(
        finished && out.status.success(),
        "the mwclient script failed ({}; finished: {finished}) after {lines:?}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    lines
}

/// An API call (POST, format=json, formatversion=2) with only `cookie` (`name=value; …`),
/// blocking (curl): for a relay's gate and `run_mwclient`'s steps, which run off the
/// runtime.
pub fn curl_api(api: &str, cookie: &str, params: &[(&str, &str)]) -> Value {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "60", "--noproxy", "*"]);
    if !cookie.is_empty() {
        cmd.arg("-H").arg(format!("Cookie: {cookie}"));
    }
    for (k, v) in params
        .iter()
        .chain(&[("format", "json"), ("formatversion", "2")])
    {
        cmd.arg("--data-urlencode").arg(format!("{k}={v}"));
    }
    let out = cmd.arg(api).output().expect("curl");
    let body = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("{api} {params:?}: not JSON: {body}"))
}

/// What api.php at `api` makes of a `BPsession` id and a csrf token: (user name or None
/// when anonymous, checktoken's result).
pub fn bot_session_seen(api: &str, bp_id: &str, csrf: &str) -> (Option<String>, String) {
    let cookie = format!("{BP_COOKIE}={bp_id}");
    let v = curl_api(api, &cookie, &[("action", "query"), ("meta", "userinfo")]);
    let info = &v["query"]["userinfo"];
    let user = (info["anon"].as_bool() != Some(true)).then(|| info["name"].to_string());
    let v = curl_api(
        api,
        &cookie,
        &[("action", "checktoken"), ("type", "csrf"), ("token", csrf)],
    );
    let valid = v["checktoken"]["result"].as_str().unwrap_or("").to_string();
    (user.map(|u| u.trim_matches('"').to_string()), valid)
}

/// Where Debian's node-* packages put their modules (node-request: `request`), which a
/// Node.js not built by Debian does not search by itself.
const DEBIAN_NODE_MODULES: &str = "/usr/share/nodejs";

/// NODE_PATH for the examples: the caller's, then Debian's modules.
fn node_path() -> String {
    match std::env::var("NODE_PATH") {
        Ok(p) if !p.is_empty() => format!("{p}:{DEBIAN_NODE_MODULES}"),
        _ => DEBIAN_NODE_MODULES.to_string(),
    }
}

/// The Node example can run: `node` and the package `request`, from Debian (node-request,
/// which scripts/test installs) or from npm in tests/examples (`npm install --no-save
/// request`).
pub fn node_with_request() -> bool {
    can_run("node", &["--version"])
        && (examples_dir().join("node_modules/request").is_dir()
            || Path::new(DEBIAN_NODE_MODULES).join("request").is_dir())
}
