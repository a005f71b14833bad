//! One virtual user: its connection, its cookies, and the operations of every scenario.
//! Each request is timed on its own and checked (a fast wrong answer is an error, not a
//! result): tokens must be the session's, logins must succeed, logouts must not fail.

use crate::client::{form, json_string, Conn, CookieJar, Endpoint, Response};
use crate::plan::{Accounts, Scenario, Shared};
use crate::stats::{Counters, Kind, Latencies};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const Q_TOKENS: &str = "action=query&meta=tokens&format=json";
pub const Q_LOGIN_TOKEN: &str = "action=query&meta=tokens&type=login&format=json";
pub const Q_USERINFO: &str = "action=query&meta=userinfo&format=json";
/// Shaped like a generated bot password (32 of `0-9a-w`), so the server treats the attempt as
/// a bot-password login and verifies it, and wrong.
pub const WRONG_BOT_PASSWORD: &str = "wrongbotpasswordwrongbotpassword";

/// What a virtual user does in the timed phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    /// The scenario's own operation, as fast as answers come (closed loop).
    Main,
    /// `flood`: bot-password logins, closed loop.
    FloodLogin,
    /// `flood`: logged-in `meta=tokens` at a fixed pace; latency counts from the scheduled
    /// send time when an earlier answer made it late (no coordinated omission).
    Probe { interval: Duration },
}

enum Op {
    Baseline,
    TokensAnon,
    Tokens,
    Userinfo,
    Login,
    Logout,
    Cycle,
    BadLogin,
}

pub struct Vu {
    pub role: Role,
    pub conn: Conn,
    /// The user's own session: logged in for the `*-session` scenarios, anonymous with a login
    /// token for `login`.
    jar: CookieJar,
    login_token: Option<String>,
    /// `mixed`: an anonymous session and its login token, for the failed logins.
    anon_jar: CookieJar,
    anon_token: Option<String>,
    /// `logout`: sessions made before the clock, each with its logout request body (csrf
    /// token included).
    pub prepared: Vec<(CookieJar, String)>,
    rng: u64,
    pub lat: Latencies,
    pub ops: u64,
    pub first_error: Option<String>,
}

/// A distinct loopback source address per virtual user (127.0.0.2, .3, …): MediaWiki's login
/// throttle counts attempts per (IP, user), and more than five logins of one user in flight
/// from one address would be refused as a brute-force attempt.
pub fn source_ip(index: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + (index % 250) as u8)
}

impl Vu {
    pub fn new(ep: Arc<Endpoint>, index: usize, role: Role) -> Vu {
        Vu {
            role,
            conn: Conn::new(ep, Some(source_ip(index))),
            jar: CookieJar::default(),
            login_token: None,
            anon_jar: CookieJar::default(),
            anon_token: None,
            prepared: Vec::new(),
            rng: 0x9E37_79B9_7F4A_7C15 ^ (index as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9),
            lat: Latencies::default(),
            ops: 0,
            first_error: None,
        }
    }

    /// Untimed set-up before the clock starts.
    pub async fn setup(&mut self, sc: Scenario, acct: &Accounts) -> anyhow::Result<()> {
        match (sc, self.role) {
            (Scenario::Login, _) | (Scenario::Flood, Role::FloodLogin) => {
                self.login_token = Some(login_token(&mut self.conn, &mut self.jar).await?);
            }
            (Scenario::TokensSession | Scenario::UserinfoSession, _)
            | (Scenario::Flood, Role::Probe { .. }) => {
                bot_login(&mut self.conn, &mut self.jar, acct).await?;
                warm(&mut self.conn, &mut self.jar).await?;
            }
            (Scenario::Mixed, _) => {
                bot_login(&mut self.conn, &mut self.jar, acct).await?;
                warm(&mut self.conn, &mut self.jar).await?;
                self.anon_token = Some(login_token(&mut self.conn, &mut self.anon_jar).await?);
            }
            _ => {}
        }
        Ok(())
    }

