//! A minimal WebDriver client for the browser tests: headless Chromium (Debian's `chromium`)
//! driven by its `chromedriver` over the WebDriver protocol (JSON over HTTP, with reqwest).
//! chromedriver and every Chromium process it starts are ended by process id when the
//! [`Browser`] (its [`DriverProcess`]) drops, also when the test fails.

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const WAIT: Duration = Duration::from_secs(15);
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
pub fn require_browser() -> (PathBuf, PathBuf) {
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
pub struct DriverProcess {
    child: Child,
    port: u16,
    profile: tempfile::TempDir,
    log: PathBuf,
    /// The WebDriver session still open, which dropping closes first so that Chromium exits
    /// by itself (a panicking test never reaches `Browser::quit`).
    session: Option<String>,
}

impl DriverProcess {
    pub fn start(driver: &Path, dir: &Path) -> DriverProcess {
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
    pub fn close_session(&mut self) {
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
    pub fn browser_pids(&self) -> Vec<u32> {
        let marker = self.profile.path().to_string_lossy().into_owned();
        processes()
            .into_iter()
            .filter(|(_, _, cmd)| cmd.contains(&marker))
            .map(|(pid, _, _)| pid)
            .collect()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log_text(&self) -> String {
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
pub struct Viewport {
    width: u32,
    height: u32,
    scale: f64,
    mobile: bool,
}

pub const DESKTOP: Viewport = Viewport {
    width: 1280,
    height: 800,
    scale: 1.0,
    mobile: false,
};

/// A phone: 390 × 844 CSS pixels at 2 device pixels each, touch and the meta viewport.
pub const PHONE: Viewport = Viewport {
    width: 390,
    height: 844,
    scale: 2.0,
    mobile: true,
};

pub struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    shots: PathBuf,
    viewport: Viewport,
    // Last: the session is deleted (in `quit`) before the processes are killed.
    driver: DriverProcess,
}

impl Browser {
    pub async fn start(driver_bin: &Path, chromium: &Path, shots: PathBuf, dir: &Path) -> Browser {
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
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
        .await
    }

    pub async fn emulate(&self, v: Viewport, height: u32) {
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
    pub async fn set_viewport(&mut self, v: Viewport) {
        self.viewport = v;
        self.emulate(v, v.height).await;
    }

    pub async fn try_cmd(
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

    pub async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `step` on the element `css` until it works: the element may not be there yet,
    /// or belong to the page a click is just leaving ("stale element reference").
    pub async fn on_element(
        &self,
        css: &str,
        method: &str,
        what: &str,
        body: Option<Value>,
    ) -> Value {
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

    pub async fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn current_url(&self) -> String {
        self.cmd("GET", "/url", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn find(&self, css: &str) -> Option<String> {
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
    pub async fn wait(&self, css: &str) -> String {
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

    pub async fn text(&self, css: &str) -> String {
        self.on_element(css, "GET", "/text", None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Waits until the element's text is `expected` (the page a click leads to may take a
    /// moment to replace the current one).
    pub async fn wait_text(&self, css: &str, expected: &str) {
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

    pub async fn click(&self, css: &str) {
        self.on_element(css, "POST", "/click", None).await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.on_element(css, "POST", "/clear", None).await;
        self.on_element(css, "POST", "/value", Some(json!({ "text": text })))
            .await;
    }

    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// WebDriver's execute/async: `script`'s last argument is the callback its answer goes
    /// to (chromedriver's script timeout, 30 s by default, bounds the wait).
    pub async fn async_script(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
        .await
    }

    /// Every cookie the browser holds for the current page, as (name, value).
    pub async fn cookies(&self) -> Vec<(String, String)> {
        let v = self.cmd("GET", "/cookie", None).await;
        v.as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                let field = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                (field("name"), field("value"))
            })
            .collect()
    }

    pub async fn cookie(&self, name: &str) -> Option<String> {
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
    pub async fn shot(&self, name: &str) {
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
    pub async fn quit(mut self) {
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

pub fn base64_decode(s: &str) -> Vec<u8> {
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
