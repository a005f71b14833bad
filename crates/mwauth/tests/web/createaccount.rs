//! Special:CreateAccount: its answers in MediaWiki's words, and the switch that turns it off.

use super::*;

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
