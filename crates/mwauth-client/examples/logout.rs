//! MediaWiki's API:Logout example (the page's Python, PHP and JavaScript samples) in Rust,
//! step for step:
//!
//! ```text
//! cargo run -p mwauth-client --example logout -- http://127.0.0.1:8080/w/api.php \
//!     Alice@testbot alicebotpasswordalicebotpass0001
//! ```
//!
//! Prints the logout answer, `{}`.

use mwauth_client::Client;
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, user, password] = args.as_slice() else {
        eprintln!("usage: logout API_URL USER PASSWORD");
        return ExitCode::from(2);
    };
    match logout_demo(url, user, password).await {
        Ok(answer) => {
            println!("{answer}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("logout: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn logout_demo(url: &str, user: &str, password: &str) -> mwauth_client::Result<String> {
    let client = Client::new(url)?;

    // Step 1: GET request to fetch the login token.
    let login_token = client.login_token().await?;

    // Step 2: POST request to log in. Main-account login through action=login is not
    // supported; obtain credentials via Special:BotPasswords for lgname & lgpassword.
    let login = client
        .post(&[
            ("action", "login"),
            ("lgname", user),
            ("lgpassword", password),
            ("lgtoken", &login_token),
        ])
        .await?;
    if login["login"]["result"] != "Success" {
        eprintln!("login: {}", login["login"]);
    }

    // Step 3: GET request to fetch the CSRF token.
    let csrf_token = client.token("csrf").await?;

    // Step 4: POST request to log out.
    let answer = client
        .post(&[("action", "logout"), ("token", &csrf_token)])
        .await?;
    Ok(answer.to_string())
}
