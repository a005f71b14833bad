//! The pages (mwauth::web) without a browser or a socket: requests go straight to
//! `web::execute` and `api::execute` with a cookie jar, against a real SQLite file opened
//! as the server opens its default backend.
//! Covers the form tokens, that GET never logs out, that pages and api.php share sessions,
//! account creation and bot-password management, escaping, and the security headers.

use mwauth::api;
use mwauth::auth::account::new_user_token;
use mwauth::hash_pool::HashPool;
use mwauth::request::{ApiRequest, ApiResponse, Pairs};
use mwauth::user::BotPasswordRecord;
use mwauth::{web, Config, Services};
use serde_json::Value;
use support::Wiki;

mod support;

const PW: &str = "Alice-pass-12345";
const CSP: &str = "default-src 'none'; connect-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async fn wiki_with(config: Config) -> Wiki {
    let w = Wiki::open(config, HashPool::default()).await;
    let hash = w.services.hasher.hash(PW).await.unwrap();
    w.services
        .users
        .create_user("Alice", &hash, &new_user_token(), &[])
        .await
        .unwrap();
    w
}

async fn wiki() -> Wiki {
    wiki_with(Config::default()).await
}

struct Page {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Page {
    fn from(r: ApiResponse) -> Page {
        Page {
            status: r.status,
            headers: r
                .headers
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            body: String::from_utf8(r.body).unwrap(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn cookie_set(&self, name: &str) -> Option<&str> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// The value of the form field `name` (a hidden input, or a data attribute).
    fn attr_after(&self, marker: &str) -> Option<String> {
        let start = self.body.find(marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(unescape(&self.body[start..end]))
    }

    /// The value of the input named `name`.
    fn input(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\""))?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = self.body[at..].find('>')? + at;
        let tag = &self.body[tag_start..tag_end];
        let v = tag.find("value=\"")? + "value=\"".len();
        let end = tag[v..].find('"')? + v;
        Some(unescape(&tag[v..end]))
    }

    /// The body with entities decoded, to look for texts.
    fn text(&self) -> String {
        unescape(&self.body)
    }

    fn personal_bar(&self) -> &str {
        let start = self.body.find("<nav id=\"p-personal\"").unwrap();
        let end = self.body[start..].find("</nav>").unwrap() + start;
        &self.body[start..end]
    }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A client with a cookie jar, speaking to the pages and to api.php.
struct Client<'a> {
    services: &'a Services,
    jar: Vec<(String, String)>,
}

impl<'a> Client<'a> {
    fn new(w: &'a Wiki) -> Client<'a> {
        Client {
            services: &w.services,
            jar: Vec::new(),
        }
    }

    /// Another browser holding only this one's remember-me cookies (`UserID`, `Token`).
    fn remembered(&self) -> Client<'a> {
        let mut other = Client {
            services: self.services,
            jar: Vec::new(),
        };
        for name in ["my_wikiUserID", "my_wikiToken"] {
            other
                .jar
                .push((name.into(), self.cookie(name).unwrap().to_string()));
        }
        other
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        self.jar
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn keep(&mut self, headers: &[mwauth::request::Header]) {
        for (k, v) in headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = v.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.jar.retain(|(n, _)| n != name);
            if !v.contains("Max-Age=0") {
                self.jar.push((name.to_string(), value.to_string()));
            }
        }
    }

    fn request(
        &self,
        method: &str,
        query: &[(&str, &str)],
        body: &[(&str, &str)],
    ) -> ApiRequest<'static> {
        let own = |v: &[(&str, &str)]| -> Pairs<'static> {
            v.iter()
                .map(|(k, v)| (k.to_string().into(), v.to_string().into()))
                .collect()
        };
        let mut req = ApiRequest::new(method);
        req.query = own(query);
        req.body = own(body);
        req.cookies = self
            .jar
            .iter()
            .map(|(k, v)| (k.clone().into(), v.clone().into()))
            .collect();
        req
    }

    async fn get(&mut self, title: &str) -> Page {
        self.get_q(title, &[]).await
    }

    async fn get_q(&mut self, title: &str, query: &[(&str, &str)]) -> Page {
        let mut q = vec![("title", title)];
        q.extend_from_slice(query);
        let req = self.request("GET", &q, &[]);
        let r = web::execute(self.services, &req, None).await;
        self.keep(&r.headers);
        Page::from(r)
    }

    async fn post(&mut self, title: &str, form: &[(&str, &str)]) -> Page {
        let req = self.request("POST", &[("title", title)], form);
        let r = web::execute(self.services, &req, None).await;
        self.keep(&r.headers);
        Page::from(r)
    }

    async fn api(&mut self, method: &str, params: &[(&str, &str)]) -> Value {
        let mut p = vec![("format", "json"), ("formatversion", "2")];
        p.extend_from_slice(params);
        let req = if method == "POST" {
            self.request("POST", &[], &p)
        } else {
            self.request("GET", &p, &[])
        };
        let r = api::execute(self.services, &req).await;
        self.keep(&r.headers);
        serde_json::from_slice(&r.body).unwrap()
    }

    async fn whoami(&mut self) -> String {
        let v = self
            .api("GET", &[("action", "query"), ("meta", "userinfo")])
            .await;
        v["query"]["userinfo"]["name"].as_str().unwrap().to_string()
    }

    /// Gives Alice's password again on Special:UserLogin with `force=BotPasswords`, as a
    /// security-sensitive page asked; returns the answer (a redirect back to `returnto`).
    async fn log_in_again(&mut self, returnto: &str, returntoquery: &str) -> Page {
        let login = self
            .get_q(
                "Special:UserLogin",
                &[
                    ("returnto", returnto),
                    ("returntoquery", returntoquery),
                    ("force", "BotPasswords"),
                ],
            )
            .await;
        let token = login.input("wpLoginToken").unwrap();
        self.post(
            "Special:UserLogin",
            &[
                ("wpName", "Alice"),
                ("wpPassword", PW),
                ("wpLoginToken", &token),
                ("returnto", returnto),
                ("returntoquery", returntoquery),
                ("force", "BotPasswords"),
            ],
        )
        .await
    }

