//! `action=clientlogin`: main-account login through MediaWiki's AuthManager
//! (API:Login, "Method 2").
//!
//! Unlike `action=login`, each step answers a `status` and the client follows it:
//! `PASS` (logged in), `FAIL` (not; start over), `UI` (the wiki needs more fields, e.g. a
//! two-factor code: send them with [`Client::client_login_continue`]), `REDIRECT` (the user
//! must visit `redirecttarget`, e.g. a third-party login, then continue with what it returns)
//! and `RESTART` (the third-party account is not linked yet; start over, possibly with
//! `loginpreservestate`). The request shape follows MediaWiki 1.39's ApiClientLogin and
//! ApiAuthManagerHelper: `username`, `password`, `loginreturnurl` and `logintoken` (a token
//! of type `login`) on the first step; `logincontinue=1`, `logintoken` and the requested
//! fields on later steps.

use crate::client::Client;
use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::{Map, Value};

/// One step's answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientLoginStatus {
    /// Logged in.
    Pass {
        /// The account's name, when the wiki says it.
        username: Option<String>,
    },
    /// Not logged in; the attempt is over.
    Fail {
        /// The reason, in the wiki's words.
        message: String,
        /// Its machine-readable code, e.g. `wrongpassword`.
        message_code: String,
        /// Whether `loginpreservestate` would carry this attempt's state into the next.
        can_preserve_state: bool,
    },
    /// The wiki needs more input; answer with [`Client::client_login_continue`].
    Ui {
        /// What to ask the user.
        message: String,
        /// Its machine-readable code.
        message_code: String,
        /// The fields wanted.
        requests: Vec<AuthRequest>,
    },
    /// The user must visit `target`; continue with the fields it returns.
    Redirect {
        /// Where to send the user (`redirecttarget`).
        target: String,
        /// Extra data for API clients (`redirectdata`), if any.
        data: Option<Value>,
        /// The fields the continuation needs.
        requests: Vec<AuthRequest>,
    },
    /// Start again (e.g. the remote account must first be linked or created).
    Restart {
        /// Why.
        message: String,
        /// Its machine-readable code.
        message_code: String,
        /// Whether `loginpreservestate` would keep this attempt's state.
        can_preserve_state: bool,
        /// The fields a new attempt may need.
        requests: Vec<AuthRequest>,
    },
}

/// One AuthenticationRequest the wiki asks for (`requests[]` in `UI`, `REDIRECT` and
/// `RESTART` answers).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AuthRequest {
    /// The request's class id, e.g. `TOTPAuthenticationRequest`.
    #[serde(default)]
    pub id: String,
    /// `required`, `optional` or `primary-required`.
    #[serde(default)]
    pub required: String,
    /// The provider's name, for display.
    #[serde(default)]
    pub provider: String,
    /// The account the request is about, for display.
    #[serde(default)]
    pub account: String,
    /// Field name → description (`type`, `label`, `help`, `optional`, `sensitive`, …). Send
    /// values under the field names.
    #[serde(default)]
    pub fields: Map<String, Value>,
}

impl Client {
    /// First step of `action=clientlogin` with a main account's name and password.
    /// `return_url` is where a `REDIRECT` flow will come back to (any absolute URL when the
    /// wiki only uses passwords). Fetches the login token itself.
    pub async fn client_login(
        &self,
        username: &str,
        password: &str,
        return_url: &str,
    ) -> Result<ClientLoginStatus> {
        let token = self.login_token().await?;
        let answer = self
            .post(&[
                ("action", "clientlogin"),
                ("username", username),
                ("password", password),
                ("loginreturnurl", return_url),
                ("logintoken", &token),
            ])
            .await?;
        parse(&answer)
    }

    /// A later step, after `UI` or `REDIRECT`: `logincontinue=1` with `fields` (names from
    /// the [`AuthRequest`]s, e.g. `[("OATHToken", "123456")]`).
    pub async fn client_login_continue(
        &self,
        fields: &[(&str, &str)],
    ) -> Result<ClientLoginStatus> {
        let token = self.login_token().await?;
        let mut params = vec![
            ("action", "clientlogin"),
            ("logincontinue", "1"),
            ("logintoken", token.as_str()),
        ];
        params.extend_from_slice(fields);
        let answer = self.post(&params).await?;
        parse(&answer)
    }
}