    /// `logout` set-up: up to `count` logged-in sessions made from the remember-me cookies in
    /// `seed` (no password hashing per session), each with its csrf token.
    pub async fn make_sessions(
        &mut self,
        seed: &CookieJar,
        count: usize,
        deadline: Instant,
        counters: &Counters,
    ) {
        while self.prepared.len() < count && Instant::now() < deadline {
            let mut jar = seed.clone();
            let t = Instant::now();
            let made = self
                .conn
                .get(Q_TOKENS, Some(&jar))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    jar.store_all(&r.set_cookies);
                    check(Kind::CsrfToken, &r)?;
                    json_string(&r.body, "csrftoken").ok_or_else(|| "no csrftoken".to_string())
                });
            counters.add(t.elapsed(), made.is_ok());
            match made {
                // The request body is made here, before the clock, as a static request of
                // wrk's would be: the timed phase measures the server, not form encoding.
                Ok(token) => self.prepared.push((
                    jar,
                    form(&[("action", "logout"), ("format", "json"), ("token", &token)]),
                )),
                Err(e) => {
                    self.first_error.get_or_insert(e);
                    return;
                }
            }
        }
    }

    pub async fn run(mut self, sc: Scenario, shared: Arc<Shared>, acct: Arc<Accounts>) -> Vu {
        if let Role::Probe { interval } = self.role {
            self.probe_loop(interval, &shared).await;
            return self;
        }
        let mut consecutive_errors = 0u32;
        loop {
            let op = match (sc, self.role) {
                (_, Role::FloodLogin) => Op::Login,
                (Scenario::Baseline, _) => Op::Baseline,
                (Scenario::TokensAnon, _) => Op::TokensAnon,
                (Scenario::TokensSession, _) => Op::Tokens,
                (Scenario::UserinfoSession, _) => Op::Userinfo,
                (Scenario::Login, _) => Op::Login,
                (Scenario::Logout, _) if self.prepared.is_empty() => break,
                (Scenario::Logout, _) => Op::Logout,
                (Scenario::Cycle, _) => Op::Cycle,
                (Scenario::Mixed, _) => match self.next_random() % 1000 {
                    0..=899 => Op::Tokens,
                    900..=989 => Op::Cycle,
                    _ => Op::BadLogin,
                },
                (Scenario::Flood, _) => Op::Login,
            };
            let requests = match op {
                Op::Cycle => 4,
                Op::Login if self.login_token.is_none() => 2,
                Op::BadLogin if self.anon_token.is_none() => 2,
                _ => 1,
            };
            if !shared.take(requests) {
                break;
            }
            match self.execute(op, &shared, &acct).await {
                Ok(()) => {
                    self.ops += 1;
                    consecutive_errors = 0;
                }
                Err(e) => {
                    self.first_error.get_or_insert(e);
                    consecutive_errors += 1;
                    if consecutive_errors >= 100 {
                        break;
                    }
                }
            }
        }
        self
    }

    async fn probe_loop(&mut self, interval: Duration, shared: &Shared) {
        let mut next =
            Instant::now() + interval.mul_f64(self.next_random() as f64 / u64::MAX as f64);
        let mut last_done = Instant::now();
        loop {
            tokio::time::sleep_until(next.into()).await;
            if !shared.take(1) {
                break;
            }
            // Late because the previous answer came after this send was due: that wait is
            // the server's. Late only because the timer woke late: not the server's.
            let started = if last_done > next {
                next
            } else {
                Instant::now()
            };
            let r = step(
                &mut self.conn,
                Some(&mut self.jar),
                Kind::Tokens,
                Req::Get(Q_TOKENS),
                Some(started),
                &mut self.lat,
                shared,
            )
            .await;
            match r {
                Ok(_) => self.ops += 1,
                Err(e) => {
                    self.first_error.get_or_insert(e);
                }
            }
            last_done = Instant::now();
            next += interval;
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    async fn execute(&mut self, op: Op, shared: &Shared, acct: &Accounts) -> Result<(), String> {
        let (conn, lat) = (&mut self.conn, &mut self.lat);
        match op {
            Op::Baseline => step(conn, None, Kind::Baseline, Req::Get(""), None, lat, shared)
                .await
                .map(drop),
            Op::TokensAnon => step(
                conn,
                None,
                Kind::TokensAnon,
                Req::Get(Q_TOKENS),
                None,
                lat,
                shared,
            )
            .await
            .map(drop),
            Op::Tokens => step(
                conn,
                Some(&mut self.jar),
                Kind::Tokens,
                Req::Get(Q_TOKENS),
                None,
                lat,
                shared,
            )
            .await
            .map(drop),
            Op::Userinfo => step(
                conn,
                Some(&mut self.jar),
                Kind::Userinfo,
                Req::Get(Q_USERINFO),
                None,
                lat,
                shared,
            )
            .await
            .map(drop),
            Op::Login => {
                let token = match self.login_token.take() {
                    Some(t) => t,
                    None => timed_login_token(conn, &mut self.jar, lat, shared).await?,
                };
                // The bot-password session's cookie is dropped: the next login reuses this
                // anonymous session and its login token, as MediaWiki allows.
                let mut scratch = self.jar.clone();
                let body = login_form(&acct.bot_user, &acct.bot_password, &token);
                let r = step(
                    conn,
                    Some(&mut scratch),
                    Kind::Login,
                    Req::Post(&body),
                    None,
                    lat,
                    shared,
                )
                .await;
                if r.is_ok() {
                    self.login_token = Some(token);
                }
                r.map(drop)
            }
            Op::BadLogin => {
                let token = match self.anon_token.take() {
                    Some(t) => t,
                    None => timed_login_token(conn, &mut self.anon_jar, lat, shared).await?,
                };
                let body = login_form(&acct.bot_user, WRONG_BOT_PASSWORD, &token);
                let r = step(
                    conn,
                    Some(&mut self.anon_jar),
                    Kind::BadLogin,
                    Req::Post(&body),
                    None,
                    lat,
                    shared,
                )
                .await;
                if r.is_ok() {
                    self.anon_token = Some(token);
                }
                r.map(drop)
            }
            Op::Logout => {
                let Some((mut jar, body)) = self.prepared.pop() else {
                    return Ok(());
                };
                step(
                    conn,
                    Some(&mut jar),
                    Kind::Logout,
                    Req::Post(&body),
                    None,
                    lat,
                    shared,
                )
                .await
                .map(drop)
            }
            Op::Cycle => cycle(conn, acct, lat, shared).await,
        }
    }
}

/// The API:Logout example's four steps with a fresh cookie jar, as a script would run them.
async fn cycle(
    conn: &mut Conn,
    acct: &Accounts,
    lat: &mut Latencies,
    shared: &Shared,
) -> Result<(), String> {
    let mut jar = CookieJar::default();
    let token = timed_login_token(conn, &mut jar, lat, shared).await?;
    let body = login_form(&acct.bot_user, &acct.bot_password, &token);
    step(
        conn,
        Some(&mut jar),
        Kind::Login,
        Req::Post(&body),
        None,
        lat,
        shared,
    )
    .await?;
    let r = step(
        conn,
        Some(&mut jar),
        Kind::CsrfToken,
        Req::Get(Q_TOKENS),
        None,
        lat,
        shared,
    )
    .await?;
    let csrf = json_string(&r.body, "csrftoken").ok_or("no csrftoken")?;
    let body = form(&[("action", "logout"), ("format", "json"), ("token", &csrf)]);
    step(
        conn,
        Some(&mut jar),
        Kind::Logout,
        Req::Post(&body),
        None,
        lat,
        shared,
    )
    .await?;
    Ok(())
}

fn login_form(name: &str, password: &str, token: &str) -> String {
    form(&[
        ("action", "login"),
        ("format", "json"),
        ("lgname", name),
        ("lgpassword", password),
        ("lgtoken", token),
    ])
}

async fn timed_login_token(
    conn: &mut Conn,
    jar: &mut CookieJar,
    lat: &mut Latencies,
    shared: &Shared,
) -> Result<String, String> {
    let r = step(
        conn,
        Some(jar),
        Kind::LoginToken,
        Req::Get(Q_LOGIN_TOKEN),
        None,
        lat,
        shared,
    )
    .await?;
    json_string(&r.body, "logintoken").ok_or_else(|| "no logintoken".to_string())
}

enum Req<'a> {
    Get(&'a str),
    Post(&'a str),
}

/// One request: timed from `started` (default: now), cookies applied to `jar`, answer checked.
async fn step(
    conn: &mut Conn,
    jar: Option<&mut CookieJar>,
    kind: Kind,
    req: Req<'_>,
    started: Option<Instant>,
    lat: &mut Latencies,
    shared: &Shared,
) -> Result<Response, String> {
    let t = started.unwrap_or_else(Instant::now);
    let res = match req {
        Req::Get(q) => conn.get(q, jar.as_deref()).await,
        Req::Post(body) => conn.post("", body, jar.as_deref()).await,
    };
    let d = t.elapsed();
    match res {
        Ok(resp) => {
            if let Some(j) = jar {
                j.store_all(&resp.set_cookies);
            }
            lat.record(kind, d);
            let ok = check(kind, &resp);
            shared.counters.add(d, ok.is_ok());
            if let Err(e) = ok {
                lat.error(kind);
                return Err(e);
            }
            Ok(resp)
        }
        Err(e) => {
            lat.error(kind);
            shared.counters.add(d, false);
            Err(format!("{}: {e}", kind.name()))
        }
    }
}

const ANON_CSRF: &str = r#""csrftoken":"+\\""#;

/// Whether an answer is the one the scenario expects.
pub fn check(kind: Kind, r: &Response) -> Result<(), String> {
    if r.status != 200 {
        return Err(format!(
            "{}: HTTP {}: {}",
            kind.name(),
            r.status,
            snippet(r)
        ));
    }
    let ok = match kind {
        Kind::Baseline => true,
        Kind::TokensAnon => r.body_contains(ANON_CSRF),
        Kind::Tokens | Kind::CsrfToken => {
            r.body_contains("\"csrftoken\":\"") && !r.body_contains(ANON_CSRF)
        }
        Kind::Userinfo => r.body_contains("\"userinfo\":{\"id\":") && !r.body_contains("\"anon\""),
        Kind::LoginToken => r.body_contains("\"logintoken\":\""),
        Kind::Login => r.body_contains("\"result\":\"Success\""),
        Kind::BadLogin => r.body_contains("\"result\":\"Failed\""),
        Kind::Logout => !r.body_contains("\"error\""),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{}: unexpected answer: {}",
            kind.name(),
            snippet(r)
        ))
    }
}

