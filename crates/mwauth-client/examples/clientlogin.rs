//! Main-account login with `action=clientlogin` (API:Login, method 2), then `meta=userinfo`
//! and logout:
//!
//! ```text
//! cargo run -p mwauth-client --example clientlogin -- http://127.0.0.1:8080/w/api.php \
//!     Alice Alice-pass-12345
//! ```
//!
//! Prints each step's status. A wiki asking for more (`UI`, e.g. a two-factor code) or
//! sending the user elsewhere (`REDIRECT`) is reported, not followed: that needs a human.

use mwauth_client::{Client, ClientLoginStatus};
use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, user, password] = args.as_slice() else {
        eprintln!("usage: clientlogin API_URL USER PASSWORD");
        return ExitCode::from(2);
    };
    match run(url, user, password).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("clientlogin: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(url: &str, user: &str, password: &str) -> mwauth_client::Result<bool> {
    let client = Client::new(url)?;
    let status = client.client_login(user, password, url).await?;
    println!("clientlogin: {status:?}");
    if !matches!(status, ClientLoginStatus::Pass { .. }) {
        return Ok(false);
    }
    println!("userinfo: {:?}", client.userinfo().await?);
    client.logout().await?;
    println!("after logout: {:?}", client.userinfo().await?);
    Ok(true)
}