#[derive(Deserialize)]
struct Raw {
    status: String,
    username: Option<String>,
    message: Option<Value>,
    #[serde(default)]
    messagecode: String,
    #[serde(default)]
    canpreservestate: bool,
    redirecttarget: Option<String>,
    redirectdata: Option<Value>,
    #[serde(default)]
    requests: Vec<AuthRequest>,
}

/// The `clientlogin` object of an answer as a [`ClientLoginStatus`].
pub(crate) fn parse(answer: &Value) -> Result<ClientLoginStatus> {
    let raw = answer
        .get("clientlogin")
        .ok_or_else(|| Error::UnexpectedResponse(format!("no clientlogin in {answer}")))?;
    let raw =
        Raw::deserialize(raw).map_err(|e| Error::UnexpectedResponse(format!("{e} in {answer}")))?;
    let message = match raw.message {
        None => String::new(),
        Some(Value::String(s)) => s,
        // messageformat=raw: a message object; keep it whole.
        Some(other) => other.to_string(),
    };
    Ok(match raw.status.as_str() {
        "PASS" => ClientLoginStatus::Pass {
            username: raw.username,
        },
        "FAIL" => ClientLoginStatus::Fail {
            message,
            message_code: raw.messagecode,
            can_preserve_state: raw.canpreservestate,
        },
        "UI" => ClientLoginStatus::Ui {
            message,
            message_code: raw.messagecode,
            requests: raw.requests,
        },
        "REDIRECT" => ClientLoginStatus::Redirect {
            target: raw.redirecttarget.unwrap_or_default(),
            data: raw.redirectdata,
            requests: raw.requests,
        },
        "RESTART" => ClientLoginStatus::Restart {
            message,
            message_code: raw.messagecode,
            can_preserve_state: raw.canpreservestate,
            requests: raw.requests,
        },
        other => {
            return Err(Error::UnexpectedResponse(format!(
                "unknown clientlogin status {other}"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pass_carries_the_user_name() {
        let answer = json!({"clientlogin": {"status": "PASS", "username": "Alice"}});
        assert_eq!(
            parse(&answer).unwrap(),
            ClientLoginStatus::Pass {
                username: Some("Alice".into())
            }
        );
    }

    #[test]
    fn fail_carries_message_and_code() {
        // As MediaWiki 1.39 answers a wrong password.
        let answer = json!({"clientlogin": {
            "status": "FAIL",
            "message": "Incorrect username or password entered.\nPlease try again.",
            "messagecode": "wrongpassword",
            "canpreservestate": false,
        }});
        assert_eq!(
            parse(&answer).unwrap(),
            ClientLoginStatus::Fail {
                message: "Incorrect username or password entered.\nPlease try again.".into(),
                message_code: "wrongpassword".into(),
                can_preserve_state: false,
            }
        );
    }

    #[test]
    fn ui_lists_the_fields_wanted() {
        let answer = json!({"clientlogin": {
            "status": "UI",
            "message": "Enter a verification code from your authentication app.",
            "messagecode": "oathauth-auth-ui",
            "requests": [{
                "id": "TOTPAuthenticationRequest",
                "metadata": {},
                "required": "required",
                "provider": "",
                "account": "",
                "fields": {"OATHToken": {"type": "string", "label": "Token", "help": "…"}}
            }]
        }});
        let ClientLoginStatus::Ui { requests, .. } = parse(&answer).unwrap() else {
            panic!("not UI");
        };
        assert_eq!(requests[0].id, "TOTPAuthenticationRequest");
        assert!(requests[0].fields.contains_key("OATHToken"));
    }

    #[test]
    fn redirect_and_restart_are_distinguished() {
        let redirect = json!({"clientlogin": {
            "status": "REDIRECT", "redirecttarget": "https://idp.example/auth", "requests": []
        }});
        assert!(matches!(
            parse(&redirect).unwrap(),
            ClientLoginStatus::Redirect { target, .. } if target == "https://idp.example/auth"
        ));
        let restart = json!({"clientlogin": {
            "status": "RESTART",
            "message": "Link the account.",
            "messagecode": "authmanager-authn-no-local-user-link",
            "canpreservestate": true,
            "requests": []
        }});
        assert!(matches!(
            parse(&restart).unwrap(),
            ClientLoginStatus::Restart {
                can_preserve_state: true,
                ..
            }
        ));
    }

    #[test]
    fn unknown_status_is_an_unexpected_response() {
        let answer = json!({"clientlogin": {"status": "MAYBE"}});
        assert!(matches!(parse(&answer), Err(Error::UnexpectedResponse(_))));
    }
}