fn snippet(r: &Response) -> String {
    let t = r.text();
    t.chars().take(200).collect()
}

/// Logs in with the bot password (login token, then `action=login`) into `jar`.
pub async fn bot_login(
    conn: &mut Conn,
    jar: &mut CookieJar,
    acct: &Accounts,
) -> anyhow::Result<()> {
    login_retrying(conn, jar, &acct.bot_user, &acct.bot_password).await
}

/// Main-account login (MediaWiki's deprecated but working `action=login` with the user's
/// own password); it sets the remember-me cookies (`…UserID`, `…Token`).
pub async fn main_login(
    conn: &mut Conn,
    jar: &mut CookieJar,
    acct: &Accounts,
) -> anyhow::Result<()> {
    login_retrying(conn, jar, &acct.user, &acct.password).await
}

/// Set-up logins are tried three times with a fresh session: an overloaded server (MediaWiki
/// keeps sessions in its database here) may lose a session between token and login.
async fn login_retrying(
    conn: &mut Conn,
    jar: &mut CookieJar,
    name: &str,
    password: &str,
) -> anyhow::Result<()> {
    let mut last = None;
    for _ in 0..3 {
        *jar = CookieJar::default();
        let attempt = async {
            let token = login_token(conn, jar).await?;
            let r = conn
                .post("", &login_form(name, password, &token), Some(jar))
                .await?;
            jar.store_all(&r.set_cookies);
            check(Kind::Login, &r).map_err(anyhow::Error::msg)
        };
        match attempt.await {
            Ok(()) => return Ok(()),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("login failed")))
}

async fn login_token(conn: &mut Conn, jar: &mut CookieJar) -> anyhow::Result<String> {
    let r = conn.get(Q_LOGIN_TOKEN, Some(jar)).await?;
    jar.store_all(&r.set_cookies);
    check(Kind::LoginToken, &r).map_err(anyhow::Error::msg)?;
    json_string(&r.body, "logintoken")
        .ok_or_else(|| anyhow::anyhow!("no logintoken in {}", r.text()))
}

/// First `meta=tokens` of a new session: it makes the session's csrf secret (a store write
/// the timed requests should not include).
async fn warm(conn: &mut Conn, jar: &mut CookieJar) -> anyhow::Result<()> {
    let r = conn.get(Q_TOKENS, Some(jar)).await?;
    jar.store_all(&r.set_cookies);
    check(Kind::Tokens, &r).map_err(anyhow::Error::msg)
}
