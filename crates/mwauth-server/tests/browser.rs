//! The pages in a real browser: headless Chromium driven over the WebDriver protocol by a
//! minimal client (JSON over HTTP to chromedriver, with reqwest), against an mwauth server on
//! loopback. One flow, as a person would go through it:
//!
//! log in on Special:UserLogin (a wrong password first) and see the name in the personal bar
//! → api.php knows the same session → create a bot password on Special:BotPasswords and log
//! in with it through api.php → log out on Special:UserLogout by clicking its button (the
//! script's `api.php?action=logout` path) → the page shows the logged-out state and api.php
//! refuses the old session cookie → create an account on Special:CreateAccount → the pages
//! at a phone's width.
//!
//! A second flow, with OATHAuth and ConfirmEdit's QuestyCaptcha switched on: enrol in
//! two-factor authentication on Special:OATHManage (the code computed from the secret the
//! page shows) → log out → log in with the password, then a code → log out → create an
//! account on Special:CreateAccount, answering the captcha (wrongly first).
//!
//! Each page is photographed (WebDriver's screenshot) into a temporary directory, or into
//! `$MWAUTH_SCREENSHOTS` when set (relative paths from the workspace root; e.g.
//! `MWAUTH_SCREENSHOTS=docs/screenshots`).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`, `chromedriver`;
//! override with MWAUTH_CHROMIUM and MWAUTH_CHROMEDRIVER). Without them the test fails and
//! says so. chromedriver and every Chromium process it starts are ended by process id when
//! the test ends, also when it fails.

use mwauth_server::config::FileConfig;
use mwauth_server::serve::{spawn, Spawned};
use mwauth_server::Settings;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ALICE: (&str, &str) = ("Alice", "Alice-pass-12345");
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const WAIT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------------------------------
// chromedriver and Chromium, and making sure they end.

fn chromium_binary() -> PathBuf {
    std::env::var_os("MWAUTH_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

fn chromedriver_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MWAUTH_CHROMEDRIVER") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("chromedriver"))
        .find(|p| p.is_file())
}

/// The browser's parts, or a failure that says what to install.
fn require_browser() -> (PathBuf, PathBuf) {
    let chromium = chromium_binary();
    let driver = chromedriver_binary();
    let mut missing = Vec::new();
    if !chromium.is_file() {
        missing.push(format!("chromium ({} not found)", chromium.display()));
    }
    if driver.is_none() {
        missing.push(
            "chromium-driver (no chromedriver on PATH, in /usr/bin or at MWAUTH_CHROMEDRIVER)"
                .to_string(),
        );
    }
    assert!(
        missing.is_empty(),
        "the browser test needs headless Chromium and its WebDriver: missing {}. \
         Install Debian's packages: apt-get install -y chromium chromium-driver \
         (or point MWAUTH_CHROMIUM / MWAUTH_CHROMEDRIVER at them)",
        missing.join(" and ")
    );
    (chromium, driver.unwrap())
}

/// A free loopback port for chromedriver.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// (pid, parent pid, command line) of every process we can see.
fn processes() -> Vec<(u32, u32, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid …": comm may hold spaces and parentheses.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let ppid = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let cmdline = std::fs::read(entry.path().join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        out.push((pid, ppid, cmdline));
    }
    out
}

