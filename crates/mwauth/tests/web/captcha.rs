//! ConfirmEdit's captchas on the pages: Special:CreateAccount asks one on every creation
//! (`createaccount` trigger), Special:UserLogin once too many logins failed (`badlogin`);
//! the answer goes through the API's engine (one id good once, answers as PHP compares them).

use super::*;
use mwauth::config::{CaptchaConfig, CaptchaKind, CaptchaQuestion};

const QUESTION: &str = "What is the capital of France?";

async fn captcha_wiki(kind: CaptchaKind) -> Wiki {
    let config = Config {
        captcha: CaptchaConfig {
            kind,
            questions: vec![CaptchaQuestion {
                question: QUESTION.into(),
                answers: vec!["Paris".into()],
            }],
            ..CaptchaConfig::default()
        },
        ..Config::default()
    };
    wiki_with(config).await
}

/// Posts the account-creation form `form` (as shown) with a captcha id and answer.
async fn create(c: &mut Client<'_>, form: &Page, name: &str, id: &str, word: &str) -> Page {
    let token = form.input("wpCreateaccountToken").unwrap();
    let pw = "Dave-pass-12345";
    c.post(
        "Special:CreateAccount",
        &[
            ("wpName", name),
            ("wpPassword", pw),
            ("wpRetype", pw),
            ("wpCreateaccountToken", &token),
            ("captchaId", id),
            ("captchaWord", word),
        ],
    )
    .await
}

#[tokio::test]
async fn create_account_page_asks_the_question() {
    let w = captcha_wiki(CaptchaKind::Questy).await;
    let mut c = Client::new(&w);
    let form = c.get("Special:CreateAccount").await;
    assert_eq!(form.status, 200);
    let text = form.text();
    assert!(text.contains("To protect the wiki against automated account creation, we kindly ask you to answer the question that appears below (more info):"), "{text}");
    assert!(text.contains(QUESTION));
    assert!(form.body.contains("name=\"captchaWord\""));
    let first_id = form.input("captchaId").unwrap();
    assert!(first_id.parse::<u64>().is_ok(), "{first_id}");

    // A wrong answer: refused in ConfirmEdit's words, a new question asked.
    let p = create(&mut c, &form, "Dave", &first_id, "London").await;
    assert_eq!(p.status, 200);
    assert!(
        p.text().contains("Incorrect or missing CAPTCHA."),
        "{}",
        p.body
    );
    assert!(c.cookie("my_wikiUserID").is_none());
    let second_id = p.input("captchaId").unwrap();
    assert_ne!(second_id, first_id);
    // The first id is spent, even with the right answer now.
    let p = create(&mut c, &p, "Dave", &first_id, "Paris").await;
    assert!(
        p.text().contains("Incorrect or missing CAPTCHA."),
        "{}",
        p.body
    );
    // No answer at all.
    let p = create(&mut c, &p, "Dave", "", "").await;
    assert!(
        p.text().contains("Incorrect or missing CAPTCHA."),
        "{}",
        p.body
    );
    assert!(w
        .services
        .users
        .user_by_name("Dave")
        .await
        .unwrap()
        .is_none());
    // The right answer (any ASCII case) to the id the form shows.
    let id = p.input("captchaId").unwrap();
    let p = create(&mut c, &p, "Dave", &id, "pARIS").await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains("Your account has been created."),
        "{}",
        p.body
    );
    assert_eq!(c.whoami().await, "Dave");
}

/// SimpleCaptcha: a sum or difference to work out, shown as `a+b =`.
#[tokio::test]
async fn create_account_page_asks_a_sum() {
    let w = captcha_wiki(CaptchaKind::Simple).await;
    let mut c = Client::new(&w);
    let form = c.get("Special:CreateAccount").await;
    let text = form.text();
    assert!(text.contains("we kindly ask you to solve the following task below and enter the answer in the box (more info):"), "{text}");
    let start = text.find("id=\"mw-captcha-question\">").unwrap() + 25;
    let end = text[start..].find('<').unwrap() + start;
    let sum = &text[start..end];
    let sum = sum.strip_suffix(" =").unwrap();
    let answer = if let Some((a, b)) = sum.split_once('+') {
        a.parse::<i64>().unwrap() + b.parse::<i64>().unwrap()
    } else {
        let (a, b) = sum.split_once('\u{2212}').unwrap();
        a.parse::<i64>().unwrap() - b.parse::<i64>().unwrap()
    };
    let id = form.input("captchaId").unwrap();
    let p = create(&mut c, &form, "Dave", &id, &answer.to_string()).await;
    assert!(
        p.body.contains("Your account has been created."),
        "{}",
        p.body
    );
}