    /// Logs in through Special:UserLogin.
    async fn log_in(&mut self, name: &str, pw: &str, remember: bool) -> Page {
        let form = self.get("Special:UserLogin").await;
        let token = form.input("wpLoginToken").unwrap();
        let mut fields = vec![
            ("wpName", name),
            ("wpPassword", pw),
            ("wpLoginToken", token.as_str()),
        ];
        if remember {
            fields.push(("wpRemember", "1"));
        }
        self.post("Special:UserLogin", &fields).await
    }
}

fn assert_page_headers(p: &Page) {
    assert_eq!(p.header("Content-Security-Policy"), Some(CSP));
    assert_eq!(p.header("X-Frame-Options"), Some("DENY"));
    assert_eq!(p.header("X-Content-Type-Options"), Some("nosniff"));
    assert!(p.header("Cache-Control").unwrap().contains("no-store"));
}

#[tokio::test]
async fn login_page_starts_a_session_with_a_login_token() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let p = c.get("Special:UserLogin").await;
    assert_eq!(p.status, 200);
    assert_page_headers(&p);
    assert!(p.cookie_set("my_wiki_session").is_some());
    let token = p.input("wpLoginToken").unwrap();
    assert!(token.ends_with("+\\"), "{token}");
    assert!(p.body.contains("<title>Log in - MediaWiki</title>"));
    assert!(p.personal_bar().contains("Not logged in"));
    // The same session's API login token is another token of the same secret.
    let v = c
        .api(
            "GET",
            &[("action", "query"), ("meta", "tokens"), ("type", "login")],
        )
        .await;
    assert!(v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .ends_with("+\\"));
}

#[tokio::test]
async fn login_form_needs_the_session_token() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.get("Special:UserLogin").await;
    for token in [
        None,
        Some("0123456789abcdef0123456789abcdef1+\\"),
        Some("+\\"),
    ] {
        let mut form = vec![("wpName", "Alice"), ("wpPassword", PW)];
        if let Some(t) = token {
            form.push(("wpLoginToken", t));
        }
        let p = c.post("Special:UserLogin", &form).await;
        assert_eq!(p.status, 200);
        assert!(
            p.body.contains("There seems to be a problem with your login session;\nthis action has been canceled as a precaution against session hijacking.\nPlease resubmit the form."),
            "{}",
            p.body
        );
        assert!(p.cookie_set("my_wiki_UserID").is_none());
        assert_eq!(c.whoami().await, "127.0.0.1");
    }
    // A client that never got the form (no session at all) is told about cookies.
    let mut fresh = Client::new(&w);
    let p = fresh
        .post(
            "Special:UserLogin",
            &[
                ("wpName", "Alice"),
                ("wpPassword", PW),
                ("wpLoginToken", "x+\\"),
            ],
        )
        .await;
    assert!(p
        .body
        .contains("MediaWiki uses cookies to log in users.\nYou have cookies disabled."));
    // A token of another session does not work either.
    let mut other = Client::new(&w);
    let theirs = other
        .get("Special:UserLogin")
        .await
        .input("wpLoginToken")
        .unwrap();
    let p = c
        .post(
            "Special:UserLogin",
            &[
                ("wpName", "Alice"),
                ("wpPassword", PW),
                ("wpLoginToken", &theirs),
            ],
        )
        .await;
    assert!(p.body.contains("precaution against session hijacking"));
}

#[tokio::test]
async fn login_makes_a_new_session_that_the_api_sees() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.get("Special:UserLogin").await;
    let before = c.cookie("my_wiki_session").unwrap().to_string();
    let p = c.log_in("alice", PW, false).await;
    assert_eq!(p.status, 303);
    assert_eq!(p.header("Location"), Some("/w/index.php?title=Main_Page"));
    assert_page_headers(&p);
    let after = c.cookie("my_wiki_session").unwrap().to_string();
    assert_ne!(before, after, "the session id changes at login");
    // Not remembered: no Token cookie, the session cookie has no expiry.
    assert!(p.cookie_set("my_wikiToken").is_none());
    assert!(!p.cookie_set("my_wiki_session").unwrap().contains("expires"));
    assert!(p
        .cookie_set("my_wikiUserName")
        .unwrap()
        .starts_with("my_wikiUserName=Alice;"));
    assert_eq!(c.whoami().await, "Alice");
    let main = c.get("Main_Page").await;
    assert!(main
        .personal_bar()
        .contains("<span class=\"mw-username\">Alice</span>"));
    assert!(main.personal_bar().contains("id=\"pt-logout\""));
    // The pre-login session id is gone.
    let mut old = Client::new(&w);
    old.jar.push(("my_wiki_session".into(), before));
    assert_eq!(old.whoami().await, "127.0.0.1");
}

#[tokio::test]
async fn remember_me_sets_the_long_lived_cookies() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let p = c.log_in("Alice", PW, true).await;
    assert_eq!(p.status, 303);
    for name in ["UserID", "UserName", "Token"] {
        let set = p.cookie_set(&format!("my_wiki{name}")).unwrap();
        assert!(set.contains("Max-Age=15552000"), "{set}");
    }
    // The remember-me cookies alone log the user in again.
    let mut later = c.remembered();
    assert!(later
        .get("Main_Page")
        .await
        .personal_bar()
        .contains(">Alice</span>"));
}

#[tokio::test]
async fn login_refusals_are_worded_as_mediawiki_words_them() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let p = c.log_in("Alice", "wrong-password", false).await;
    assert_eq!(p.status, 200);
    assert!(p
        .body
        .contains("Incorrect username or password entered.\nPlease try again."));
    assert_eq!(p.input("wpName").as_deref(), Some("Alice"));
    // The unknown user gets the same words.
    let p = c.log_in("Nobody", "whatever", false).await;
    assert!(p.body.contains("Incorrect username or password entered."));
    // A bot password does not open a page.
    let bp = c
        .log_in("Alice@bot", "abcdefghijklmnopqrstuvabcdefghij", false)
        .await;
    assert!(bp.body.contains("Incorrect username or password entered."));
    // Five attempts per user and address in five minutes: the sixth is refused.
    for _ in 0..4 {
        c.log_in("Alice", "wrong-password", false).await;
    }
    let p = c.log_in("Alice", PW, false).await;
    assert!(
        p.body.contains("You have made too many recent login attempts.\nPlease wait 5 minutes before trying again."),
        "{}",
        p.body
    );
}

