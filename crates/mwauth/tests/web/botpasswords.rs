//! Special:BotPasswords: creating, updating and deleting bot passwords, and the password
//! asked again after a while (with the forms sent meanwhile kept, within bounds).

use super::*;

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
pub(super) async fn age_password_login(c: &Client<'_>, secs: i64) {
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