fn kill_pid(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// chromedriver as a child process. Dropping it ends chromedriver and every process it
/// started — found by parentage, and by the unique profile directory on their command line
/// (Chromium processes that outlived their parent) — each killed by its own pid.
struct DriverProcess {
    child: Child,
    port: u16,
    profile: tempfile::TempDir,
    log: PathBuf,
    /// The WebDriver session still open, which dropping closes first so that Chromium exits
    /// by itself (a panicking test never reaches `Browser::quit`).
    session: Option<String>,
}

impl DriverProcess {
    fn start(driver: &Path, dir: &Path) -> DriverProcess {
        let profile = tempfile::Builder::new()
            .prefix("mwauth-chromium-profile-")
            .tempdir()
            .expect("profile dir");
        let port = free_port();
        let log = dir.join("chromedriver.log");
        let log_file = std::fs::File::create(&log).expect("driver log");
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver.display()));
        DriverProcess {
            child,
            port,
            profile,
            log,
            session: None,
        }
    }

    /// `DELETE /session/ID`, blocking, over a plain loopback socket (usable in `drop`).
    fn close_session(&mut self) {
        use std::io::{Read, Write};
        let Some(id) = self.session.take() else {
            return;
        };
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let Ok(mut s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
            return;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            self.port
        );
        if s.write_all(request.as_bytes()).is_ok() {
            let mut answer = Vec::new();
            let _ = s.read_to_end(&mut answer);
        }
    }

    /// Processes whose command line names this run's profile directory (Chromium's).
    fn browser_pids(&self) -> Vec<u32> {
        let marker = self.profile.path().to_string_lossy().into_owned();
        processes()
            .into_iter()
            .filter(|(_, _, cmd)| cmd.contains(&marker))
            .map(|(pid, _, _)| pid)
            .collect()
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        self.close_session();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.browser_pids().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let root = self.child.id();
        let marker = self.profile.path().to_string_lossy().into_owned();
        // Descendants of chromedriver, deepest last in the list so they go first.
        let all = processes();
        let mut family = vec![root];
        let mut i = 0;
        while i < family.len() {
            let parent = family[i];
            family.extend(
                all.iter()
                    .filter(|(_, pp, _)| *pp == parent)
                    .map(|(p, _, _)| *p),
            );
            i += 1;
        }
        for (pid, _, cmd) in &all {
            if cmd.contains(&marker) && !family.contains(pid) {
                family.push(*pid);
            }
        }
        for pid in family.iter().rev().filter(|p| **p != root) {
            kill_pid(*pid);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Anything still holding the profile (it was starting up while we looked).
        for (pid, _, cmd) in processes() {
            if cmd.contains(&marker) {
                kill_pid(pid);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// A minimal WebDriver client.

/// How the page is laid out: CSS width and height, device pixels per CSS pixel, phone.
#[derive(Clone, Copy)]
struct Viewport {
    width: u32,
    height: u32,
    scale: f64,
    mobile: bool,
}

const DESKTOP: Viewport = Viewport {
    width: 1280,
    height: 800,
    scale: 1.0,
    mobile: false,
};

/// A phone: 390 × 844 CSS pixels at 2 device pixels each, touch and the meta viewport.
const PHONE: Viewport = Viewport {
    width: 390,
    height: 844,
    scale: 2.0,
    mobile: true,
};

struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    shots: PathBuf,
    viewport: Viewport,
    // Last: the session is deleted (in `quit`) before the processes are killed.
    driver: DriverProcess,
}

impl Browser {
    async fn start(driver_bin: &Path, chromium: &Path, shots: PathBuf, dir: &Path) -> Browser {
        let driver = DriverProcess::start(driver_bin, dir);
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        // chromedriver is ready when /status says so.
        let started = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{}/status", driver.url())).send().await {
                if let Ok(v) = r.json::<Value>().await {
                    if v["value"]["ready"] == json!(true) {
                        break;
                    }
                }
            }
            assert!(
                started.elapsed() < WAIT,
                "chromedriver did not start:\n{}",
                driver.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = driver.profile.path().display().to_string();
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": chromium.display().to_string(),
                        "args": [
                            "--headless",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--disable-default-apps",
                            "--disable-domain-reliability",
                            "--no-pings",
                            "--hide-scrollbars",
                            "--force-color-profile=srgb",
                            // Only loopback: no other host name resolves.
                            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                            "--window-size=1280,800",
                            format!("--user-data-dir={profile}"),
                        ],
                    },
                },
            },
        });
        let r = http
            .post(format!("{}/session", driver.url()))
            .json(&caps)
            .send()
            .await
            .expect("new WebDriver session");
        let v: Value = r.json().await.expect("session answer");
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| {
                panic!(
                    "no WebDriver session: {v}\nchromedriver log:\n{}",
                    driver.log_text()
                )
            })
            .to_string();
        let mut driver = driver;
        driver.session = Some(session.clone());
        let mut b = Browser {
            http,
            base: driver.url(),
            session,
            shots,
            viewport: DESKTOP,
            driver,
        };
        b.set_viewport(DESKTOP).await;
        b
    }

    /// A DevTools command, through chromedriver's `goog/cdp/execute`.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
        .await
    }

    async fn emulate(&self, v: Viewport, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": v.width,
                "height": height,
                "deviceScaleFactor": v.scale,
                "mobile": v.mobile,
            }),
        )
        .await;
    }

    /// Lays pages out as on that screen from now on (DevTools' device emulation, which
    /// unlike the window size has no minimum width).
    async fn set_viewport(&mut self, v: Viewport) {
        self.viewport = v;
        self.emulate(v, v.height).await;
    }

    async fn try_cmd(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let r = req
            .send()
            .await
            .map_err(|e| format!("WebDriver {method} {path}: {e}"))?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(v["value"].clone())
        } else {
            Err(format!(
                "WebDriver {method} {path}: {status} {}",
                v["value"]
            ))
        }
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `step` on the element `css` until it works: the element may not be there yet,
    /// or belong to the page a click is just leaving ("stale element reference").
    async fn on_element(&self, css: &str, method: &str, what: &str, body: Option<Value>) -> Value {
        let started = Instant::now();
        loop {
            let e = self.wait(css).await;
            match self
                .try_cmd(method, &format!("/element/{e}{what}"), body.clone())
                .await
            {
                Ok(v) => return v,
                Err(err) if started.elapsed() > WAIT => panic!("{css}: {err}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    async fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await;
    }

    async fn current_url(&self) -> String {
        self.cmd("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn find(&self, css: &str) -> Option<String> {
        let url = format!("{}/session/{}/element", self.base, self.session);
        let r = self
            .http
            .post(url)
            .json(&json!({ "using": "css selector", "value": css }))
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        let v: Value = r.json().await.ok()?;
        v["value"][ELEMENT].as_str().map(str::to_string)
    }

    /// The element, once it is there.
    async fn wait(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(e) = self.find(css).await {
                return e;
            }
            if started.elapsed() > WAIT {
                let url = self.current_url().await;
                let html = self
                    .script("return document.documentElement.outerHTML", json!([]))
                    .await;
                panic!(
                    "no {css} on {url} after {WAIT:?}:\n{}",
                    html.as_str().unwrap_or("")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn text(&self, css: &str) -> String {
        self.on_element(css, "GET", "/text", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Waits until the element's text is `expected` (the page a click leads to may take a
    /// moment to replace the current one).
    async fn wait_text(&self, css: &str, expected: &str) {
        let started = Instant::now();
        loop {
            let got = self.text(css).await;
            if got == expected {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "{css} on {}: {got:?}, expected {expected:?}",
                self.current_url().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) {
        self.on_element(css, "POST", "/click", None).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        self.on_element(css, "POST", "/clear", None).await;
        self.on_element(css, "POST", "/value", Some(json!({ "text": text })))
            .await;
    }

    async fn script(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    async fn cookie(&self, name: &str) -> Option<String> {
        let url = format!("{}/session/{}/cookie/{name}", self.base, self.session);
        let r = self.http.get(url).send().await.ok()?;
        if !r.status().is_success() {
            return None;
        }
        let v: Value = r.json().await.ok()?;
        v["value"]["value"].as_str().map(str::to_string)
    }

    /// A screenshot of the whole page (as tall as it is) at the current viewport, as
    /// `NAME.png`.
    async fn shot(&self, name: &str) {
        let v = self.viewport;
        let tall = self
            .script("return document.documentElement.scrollHeight", json!([]))
            .await
            .as_u64()
            .unwrap_or(0) as u32;
        self.emulate(v, tall.max(v.height.min(600))).await;
        let png = self.cmd("GET", "/screenshot", None).await;
        self.emulate(v, v.height).await;
        let bytes = base64_decode(png.as_str().expect("screenshot data"));
        assert!(bytes.starts_with(b"\x89PNG"), "screenshot {name} is a PNG");
        std::fs::write(self.shots.join(format!("{name}.png")), bytes).expect("write screenshot");
    }

    /// Ends the WebDriver session (Chromium exits); the processes are then checked for
    /// and killed when `self.driver` drops.
    async fn quit(mut self) {
        let closed = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        if closed.is_ok_and(|r| r.status().is_success()) {
            self.driver.session = None;
        }
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter_map(val) {
        acc = (acc << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The server, and api.php from a plain HTTP client.

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn server(dir: &Path) -> Spawned {
    server_with(dir, |_| {}).await
}

/// The server with Alice's account, its settings changed by `configure` first.
async fn server_with(dir: &Path, configure: impl FnOnce(&mut FileConfig)) -> Spawned {
    let mut file = FileConfig::default();
    file.wiki.sitename = "MediaWiki".into();
    configure(&mut file);
    let settings = Settings {
        file,
        data_dir: dir.join("data"),
    };
    let server = spawn(&settings).await.expect("server starts");
    let hash = server.services.hasher.hash(ALICE.1).await.unwrap();
    server
        .services
        .users
        .create_user(
            ALICE.0,
            &hash,
            &mwauth::auth::account::new_user_token(),
            &[],
        )
        .await
        .unwrap();
    server
}

fn api_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn api_get(client: &reqwest::Client, api: &str, query: &[(&str, &str)]) -> Value {
    let mut q = vec![("format", "json")];
    q.extend_from_slice(query);
    client
        .get(api)
        .query(&q)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// meta=userinfo as seen with only this `my_wiki_session` cookie.
async fn userinfo_with_session(api: &str, session: &str) -> Value {
    let v: Value = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(api)
        .query(&[
            ("action", "query"),
            ("meta", "userinfo"),
            ("format", "json"),
        ])
        .header("Cookie", format!("my_wiki_session={session}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["query"]["userinfo"].clone()
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_make_a_bot_password_and_log_out_in_chromium() {
    let (chromium, driver_bin) = require_browser();
    let dir = tempfile::tempdir().unwrap();
    let shots = match std::env::var_os("MWAUTH_SCREENSHOTS") {
        Some(p) if Path::new(&p).is_absolute() => PathBuf::from(p),
        Some(p) => workspace_root().join(p),
        None => dir.path().join("screenshots"),
    };
    std::fs::create_dir_all(&shots).unwrap();
    let srv = server(dir.path()).await;
    let site = format!("http://{}", srv.addr);
    let api = srv.api_url();
    let page = |title: &str| format!("{site}/w/index.php?title={title}");

    let mut b = Browser::start(&driver_bin, &chromium, shots.clone(), dir.path()).await;

    // Log in: a wrong password first.
    b.go(&page("Special:UserLogin")).await;
    assert_eq!(b.text("#firstHeading").await, "Log in");
    assert_eq!(b.text("#pt-anonuserpage").await, "Not logged in");
    // The stylesheet loaded under the Content-Security-Policy.
    let font = b
        .script(
            "return getComputedStyle(document.body).fontFamily",
            json!([]),
        )
        .await;
    assert!(
        font.as_str().unwrap_or("").contains("system-ui"),
        "mwauth.css applies: {font}"
    );
    b.shot("login").await;
    b.type_into("#wpName1", ALICE.0).await;
    b.type_into("#wpPassword1", "not-the-password").await;
    b.click("#wpLoginAttempt").await;
    b.wait_text(
        ".mw-message-box-error",
        "Incorrect username or password entered. Please try again.",
    )
    .await;
    b.shot("login-error").await;
    b.type_into("#wpName1", ALICE.0).await;
    b.type_into("#wpPassword1", ALICE.1).await;
    b.click("#wpLoginAttempt").await;
    b.wait_text("#pt-userpage", "Alice").await;
    assert_eq!(b.current_url().await, page("Main_Page"));
    b.shot("main-page-logged-in").await;

    // The page's session is api.php's session.
    let session = b.cookie("my_wiki_session").await.expect("session cookie");
    assert_eq!(userinfo_with_session(&api, &session).await["name"], "Alice");

    // A bot password, made on Special:BotPasswords.
    b.click("#pt-botpasswords a").await;
    b.wait_text("#firstHeading", "Bot passwords").await;
    b.type_into("#mw-input-wpappId", "mybot").await;
    b.shot("botpasswords").await;
    b.click("#mw-botpasswords-create").await;
    b.wait_text("#mw-botpasswords-username", "Alice@mybot")
        .await;
    b.click("#mw-input-wpgrants-grant-highvolume").await;
    b.click("#mw-input-wpgrants-grant-editpage").await;
    b.shot("botpasswords-create").await;
    b.click("#mw-botpasswords-create").await;
    let done = b.text("#mw-botpasswords-done").await;
    assert_eq!(
        done,
        "The bot password for bot name \"mybot\" of user \"Alice\" was created."
    );
    assert_eq!(b.text("#mw-botpasswords-loginname").await, "Alice@mybot");
    let bot_pw = b.text("#mw-botpasswords-password").await;
    assert_eq!(bot_pw.len(), 32, "{bot_pw}");
    b.shot("botpasswords-created").await;

    // … used through api.php by a bot.
    let bot = api_client();
    let v = api_get(
        &bot,
        &api,
        &[("action", "query"), ("meta", "tokens"), ("type", "login")],
    )
    .await;
    let token = v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v: Value = bot
        .post(&api)
        .form(&[
            ("action", "login"),
            ("lgname", "Alice@mybot"),
            ("lgpassword", bot_pw.as_str()),
            ("lgtoken", token.as_str()),
            ("format", "json"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["login"]["result"], "Success", "{v}");
    let v = api_get(
        &bot,
        &api,
        &[
            ("action", "query"),
            ("meta", "userinfo"),
            ("uiprop", "rights"),
        ],
    )
    .await;
    assert_eq!(v["query"]["userinfo"]["name"], "Alice");
    let rights = v["query"]["userinfo"]["rights"].to_string();
    assert!(rights.contains("\"edit\""), "editpage grant: {rights}");
    assert!(
        !rights.contains("\"move\""),
        "no createeditmovepage grant: {rights}"
    );

    b.go(&page("Special:BotPasswords")).await;
    assert!(b.text(".mw-botpasswords-list").await.contains("mybot"));
    b.shot("botpasswords-list").await;

    // Log out with the button: the script posts action=logout to api.php.
    b.click("#pt-logout a").await;
    b.wait_text("#firstHeading", "Log out").await;
    assert!(b
        .text("#mw-userlogout-form")
        .await
        .contains("Do you want to log out?"));
    assert_eq!(b.text("#pt-userpage").await, "Alice", "GET did not log out");
    assert_eq!(userinfo_with_session(&api, &session).await["name"], "Alice");
    b.shot("logout-confirm").await;
    // Record the script's request (sessionStorage outlives the page's reload).
    b.script(
        "const f = window.fetch; window.fetch = function (url, opts) { \
           sessionStorage.setItem('mwauth-test', String(url) + ' ' + String(opts && opts.body)); \
           return f.apply(this, arguments); };",
        json!([]),
    )
    .await;
    b.click("#mw-userlogout-submit").await;
    b.wait("#mw-logout-done").await;
    assert_eq!(
        b.text("#mw-logout-done strong").await,
        "You are now logged out."
    );
    assert_eq!(b.text("#pt-anonuserpage").await, "Not logged in");
    b.wait("#pt-login").await;
    let sent = b
        .script("return sessionStorage.getItem('mwauth-test')", json!([]))
        .await;
    let sent = sent.as_str().unwrap_or("").to_string();
    assert!(
        sent.starts_with("/w/api.php action=logout&token=") && sent.ends_with("%2B%5C&format=json"),
        "the button went through api.php: {sent:?}"
    );
    assert_eq!(
        b.current_url().await,
        format!(
            "{}&returnto=Special%3ABotPasswords",
            page("Special:UserLogout")
        ),
        "the script showed the page again (GET), not the form's POST answer"
    );
    b.shot("logged-out").await;
    // The old session cookie no longer opens anything.
    let info = userinfo_with_session(&api, &session).await;
    assert_eq!(info["id"], 0, "{info}");
    assert!(info.get("anon").is_some(), "{info}");
    assert!(b.cookie("my_wiki_session").await.is_none());

    // An account of one's own, from the personal bar.
    b.click("#pt-createaccount a").await;
    b.wait_text("#firstHeading", "Create account").await;
    b.shot("createaccount").await;
    b.type_into("#wpName2", "Bob").await;
    b.type_into("#wpPassword2", "Bob-pass-12345").await;
    b.type_into("#wpRetype", "Bob-pass-54321").await;
    b.click("#wpCreateaccount").await;
    b.wait_text(
        ".mw-message-box-error",
        "The passwords you entered do not match.",
    )
    .await;
    b.shot("createaccount-error").await;
    b.type_into("#wpPassword2", "Bob-pass-12345").await;
    b.type_into("#wpRetype", "Bob-pass-12345").await;
    b.click("#wpCreateaccount").await;
    b.wait_text("#firstHeading", "Welcome, Bob!").await;
    assert_eq!(b.text("#pt-userpage").await, "Bob");
    b.shot("createaccount-welcome").await;

    // A phone.
    b.set_viewport(PHONE).await;
    b.go(&page("Special:BotPasswords/phone%20bot")).await;
    assert_eq!(b.text("#mw-botpasswords-username").await, "Bob@phone bot");
    b.shot("botpasswords-create-phone").await;
    b.go(&page("Special:UserLogout")).await;
    b.shot("logout-confirm-phone").await;
    b.click("#mw-userlogout-submit").await;
    b.wait("#mw-logout-done").await;
    b.go(&page("Special:UserLogin")).await;
    b.wait("#wpName1").await;
    b.shot("login-phone").await;
    let overflow = b
        .script(
            "return document.documentElement.scrollWidth > window.innerWidth",
            json!([]),
        )
        .await;
    assert_eq!(overflow, json!(false), "no sideways scrolling on a phone");

    b.quit().await;
    srv.stop().await;
    eprintln!("screenshots in {}", shots.display());
}

/// The TOTP code of `secret` at the 30-second step `step` (the project's own HOTP).
fn totp_at(secret: &str, step: u64) -> String {
    mwauth::user::oath::hotp(&mwauth::user::oath::base32_decode(secret), step)
}

/// The 30-second step of now.
fn step_now() -> u64 {
    mwauth::time::now() as u64 / mwauth::user::oath::STEP_SECS
}

/// Types a TOTP code into `field` and submits with `button` until the page leaves the form
/// with a success (`done`, a CSS selector): a code is refused when it is not later than the
/// last accepted step (replay protection) or when the step turned over meanwhile, so each
/// try uses a step after the ones tried (never before `after`, the step accepted last) and
/// at least the step of the moment. Any other text in an error box fails. Returns the
/// step accepted.
async fn submit_code(
    b: &Browser,
    secret: &str,
    after: Option<u64>,
    field: &str,
    button: &str,
    done: &str,
    refusal: &str,
) -> u64 {
    let mut step = after.map_or(0, |s| s + 1).max(step_now());
    // The window accepts ±4 steps around now: a few tries are always enough.
    for _ in 0..4 {
        b.type_into(field, &totp_at(secret, step)).await;
        // Marks this document, so that the answer is read from the next one only (the
        // form being left may still show the previous refusal).
        b.script(
            "document.documentElement.dataset.mwauthSent = '1'",
            json!([]),
        )
        .await;
        b.click(button).await;
        let started = Instant::now();
        loop {
            let left = b.find("html[data-mwauth-sent]").await.is_none();
            if left && b.find(done).await.is_some() {
                return step;
            }
            if left
                && b.find(".mw-message-box-error").await.is_some()
                && b.find(field).await.is_some()
            {
                let said = b.text(".mw-message-box-error").await;
                assert_eq!(said, refusal, "the only refusal a right code can meet");
                break;
            }
            assert!(started.elapsed() < WAIT, "no answer to the code");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        step = (step + 1).max(step_now());
    }
    panic!("no code of {secret} was accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_and_captcha_in_chromium() {
    use mwauth::config::{CaptchaConfig, CaptchaKind, CaptchaQuestion};
    let (chromium, driver_bin) = require_browser();
    let dir = tempfile::tempdir().unwrap();
    let shots = match std::env::var_os("MWAUTH_SCREENSHOTS") {
        Some(p) if Path::new(&p).is_absolute() => PathBuf::from(p),
        Some(p) => workspace_root().join(p),
        None => dir.path().join("screenshots"),
    };
    std::fs::create_dir_all(&shots).unwrap();
    let srv = server_with(dir.path(), |file| {
        file.wiki.oath.enabled = true;
        file.wiki.captcha = CaptchaConfig {
            kind: CaptchaKind::Questy,
            questions: vec![CaptchaQuestion {
                question: "What is the capital of France?".into(),
                answers: vec!["Paris".into()],
            }],
            ..CaptchaConfig::default()
        };
    })
    .await;
    let site = format!("http://{}", srv.addr);
    let page = |title: &str| format!("{site}/w/index.php?title={title}");
    let b = Browser::start(&driver_bin, &chromium, shots.clone(), dir.path()).await;

    // Log in with the password (not enrolled yet), then enrol from the Main Page's link.
    b.go(&page("Special:UserLogin")).await;
    b.type_into("#wpName1", ALICE.0).await;
    b.type_into("#wpPassword1", ALICE.1).await;
    b.click("#wpLoginAttempt").await;
    b.wait_text("#pt-userpage", "Alice").await;
    b.click("a[href*='Manage_Two-factor_authentication']").await;
    b.wait_text("#firstHeading", "Manage Two-factor authentication")
        .await;
    b.shot("oathmanage").await;
    b.click("#mw-oath-enable").await;
    b.wait_text("#firstHeading", "Enable TOTP (one-time token)")
        .await;
    let secret = b.text("#mw-oath-secret").await.replace(' ', "");
    assert_eq!(secret.len(), 42, "{secret}");
    // The QR code is drawn (inline SVG, allowed by the page's CSP) at its size.
    let qr = b
        .script(
            "const s = document.querySelector('.mw-display-qrcode svg'); \
             return s ? s.getBoundingClientRect().width : 0",
            json!([]),
        )
        .await;
    assert_eq!(qr.as_f64(), Some(256.0), "QR code shown: {qr}");
    b.shot("oathmanage-enable").await;
    // A wrong code first: nothing is written.
    b.type_into("#mw-input-token", "000000").await;
    b.click("#mw-oath-submit").await;
    b.wait_text(
        ".mw-message-box-error",
        "Failed to validate two-factor credentials",
    )
    .await;
    assert_eq!(
        b.text("#mw-oath-secret").await.replace(' ', ""),
        secret,
        "the same key after a wrong code"
    );
    let enrolled = submit_code(
        &b,
        &secret,
        None,
        "#mw-input-token",
        "#mw-oath-submit",
        "#mw-oath-done",
        "Failed to validate two-factor credentials",
    )
    .await;
    assert_eq!(
        b.text("#mw-oath-done").await,
        "Validated two-factor credentials. Two-factor authentication will now be enforced."
    );
    b.shot("oathmanage-enabled").await;

    // Log out, and back in: the password, then a code of a later step than enrolment's.
    b.go(&page("Special:UserLogout")).await;
    b.click("#mw-userlogout-submit").await;
    b.wait("#mw-logout-done").await;
    b.go(&page("Special:UserLogin")).await;
    b.type_into("#wpName1", ALICE.0).await;
    b.type_into("#wpPassword1", ALICE.1).await;
    b.click("#wpLoginAttempt").await;
    b.wait("#wpOATHToken").await;
    assert_eq!(
        b.text(".mw-message-box-warning").await,
        "Please enter a code from your two-factor authentication application (such as Google Authenticator)."
    );
    assert_eq!(b.text("#pt-anonuserpage").await, "Not logged in");
    b.shot("login-code").await;
    b.type_into("#wpOATHToken", "000000").await;
    b.click("#wpLoginAttempt").await;
    b.wait_text(".mw-message-box-error", "Verification failed.")
        .await;
    submit_code(
        &b,
        &secret,
        Some(enrolled),
        "#wpOATHToken",
        "#wpLoginAttempt",
        "#pt-userpage",
        "Verification failed.",
    )
    .await;
    assert_eq!(b.text("#pt-userpage").await, "Alice");
    assert_eq!(b.current_url().await, page("Main_Page"));

    // Logged out, an account of one's own, answering the question.
    b.go(&page("Special:UserLogout")).await;
    b.click("#mw-userlogout-submit").await;
    b.wait("#mw-logout-done").await;
    b.go(&page("Special:CreateAccount")).await;
    assert_eq!(
        b.text("#mw-captcha-question").await,
        "What is the capital of France?"
    );
    b.shot("createaccount-captcha").await;
    b.type_into("#wpName2", "Dave").await;
    b.type_into("#wpPassword2", "Dave-pass-12345").await;
    b.type_into("#wpRetype", "Dave-pass-12345").await;
    b.type_into("#mw-input-captchaWord", "London").await;
    b.click("#wpCreateaccount").await;
    b.wait_text(".mw-message-box-error", "Incorrect or missing CAPTCHA.")
        .await;
    b.shot("createaccount-captcha-error").await;
    b.type_into("#wpPassword2", "Dave-pass-12345").await;
    b.type_into("#wpRetype", "Dave-pass-12345").await;
    b.type_into("#mw-input-captchaWord", "Paris").await;
    b.click("#wpCreateaccount").await;
    b.wait_text("#firstHeading", "Welcome, Dave!").await;
    assert_eq!(b.text("#pt-userpage").await, "Dave");

    b.quit().await;
    srv.stop().await;
    eprintln!("screenshots in {}", shots.display());
}