/// MediaWiki's `MaximalPasswordLength` (4096 bytes) is fatal before any hashing, on the
/// pages as in the API: "Passwords cannot be longer than 4096 characters." for an existing
/// account (checked against MediaWiki 1.39's Special:UserLogin and Special:CreateAccount),
/// the usual words for an unknown one.
#[tokio::test]
async fn passwords_over_4096_bytes_are_refused_on_the_pages() {
    const TOO_LONG: &str = "Passwords cannot be longer than 4096 characters.";
    let w = wiki().await;
    let mut c = Client::new(&w);
    // 2049 "ä" are 2049 characters but 4098 bytes.
    for long in ["a".repeat(4097), "\u{e4}".repeat(2049)] {
        let p = c.log_in("Alice", &long, false).await;
        assert!(p.text().contains(TOO_LONG), "{}", p.body);
        let p = c.log_in("Nobody", &long, false).await;
        assert!(p.body.contains("Incorrect username or password entered."));
        let form = c.get("Special:CreateAccount").await;
        let token = form.input("wpCreateaccountToken").unwrap();
        let p = c
            .post(
                "Special:CreateAccount",
                &[
                    ("wpName", "Bob"),
                    ("wpPassword", &long),
                    ("wpRetype", &long),
                    ("wpCreateaccountToken", &token),
                ],
            )
            .await;
        assert!(p.text().contains(TOO_LONG), "{}", p.body);
    }
    assert!(w
        .services
        .users
        .user_by_name("Bob")
        .await
        .unwrap()
        .is_none());
    // 4096 bytes are compared as any password.
    let p = c.log_in("Alice", &"a".repeat(4096), false).await;
    assert!(p.body.contains("Incorrect username or password entered."));
}

/// `Pässwörd…` and `Jürgen` as NFC (precomposed) and as NFD (decomposed) text.
const NFC_PW: &str = "P\u{e4}ssw\u{f6}rd-12345";
const NFD_PW: &str = "Pa\u{308}sswo\u{308}rd-12345";
const NFC_NAME: &str = "J\u{fc}rgen";
const NFD_NAME: &str = "Ju\u{308}rgen";

/// Creates an account on Special:CreateAccount; the page answered.
async fn create_on_page(c: &mut Client<'_>, name: &str, pw: &str) -> Page {
    let form = c.get("Special:CreateAccount").await;
    let token = form.input("wpCreateaccountToken").unwrap();
    c.post(
        "Special:CreateAccount",
        &[
            ("wpName", name),
            ("wpPassword", pw),
            ("wpRetype", pw),
            ("wpCreateaccountToken", &token),
        ],
    )
    .await
}

/// action=clientlogin; the `clientlogin` object of the answer.
async fn api_client_login(c: &mut Client<'_>, name: &str, pw: &str) -> Value {
    let t = c
        .api(
            "GET",
            &[("action", "query"), ("meta", "tokens"), ("type", "login")],
        )
        .await;
    let token = t["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v = c
        .api(
            "POST",
            &[
                ("action", "clientlogin"),
                ("username", name),
                ("password", pw),
                ("loginreturnurl", "http://localhost/"),
                ("logintoken", &token),
            ],
        )
        .await;
    v["clientlogin"].clone()
}

/// The pages read every field in Unicode NFC, as api.php does (MediaWiki's WebRequest
/// normalizes every input): an account made on a page with a decomposed password and name
/// logs in through api.php with the composed ones, and the other way round.
#[tokio::test]
async fn page_fields_are_normalized_to_nfc_as_the_api_does() {
    let w = wiki().await;

    // Created on the page in NFD, logged in through api.php in NFC (and NFD).
    let mut c = Client::new(&w);
    let p = create_on_page(&mut c, NFD_NAME, NFD_PW).await;
    assert!(c.cookie("my_wikiUserID").is_some(), "{}", p.body);
    let made = w.services.users.user_by_name(NFC_NAME).await.unwrap();
    assert!(made.is_some(), "the account is stored under its NFC name");
    for (name, pw) in [(NFC_NAME, NFC_PW), (NFD_NAME, NFD_PW)] {
        let mut api = Client::new(&w);
        let v = api_client_login(&mut api, name, pw).await;
        assert_eq!(v["status"], "PASS", "{v}");
        assert_eq!(v["username"], NFC_NAME, "{v}");
    }

    // Created through api.php in NFC, logged in on the page in NFD (and NFC).
    let mut api = Client::new(&w);
    let t = api
        .api(
            "GET",
            &[
                ("action", "query"),
                ("meta", "tokens"),
                ("type", "createaccount"),
            ],
        )
        .await;
    let token = t["query"]["tokens"]["createaccounttoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v = api
        .api(
            "POST",
            &[
                ("action", "createaccount"),
                ("username", "Zo\u{eb}"),
                ("password", NFC_PW),
                ("retype", NFC_PW),
                ("createreturnurl", "http://localhost/"),
                ("createtoken", &token),
            ],
        )
        .await;
    assert_eq!(v["createaccount"]["status"], "PASS", "{v}");
    for (name, pw) in [("Zoe\u{308}", NFD_PW), ("Zo\u{eb}", NFC_PW)] {
        let mut c = Client::new(&w);
        let p = c.log_in(name, pw, false).await;
        assert_eq!(p.status, 303, "{name:?}: {}", p.body);
        assert_eq!(c.whoami().await, "Zo\u{eb}");
    }

    // A typed retype in the other form still matches (both are normalized before comparing).
    let mut c = Client::new(&w);
    let form = c.get("Special:CreateAccount").await;
    let token = form.input("wpCreateaccountToken").unwrap();
    let p = c
        .post(
            "Special:CreateAccount",
            &[
                ("wpName", "Mixed"),
                ("wpPassword", NFD_PW),
                ("wpRetype", NFC_PW),
                ("wpCreateaccountToken", &token),
            ],
        )
        .await;
    assert!(
        !p.text().contains("The passwords you entered do not match."),
        "{}",
        p.body
    );
    let v = api_client_login(&mut Client::new(&w), "Mixed", NFC_PW).await;
    assert_eq!(v["status"], "PASS", "{v}");
}

#[tokio::test]
async fn api_login_shows_on_the_pages_and_bot_sessions_do_not() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let v = c
        .api(
            "GET",
            &[("action", "query"), ("meta", "tokens"), ("type", "login")],
        )
        .await;
    let token = v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v = c
        .api(
            "POST",
            &[
                ("action", "login"),
                ("lgname", "Alice"),
                ("lgpassword", PW),
                ("lgtoken", &token),
            ],
        )
        .await;
    assert_eq!(v["login"]["result"], "Success");
    let p = c.get("Special:BotPasswords").await;
    assert_eq!(p.status, 200);
    assert!(p.personal_bar().contains(">Alice</span>"));

    // A bot-password session (its own cookie) is the API's only.
    let hash = w
        .services
        .hasher
        .hash("abcdefghijklmnopqrstuvabcdefghij")
        .await
        .unwrap();
    w.services
        .users
        .create_bot_password(&BotPasswordRecord {
            user_id: 1,
            app_id: "bot".into(),
            password: hash,
            token: "t".repeat(32),
            restrictions: mwauth::user::botpassword::DEFAULT_RESTRICTIONS.into(),
            grants: vec!["basic".into()],
        })
        .await
        .unwrap();
    let mut bot = Client::new(&w);
    let v = bot
        .api(
            "GET",
            &[("action", "query"), ("meta", "tokens"), ("type", "login")],
        )
        .await;
    let token = v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v = bot
        .api(
            "POST",
            &[
                ("action", "login"),
                ("lgname", "Alice@bot"),
                ("lgpassword", "abcdefghijklmnopqrstuvabcdefghij"),
                ("lgtoken", &token),
            ],
        )
        .await;
    assert_eq!(v["login"]["result"], "Success");
    assert_eq!(bot.whoami().await, "Alice");
    assert!(bot.cookie("my_wiki_BPsession").is_some());
    assert!(bot
        .get("Main_Page")
        .await
        .personal_bar()
        .contains("Not logged in"));
}

#[tokio::test]
async fn get_never_logs_out() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, true).await;
    let p = c.get("Special:UserLogout").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Do you want to log out?"));
    let form_token = p.input("wpEditToken").unwrap();
    // Not even with the right token in the query string.
    let p = c
        .get_q("Special:UserLogout", &[("wpEditToken", &form_token)])
        .await;
    assert!(p.body.contains("Do you want to log out?"));
    assert!(p.set_cookies().iter().all(|s| !s.contains("Max-Age=0")));
    let p = c.get("Special:Logout").await;
    assert!(p.body.contains("Do you want to log out?"));
    assert_eq!(c.whoami().await, "Alice");
}

