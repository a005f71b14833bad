//! Special:CreateAccount: its answers in MediaWiki's words, NFC normalization of its fields
//! as api.php does it, and the switch that turns it off.

use super::*;

/// `Pässwörd…` and `Jürgen` as NFC (precomposed) and as NFD (decomposed) text.
const NFC_PW: &str = "P\u{e4}ssw\u{f6}rd-12345";
const NFD_PW: &str = "Pa\u{308}sswo\u{308}rd-12345";
const NFC_NAME: &str = "J\u{fc}rgen";
const NFD_NAME: &str = "Ju\u{308}rgen";

/// Creates an account on Special:CreateAccount; the page answered.
async fn create_on_page(c: &mut Client<'_>, name: &str, pw: &str) -> Page {
    let form = c.get("Special:CreateAccount").await;
    let token = form.input("wpCreateaccountToken").unwrap();
    // MediaWiki's name for the retyped password, with its id wpRetype.
    assert!(form.body.contains(r#"id="wpRetype""#) && form.body.contains(r#"name="retype""#));
    c.post(
        "Special:CreateAccount",
        &[
            ("wpName", name),
            ("wpPassword", pw),
            ("retype", pw),
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