/// A sysop has `skipcaptcha`: no question on the page, none needed.
#[tokio::test]
async fn skipcaptcha_creates_without_a_question() {
    let w = captcha_wiki(CaptchaKind::Questy).await;
    let hash = w.services.hasher.hash("Admin-pass-12345").await.unwrap();
    w.services
        .users
        .create_user("Admin", &hash, &new_user_token(), &["sysop".to_string()])
        .await
        .unwrap();
    let mut c = Client::new(&w);
    assert_eq!(
        c.log_in("Admin", "Admin-pass-12345", false).await.status,
        303
    );
    let form = c.get("Special:CreateAccount").await;
    assert!(!form.body.contains("captchaWord"), "{}", form.body);
    let token = form.input("wpCreateaccountToken").unwrap();
    let pw = "Dave-pass-12345";
    let p = c
        .post(
            "Special:CreateAccount",
            &[
                ("wpName", "Dave"),
                ("wpPassword", pw),
                ("wpRetype", pw),
                ("wpCreateaccountToken", &token),
            ],
        )
        .await;
    assert!(p.body.contains("has been created"), "{}", p.body);
}

/// Three failed logins from an address: from then on the login form asks the question, and
/// without its answer even the right password is "Incorrect username or password".
#[tokio::test]
async fn login_page_asks_after_three_failed_logins() {
    let w = captcha_wiki(CaptchaKind::Questy).await;
    let mut c = Client::new(&w);
    for i in 1..=3 {
        let p = c.log_in("Alice", "wrong-password", false).await;
        assert!(p.text().contains("Incorrect username or password entered."));
        // The form after the third failure already carries the captcha.
        assert_eq!(p.body.contains("name=\"captchaWord\""), i == 3, "{i}");
    }
    let form = c.get("Special:UserLogin").await;
    let text = form.text();
    assert!(text.contains("To protect the wiki against automated password cracking, we kindly ask you to answer the question that appears below (more info):"), "{text}");
    assert!(text.contains(QUESTION));

    let login = |id: String, word: &'static str, form: &Page| {
        let token = form.input("wpLoginToken").unwrap();
        (token, id, word)
    };
    // The right password without the answer.
    let (token, id, word) = login(form.input("captchaId").unwrap(), "London", &form);
    let p = c
        .post(
            "Special:UserLogin",
            &[
                ("wpName", "Alice"),
                ("wpPassword", PW),
                ("wpLoginToken", &token),
                ("captchaId", &id),
                ("captchaWord", word),
            ],
        )
        .await;
    assert_eq!(p.status, 200);
    assert!(p.text().contains("Incorrect username or password entered."));
    assert_eq!(c.whoami().await, "127.0.0.1");
    // With the answer to the new question.
    let (token, id, word) = login(p.input("captchaId").unwrap(), "Paris", &p);
    let p = c
        .post(
            "Special:UserLogin",
            &[
                ("wpName", "Alice"),
                ("wpPassword", PW),
                ("wpLoginToken", &token),
                ("captchaId", &id),
                ("captchaWord", word),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(c.whoami().await, "Alice");
}

/// Without a captcha configured, the pages carry none (the default).
#[tokio::test]
async fn no_captcha_by_default() {
    let w = wiki().await;
    let mut c = Client::new(&w);
    assert!(!c
        .get("Special:CreateAccount")
        .await
        .body
        .contains("captcha"));
    for _ in 0..4 {
        let p = c.log_in("Alice", "wrong-password", false).await;
        assert!(!p.body.contains("captcha"));
    }
}