#[tokio::test]
async fn logout_form_needs_its_own_token() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, true).await;
    let page = c.get("Special:UserLogout").await;
    let form_token = page.input("wpEditToken").unwrap();
    let csrf = page.attr_after("data-mw-csrf=\"").unwrap();
    assert_ne!(form_token, csrf, "the form's token is salted logoutToken");
    for bad in ["", "+\\", csrf.as_str()] {
        let p = c.post("Special:UserLogout", &[("wpEditToken", bad)]).await;
        assert!(
            p.body.contains("precaution against session hijacking"),
            "{bad}"
        );
        assert!(p.body.contains("Do you want to log out?"));
        assert_eq!(c.whoami().await, "Alice");
    }
    let session = c.cookie("my_wiki_session").unwrap().to_string();
    let p = c
        .post("Special:UserLogout", &[("wpEditToken", &form_token)])
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("<strong>You are now logged out.</strong>"));
    assert!(p.personal_bar().contains("Not logged in"));
    for name in ["my_wiki_session", "my_wikiUserID", "my_wikiToken"] {
        assert!(
            p.cookie_set(name)
                .unwrap()
                .contains("=deleted; expires=Thu, 01 Jan 1970"),
            "{name}"
        );
    }
    assert!(p.cookie_set("my_wikiUserName").is_none(), "UserName stays");
    assert_eq!(c.whoami().await, "127.0.0.1");
    let mut old = Client::new(&w);
    old.jar.push(("my_wiki_session".into(), session));
    assert_eq!(old.whoami().await, "127.0.0.1");
}

#[tokio::test]
async fn the_pages_csrf_token_logs_out_through_the_api() {
    // What mwauth.js does with the button: POST api.php action=logout with the page's
    // csrf token.
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, false).await;
    let page = c.get("Special:UserLogout").await;
    assert_eq!(
        page.attr_after("data-mw-api=\"").as_deref(),
        Some("/w/api.php")
    );
    let csrf = page.attr_after("data-mw-csrf=\"").unwrap();
    let session = c.cookie("my_wiki_session").unwrap().to_string();
    let v = c
        .api("POST", &[("action", "logout"), ("token", &csrf)])
        .await;
    assert_eq!(v, serde_json::json!({}));
    let after = c.get("Special:UserLogout").await;
    assert!(after.body.contains("You are now logged out."));
    let mut old = Client::new(&w);
    old.jar.push(("my_wiki_session".into(), session));
    assert_eq!(old.whoami().await, "127.0.0.1");
}

#[tokio::test]
async fn user_provided_text_is_escaped() {
    let w = wiki().await;
    let hash = w.services.hasher.hash(PW).await.unwrap();
    w.services
        .users
        .create_user("O'Brien & \"Co\"", &hash, &new_user_token(), &[])
        .await
        .unwrap();
    let mut c = Client::new(&w);
    let evil = "\"><script>alert(1)</script>";
    // returnto and a typed name come back escaped.
    let p = c.get_q("Special:UserLogin", &[("returnto", evil)]).await;
    assert!(!p.body.contains("<script>alert"));
    let token = p.input("wpLoginToken").unwrap();
    let p = c
        .post(
            "Special:UserLogin",
            &[
                ("wpName", evil),
                ("wpPassword", "x"),
                ("wpLoginToken", &token),
            ],
        )
        .await;
    assert!(!p.body.contains("<script>alert"));
    assert!(p
        .body
        .contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    // A title that is not served.
    let p = c.get(&format!("Special:{evil}")).await;
    assert_eq!(p.status, 404);
    assert!(!p.body.contains("<script>alert"));
    let p = c.get(evil).await;
    assert!(!p.body.contains("<script>alert"));
    // A user name with quotes and an ampersand, in the personal bar and on Special:BotPasswords.
    let p = c.log_in("O'Brien & \"Co\"", PW, false).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = c.get("Special:BotPasswords").await;
    assert!(p
        .personal_bar()
        .contains("O&#039;Brien &amp; &quot;Co&quot;"));
    let token = p.input("wpEditToken").unwrap();
    let bot = "<b>&\"'x";
    let p = c
        .post(
            &format!("Special:BotPasswords/{bot}"),
            &[
                ("op", "create"),
                ("wpEditToken", &token),
                ("wprestrictions", "0.0.0.0/0"),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Bot password created"), "{}", p.body);
    assert!(!p.body.contains("<b>&\""));
    assert!(p.body.contains("&lt;b&gt;&amp;&quot;&#039;x"));
    let list = c.get("Special:BotPasswords").await;
    assert!(list.body.contains(">&lt;b&gt;&amp;&quot;&#039;x</a>"));
    assert!(list
        .body
        .contains("href=\"/w/index.php?title=Special:BotPasswords/%3Cb%3E%26%22%27x\""));
}

#[tokio::test]
async fn account_creation_is_worded_as_mediawiki_words_it() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let form = c.get("Special:CreateAccount").await;
    assert_eq!(form.status, 200);
    assert_page_headers(&form);
    let token = form.input("wpCreateaccountToken").unwrap();
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "Alice",
            "Another-pass-1",
            "Another-pass-1",
            "Username entered already in use.\nPlease choose a different name.",
        ),
        (
            "Talk:Bob",
            "Another-pass-1",
            "Another-pass-1",
            "You have not specified a valid username.",
        ),
        (
            "Bob@home",
            "Another-pass-1",
            "Another-pass-1",
            "You have not specified a valid username.",
        ),
        (
            "Bob",
            "Another-pass-1",
            "Another-pass-2",
            "The passwords you entered do not match.",
        ),
        ("Bob", "Another-pass-1", "", "This value is required."),
        (
            "Bobby",
            "obb",
            "obb",
            "Your password must not appear within your username.",
        ),
        (
            "Bob",
            "password",
            "password",
            "The password entered is in a list of very commonly used passwords.",
        ),
    ];
    for (name, pw, retype, text) in cases {
        let p = c
            .post(
                "Special:CreateAccount",
                &[
                    ("wpName", name),
                    ("wpPassword", pw),
                    ("wpRetype", retype),
                    ("wpCreateaccountToken", &token),
                ],
            )
            .await;
        assert!(p.body.contains(text), "{name}: {}", p.body);
        assert!(w
            .services
            .users
            .user_by_name("Bob")
            .await
            .unwrap()
            .is_none());
    }
    // The token is required.
    let p = c
        .post(
            "Special:CreateAccount",
            &[
                ("wpName", "Bob"),
                ("wpPassword", "Bob-pass-123"),
                ("wpRetype", "Bob-pass-123"),
            ],
        )
        .await;
    assert!(p.body.contains("precaution against session hijacking"));
    let mut fresh = Client::new(&w);
    let p = fresh
        .post(
            "Special:CreateAccount",
            &[
                ("wpName", "Bob"),
                ("wpPassword", "Bob-pass-123"),
                ("wpRetype", "Bob-pass-123"),
                ("wpCreateaccountToken", &token),
            ],
        )
        .await;
    assert!(p
        .body
        .contains("The user account was not created, as we could not confirm its source."));
    assert!(w
        .services
        .users
        .user_by_name("Bob")
        .await
        .unwrap()
        .is_none());
    // Created, and logged in to it.
    let p = c
        .post(
            "Special:CreateAccount",
            &[
                ("wpName", "bob"),
                ("wpPassword", "Bob-pass-123"),
                ("wpRetype", "Bob-pass-123"),
                ("wpCreateaccountToken", &token),
            ],
        )
        .await;
    assert!(
        p.body.contains("<title>Welcome, Bob! - MediaWiki</title>"),
        "{}",
        p.body
    );
    assert!(p.personal_bar().contains(">Bob</span>"));
    assert_eq!(c.whoami().await, "Bob");
    // Bob, logged in, creates an account for someone else and stays Bob.
    let token = c
        .get("Special:CreateAccount")
        .await
        .input("wpCreateaccountToken")
        .unwrap();
    let p = c
        .post(
            "Special:CreateAccount",
            &[
                ("wpName", "Carol"),
                ("wpPassword", "Carol-pass-123"),
                ("wpRetype", "Carol-pass-123"),
                ("wpCreateaccountToken", &token),
            ],
        )
        .await;
    assert!(p.body.contains("has been created"));
    assert_eq!(c.whoami().await, "Bob");
    assert!(w
        .services
        .users
        .user_by_name("Carol")
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn account_creation_can_be_turned_off() {
    let w = wiki_with(Config {
        allow_account_creation: false,
        ..Config::default()
    })
    .await;
    let mut c = Client::new(&w);
    let p = c.get("Special:CreateAccount").await;
    assert_eq!(p.status, 403);
    assert!(p
        .body
        .contains("Direct account creation is not enabled on this wiki."));
    assert!(!p.personal_bar().contains("pt-createaccount"));
    let p = c
        .post(
            "Special:CreateAccount",
            &[
                ("wpName", "Bob"),
                ("wpPassword", "Bob-pass-123"),
                ("wpRetype", "Bob-pass-123"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    assert!(w
        .services
        .users
        .user_by_name("Bob")
        .await
        .unwrap()
        .is_none());
}

async fn api_bot_login<'a>(w: &'a Wiki, name: &str, pw: &str) -> (Client<'a>, Value) {
    let mut bot = Client::new(w);
    let v = bot
        .api(
            "GET",
            &[("action", "query"), ("meta", "tokens"), ("type", "login")],
        )
        .await;
    let token = v["query"]["tokens"]["logintoken"]
        .as_str()
        .unwrap()
        .to_string();
    let v = bot
        .api(
            "POST",
            &[
                ("action", "login"),
                ("lgname", name),
                ("lgpassword", pw),
                ("lgtoken", &token),
            ],
        )
        .await;
    (bot, v)
}

#[tokio::test]
async fn bot_passwords_are_managed_on_the_page() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    // Logged out: to the login page, and back afterwards.
    let p = c.get("Special:BotPasswords").await;
    assert_eq!(p.status, 302);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:UserLogin&returnto=Special%3ABotPasswords&warning=exception-nologin-text")
    );
    let login = c
        .get_q(
            "Special:UserLogin",
            &[
                ("returnto", "Special:BotPasswords"),
                ("warning", "exception-nologin-text"),
            ],
        )
        .await;
    assert!(login
        .body
        .contains("Please log in to be able to access this page or action."));
    let token = login.input("wpLoginToken").unwrap();
    let p = c
        .post(
            "Special:UserLogin",
            &[
                ("wpName", "Alice"),
                ("wpPassword", PW),
                ("wpLoginToken", &token),
                ("returnto", "Special:BotPasswords"),
            ],
        )
        .await;
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:BotPasswords")
    );

    let list = c.get("Special:BotPasswords").await;
    assert_eq!(list.status, 200);
    let token = list.input("wpEditToken").unwrap();
    // "Create" with a name leads to the bot password's own page.
    let p = c
        .post(
            "Special:BotPasswords",
            &[
                ("op", "new"),
                ("wpappId", " mybot "),
                ("wpEditToken", &token),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:BotPasswords/mybot")
    );
    let form = c.get("Special:BotPasswords/mybot").await;
    assert!(form.body.contains("Create a new bot password"));
    assert!(form
        .body
        .contains("<code id=\"mw-botpasswords-username\">Alice@mybot</code>"));
    // Without the token nothing is created.
    let p = c
        .post(
            "Special:BotPasswords/mybot",
            &[
                ("op", "create"),
                ("wpgrants", "grant-highvolume"),
                ("wprestrictions", "0.0.0.0/0\n::/0"),
            ],
        )
        .await;
    assert!(p.body.contains("precaution against session hijacking"));
    assert!(w
        .services
        .users
        .bot_password(1, "mybot")
        .await
        .unwrap()
        .is_none());
    // A bad IP range is refused.
    let p = c
        .post(
            "Special:BotPasswords/mybot",
            &[
                ("op", "create"),
                ("wpEditToken", &token),
                ("wprestrictions", "10.0.0.0/40"),
            ],
        )
        .await;
    assert!(p.body.contains("Invalid IP address or range: 10.0.0.0/40"));
    let p = c
        .post(
            "Special:BotPasswords/mybot",
            &[
                ("op", "create"),
                ("wpEditToken", &token),
                ("wpgrants", "grant-highvolume"),
                ("wpgrants", "grant-editpage"),
                ("wprestrictions", "0.0.0.0/0\n::/0"),
            ],
        )
        .await;
    assert!(p
        .body
        .contains("<title>Bot password created - MediaWiki</title>"));
    assert!(p
        .text()
        .contains("The bot password for bot name \"mybot\" of user \"Alice\" was created."));
    let pw = p
        .attr_after("id=\"mw-botpasswords-password\">")
        .unwrap_or_default();
    let pw: String = pw
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    assert_eq!(pw.len(), 32);
    assert!(p.body.contains(
        "The new password to log in with <strong id=\"mw-botpasswords-loginname\">Alice@mybot</strong> is"
    ));
    assert!(p.body.contains(&format!(
        "<strong class=\"mw-password\">mybot@{pw}</strong>"
    )));
    let bp = w
        .services
        .users
        .bot_password(1, "mybot")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bp.grants, ["basic", "highvolume", "editpage"]);
    // Shown once: the bot password's page does not show it again.
    let again = c.get("Special:BotPasswords/mybot").await;
    assert!(!again.body.contains(&pw));
    assert!(again.body.contains("Edit an existing bot password"));
    assert!(again.body.contains("value=\"grant-highvolume\" checked"));

    // It works with api.php.
    let (mut bot, v) = api_bot_login(&w, "Alice@mybot", &pw).await;
    assert_eq!(v["login"]["result"], "Success", "{v}");
    assert_eq!(bot.whoami().await, "Alice");

    // Changing the grants ends that session.
    let p = c
        .post(
            "Special:BotPasswords/mybot",
            &[
                ("op", "update"),
                ("wpEditToken", &token),
                ("wpgrants", "grant-highvolume"),
                ("wprestrictions", "0.0.0.0/0\n::/0"),
            ],
        )
        .await;
    assert!(p
        .text()
        .contains("The bot password for bot name \"mybot\" of user \"Alice\" was updated."));
    assert!(!p.body.contains("mw-botpasswords-password"));
    let bp = w
        .services
        .users
        .bot_password(1, "mybot")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bp.grants, ["basic", "highvolume"]);
    assert_eq!(bot.whoami().await, "127.0.0.1");
    let (mut bot, v) = api_bot_login(&w, "Alice@mybot", &pw).await;
    assert_eq!(v["login"]["result"], "Success");

    // Resetting the password: a new one, shown once; the old one and its sessions end.
    let p = c
        .post(
            "Special:BotPasswords/mybot",
            &[
                ("op", "update"),
                ("wpEditToken", &token),
                ("wpresetPassword", "1"),
                ("wpgrants", "grant-highvolume"),
                ("wprestrictions", "0.0.0.0/0\n::/0"),
            ],
        )
        .await;
    let new_pw: String = p
        .attr_after("id=\"mw-botpasswords-password\">")
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    assert_eq!(new_pw.len(), 32);
    assert_ne!(new_pw, pw);
    assert_eq!(bot.whoami().await, "127.0.0.1");
    let (_, v) = api_bot_login(&w, "Alice@mybot", &pw).await;
    assert_eq!(v["login"]["result"], "Failed");
    let (mut bot, v) = api_bot_login(&w, "Alice@mybot", &new_pw).await;
    assert_eq!(v["login"]["result"], "Success");

    // Listed; then deleted, which ends its sessions too.
    let list = c.get("Special:BotPasswords").await;
    assert!(list.body.contains(">mybot</a>"));
    let p = c
        .post(
            "Special:BotPasswords/mybot",
            &[("op", "delete"), ("wpEditToken", &token)],
        )
        .await;
    assert!(p
        .text()
        .contains("The bot password for bot name \"mybot\" of user \"Alice\" was deleted."));
    assert!(w
        .services
        .users
        .bot_password(1, "mybot")
        .await
        .unwrap()
        .is_none());
    assert_eq!(bot.whoami().await, "127.0.0.1");
    assert!(!c
        .get("Special:BotPasswords")
        .await
        .body
        .contains(">mybot</a>"));
}

/// $wgReauthenticateTime: Special:BotPasswords wants a password login in this session no
/// older than `reauthenticate_time` seconds; otherwise (and for a session made from the
/// remember-me cookies, which never gave a password) it sends the user to log in again
/// with `force=BotPasswords`, and back with the query it had.
#[tokio::test]
async fn bot_passwords_ask_for_the_password_again_after_a_while() {
    // $wgReauthenticateTime's 300 s; time passing is played by age_password_login.
    let w = wiki().await;
    let mut c = Client::new(&w);
    assert_eq!(c.log_in("Alice", PW, true).await.status, 303);
    // Just logged in with the password: the page is served.
    let p = c.get("Special:BotPasswords").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("wpappId"));

    // The remember-me cookies alone: a session that never gave the password.
    let mut later = c.remembered();
    assert_eq!(later.whoami().await, "Alice");
    let p = later
        .get_q("Special:BotPasswords/mybot", &[("uselang", "en")])
        .await;
    assert_eq!(p.status, 302);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:UserLogin&returnto=Special%3ABotPasswords%2Fmybot&returntoquery=uselang%3Den&force=BotPasswords")
    );
    // A POST is refused the same way: nothing is created.
    let edit_token = later
        .api("GET", &[("action", "query"), ("meta", "tokens")])
        .await["query"]["tokens"]["csrftoken"]
        .as_str()
        .unwrap()
        .to_string();
    let p = later
        .post(
            "Special:BotPasswords/mybot",
            &[("wpEditToken", &edit_token), ("op", "create")],
        )
        .await;
    assert_eq!(p.status, 303);
    assert!(p
        .header("Location")
        .unwrap()
        .ends_with("&force=BotPasswords"));
    assert!(alice_has_no_bot_passwords(&w).await);
    // The login page asks again, in MediaWiki's words, and keeps `force` in its form.
    let login = later
        .get_q(
            "Special:UserLogin",
            &[
                ("returnto", "Special:BotPasswords/mybot"),
                ("returntoquery", "uselang=en"),
                ("force", "BotPasswords"),
            ],
        )
        .await;
    assert!(login
        .text()
        .contains("You must log in again to verify that you are Alice."));
    assert!(!login.text().contains("You are already logged in"));
    assert_eq!(login.input("force").as_deref(), Some("BotPasswords"));
    let p = later
        .log_in_again("Special:BotPasswords/mybot", "uselang=en")
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:BotPasswords/mybot&uselang=en")
    );
    assert_eq!(later.get("Special:BotPasswords/mybot").await.status, 200);

    // More than reauthenticate_time after the login: asked again.
    age_password_login(&c, 301).await;
    let p = c.get("Special:BotPasswords").await;
    assert_eq!(p.status, 302);
    assert!(p
        .header("Location")
        .unwrap()
        .ends_with("&force=BotPasswords"));
    // Without `force`, the login page of a logged-in user says so, as before; with only a
    // `returnto`, it sends the user on (LoginSignupSpecialPage::execute).
    let login = c.get("Special:UserLogin").await;
    assert!(login.text().contains("You are already logged in as Alice."));
    let p = c
        .get_q(
            "Special:UserLogin",
            &[
                ("returnto", "Special:BotPasswords"),
                ("returntoquery", "a=b"),
            ],
        )
        .await;
    assert_eq!(p.status, 302);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:BotPasswords&a=b")
    );
    // A negative reauthenticate_time never asks.
    let w = wiki_with(Config {
        reauthenticate_time: -1,
        ..Config::default()
    })
    .await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, true).await;
    let mut later = c.remembered();
    assert_eq!(later.get("Special:BotPasswords").await.status, 200);
}

/// Moves the client's last password login `secs` seconds into the past, as that much time
/// passing would: tests of `reauthenticate_time` neither sleep nor race the clock.
async fn age_password_login(c: &Client<'_>, secs: i64) {
    let id = c.cookie("my_wiki_session").expect("a session cookie");
    let (data, expires) = c
        .services
        .sessions
        .load(id)
        .await
        .unwrap()
        .expect("a session");
    let mut data = (*data).clone();
    assert!(
        data.last_auth > 0,
        "the session has a password login to age"
    );
    data.last_auth -= secs;
    c.services.sessions.save(id, &data, expires).await.unwrap();
}

async fn alice_has_no_bot_passwords(w: &Wiki) -> bool {
    w.services
        .users
        .list_bot_passwords(1)
        .await
        .unwrap()
        .is_empty()
}

/// The query pairs of a Location header (`/w/index.php?…`).
fn location_query(p: &Page) -> Vec<(String, String)> {
    let location = p.header("Location").expect("a redirect");
    let query = location.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn query_value<'q>(q: &'q [(String, String)], name: &str) -> Option<&'q str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// SpecialPage::checkLoginSecurityLevel keeps a form POSTed while the password was wanted
/// again: it comes back filled in after the login (not acted on), once.
#[tokio::test]
async fn a_form_sent_while_the_password_was_wanted_comes_back_filled_in() {
    // $wgReauthenticateTime's 300 s; time passing is played by age_password_login.
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, true).await;
    let mut later = c.remembered();
    let edit_token = later
        .api("GET", &[("action", "query"), ("meta", "tokens")])
        .await["query"]["tokens"]["csrftoken"]
        .as_str()
        .unwrap()
        .to_string();
    let p = later
        .post(
            "Special:BotPasswords/stashbot",
            &[
                ("wpEditToken", &edit_token),
                ("wpgrants", "grant-highvolume"),
                ("wpgrants", "grant-editpage"),
                ("wprestrictions", "10.0.0.0/8"),
                ("op", "create"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let to_login = location_query(&p);
    assert_eq!(query_value(&to_login, "title"), Some("Special:UserLogin"));
    assert_eq!(query_value(&to_login, "force"), Some("BotPasswords"));
    let returnto = query_value(&to_login, "returnto").unwrap().to_string();
    let returntoquery = query_value(&to_login, "returntoquery").unwrap().to_string();
    let back: Vec<(String, String)> = form_urlencoded::parse(returntoquery.as_bytes())
        .into_owned()
        .collect();
    let unique_id = query_value(&back, "postUniqueId")
        .expect("postUniqueId")
        .to_string();
    assert_eq!(unique_id.len(), 6, "{unique_id}");
    assert!(unique_id.bytes().all(|b| b.is_ascii_hexdigit()));

    let p = later.log_in_again(&returnto, &returntoquery).await;
    assert_eq!(p.status, 303);
    assert_eq!(
        p.header("Location"),
        Some(
            format!("/w/index.php?title=Special:BotPasswords/stashbot&postUniqueId={unique_id}")
                .as_str()
        )
    );
    let ticked = |p: &Page, grant: &str| {
        let at = p
            .body
            .find(&format!("id=\"mw-input-wpgrants-grant-{grant}\""))
            .unwrap();
        let end = p.body[at..].find('>').unwrap() + at;
        p.body[at..end].contains(" checked")
    };
    let p = later
        .get_q(
            "Special:BotPasswords/stashbot",
            &[("postUniqueId", &unique_id)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(ticked(&p, "highvolume") && ticked(&p, "editpage"));
    assert!(!ticked(&p, "createeditmovepage"));
    assert!(p.body.contains(">10.0.0.0/8</textarea>"), "{}", p.body);
    // Shown, not acted on.
    assert!(alice_has_no_bot_passwords(&w).await);
    // Once: the same link again shows the page as new.
    let p = later
        .get_q(
            "Special:BotPasswords/stashbot",
            &[("postUniqueId", &unique_id)],
        )
        .await;
    assert!(!ticked(&p, "highvolume"));
    assert!(p.body.contains(">0.0.0.0/0\n::/0</textarea>"), "{}", p.body);

    // The list page's "Bot name" box, once the password is old again.
    age_password_login(&later, 301).await;
    let p = later
        .post(
            "Special:BotPasswords",
            &[
                ("wpEditToken", &edit_token),
                ("op", "new"),
                ("wpappId", "tabbot"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let to_login = location_query(&p);
    let returntoquery = query_value(&to_login, "returntoquery").unwrap().to_string();
    let p = later
        .log_in_again("Special:BotPasswords", &returntoquery)
        .await;
    let back = location_query(&p);
    let unique_id = query_value(&back, "postUniqueId").unwrap().to_string();
    let p = later
        .get_q("Special:BotPasswords", &[("postUniqueId", &unique_id)])
        .await;
    assert_eq!(p.input("wpappId").as_deref(), Some("tabbot"));
}

/// POSTs a bot password form with these IP ranges to a page that wants the password again;
/// the `returntoquery` it sends the client to log in with, and the `postUniqueId` in it.
async fn post_ranges(
    c: &mut Client<'_>,
    edit_token: &str,
    ranges: String,
) -> (String, Option<String>) {
    let p = c
        .post(
            "Special:BotPasswords/capbot",
            &[
                ("wpEditToken", edit_token),
                ("wprestrictions", &ranges),
                ("op", "create"),
            ],
        )
        .await;
    assert_eq!(p.status, 303);
    let to_login = location_query(&p);
    let returntoquery = query_value(&to_login, "returntoquery").unwrap().to_string();
    let back: Vec<(String, String)> = form_urlencoded::parse(returntoquery.as_bytes())
        .into_owned()
        .collect();
    let id = query_value(&back, "postUniqueId").map(str::to_string);
    (returntoquery, id)
}

/// The forms kept for the re-login are bounded: a 1 MiB POST is not kept (the session does
/// not grow by it), and of several 10 KiB ones only the newest that fit in 32 KiB are.
#[tokio::test]
async fn forms_kept_for_the_password_are_bounded() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    c.log_in("Alice", PW, true).await;
    // Remember-me cookies only: no password given in this session, so every visit to the
    // page asks for it again (whatever the time).
    let mut later = c.remembered();
    let edit_token = later
        .api("GET", &[("action", "query"), ("meta", "tokens")])
        .await["query"]["tokens"]["csrftoken"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..3 {
        let (_, id) = post_ranges(&mut later, &edit_token, "10.0.0.0/8\n".repeat(100_000)).await;
        assert_eq!(id, None, "a 1 MiB form is not kept");
    }
    let mut kept = Vec::new();
    for i in 0..5 {
        // About 10 KiB each: a distinct first range tells them apart.
        let ranges = format!("10.{i}.0.0/16\n{}", "10.0.0.0/8\n".repeat(900));
        let (q, id) = post_ranges(&mut later, &edit_token, ranges).await;
        kept.push((q, id.expect("a 10 KiB form is kept")));
    }
    let p = later
        .log_in_again("Special:BotPasswords/capbot", &kept[4].0)
        .await;
    assert_eq!(p.status, 303);
    for (i, (_, id)) in kept.iter().enumerate() {
        let p = later
            .get_q("Special:BotPasswords/capbot", &[("postUniqueId", id)])
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        let restored = p.body.contains(&format!(">10.{i}.0.0/16\n"));
        assert_eq!(
            restored,
            i >= 2,
            "form {i}: only the three newest fit in 32 KiB"
        );
    }
}

#[tokio::test]
async fn other_pages_and_assets() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    let p = c.get("").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("<h1 id=\"firstHeading\">Main Page</h1>"));
    assert_page_headers(&p);
    // The pre-1.27 signup URL.
    let p = c
        .get_q(
            "Special:UserLogin",
            &[("type", "signup"), ("returnto", "Foo")],
        )
        .await;
    assert_eq!(p.status, 302);
    assert_eq!(
        p.header("Location"),
        Some("/w/index.php?title=Special:CreateAccount&returnto=Foo")
    );
    assert_eq!(c.get("Special:Nope").await.status, 404);
    assert_eq!(c.get("Some page").await.status, 404);
    // Titles in the path.
    let req = ApiRequest::new("GET");
    let title = web::path_title("/wiki/Special:UserLogin");
    let r = web::execute(&w.services, &req, title.as_deref()).await;
    assert!(String::from_utf8(r.body).unwrap().contains("wpLoginToken"));
    // HEAD: headers only.
    let req = ApiRequest::new("HEAD");
    let r = web::execute(&w.services, &req, Some("Special:UserLogin")).await;
    assert!(r.body.is_empty());
    assert_eq!(r.status, 200);
    let css = web::assets::serve("/w/mwauth.css", "GET").unwrap();
    assert_eq!(css.header("Content-Type"), Some("text/css; charset=UTF-8"));
    let js = web::assets::serve("/mwauth.js", "GET").unwrap();
    assert!(String::from_utf8(js.body)
        .unwrap()
        .contains("postWithToken"));
    assert!(web::assets::serve("/w/other.js", "GET").is_none());
}

/// The remember-me cookies alone, on a page: the page starts the session as api.php does,
/// so its id cookie and the renewed user cookies reach the browser, and a form the page
/// hands out (its edit token lives in that session) works when it comes back.
#[tokio::test]
async fn a_page_opened_with_remember_me_cookies_gives_the_session_cookie() {
    let w = wiki_with(Config {
        reauthenticate_time: -1,
        ..Config::default()
    })
    .await;
    let mut c = Client::new(&w);
    assert_eq!(c.log_in("Alice", PW, true).await.status, 303);
    let mut later = c.remembered();
    let p = later.get("Special:BotPasswords").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let session = p.cookie_set("my_wiki_session").expect("a session cookie");
    assert!(!session.contains("Max-Age"), "{session}");
    for name in ["UserID", "UserName", "Token"] {
        let set = p.cookie_set(&format!("my_wiki{name}")).unwrap();
        assert!(set.contains("Max-Age=15552000"), "{set}");
    }
    let token = p.input("wpEditToken").unwrap();
    let p = later
        .post(
            "Special:BotPasswords/laterbot",
            &[
                ("op", "create"),
                ("wpEditToken", &token),
                ("wprestrictions", "0.0.0.0/0"),
            ],
        )
        .await;
    assert!(p.body.contains("Bot password created"), "{}", p.body);
}

/// With two-factor logins on, the login page has no code step yet: a user with a TOTP key
/// is refused with OATHAuth's request for a code, never logged in with the password alone.
#[tokio::test]
async fn login_page_never_passes_an_enrolled_user_on_the_password_alone() {
    let mut config = Config::default();
    config.oath.enabled = true;
    let w = wiki_with(config).await;
    let users = &w.services.users;
    users.create_oath_table().await.unwrap();
    let alice = users.user_by_name("Alice").await.unwrap().unwrap();
    let data = r#"{"keys":[{"secret":"ORACLETOTPSECRETORACLETOTPSECRET","scratch_tokens":[]}]}"#;
    let row = mwauth::store::OathRow {
        module: "totp".into(),
        data: data.into(),
    };
    users.set_oath_user(alice.id, &row).await.unwrap();
    let mut c = Client::new(&w);
    let p = c.log_in("Alice", PW, false).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body.contains("Please enter a code from your two-factor"),
        "{}",
        p.body
    );
    assert_eq!(c.whoami().await, "127.0.0.1");
    // Without the key, the same password logs in.
    assert!(users.delete_oath_user(alice.id).await.unwrap());
    let p = c.log_in("Alice", PW, false).await;
    assert_eq!(p.status, 303);
    assert_eq!(c.whoami().await, "Alice");
}
