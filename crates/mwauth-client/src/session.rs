//! The typed calls: tokens, `action=login` with bot passwords, `meta=userinfo`,
//! `action=logout` and `action=checktoken`.

use crate::client::Client;
use crate::error::{Error, Result};
use serde::Deserialize;
use serde_json::Value;

/// Who `action=login` logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    /// `lguserid`.
    pub user_id: u32,
    /// `lgusername`: the account's name, without the `@botname` suffix.
    pub name: String,
}

/// `meta=userinfo`: who the session belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserInfo {
    /// 0 for an anonymous session.
    pub id: u32,
    /// The user name, or for an anonymous session the client's IP address as the wiki sees
    /// it.
    pub name: String,
    /// Whether the session is anonymous (formatversion=2 omits the key when false).
    #[serde(default)]
    pub anon: bool,
}

/// `action=checktoken`'s verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenValidity {
    /// The token is this session's token of that type.
    Valid,
    /// It is not (another session's, another type's, or garbage).
    Invalid,
    /// It would be valid but is older than the `maxtokenage` asked for.
    Expired,
}

/// `action=checktoken`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenCheck {
    /// `result`.
    pub result: TokenValidity,
    /// `generated`: when the token says it was made (ISO 8601), if it has a token's shape.
    #[serde(default)]
    pub generated: Option<String>,
}

impl Client {
    /// `meta=tokens&type=login`: the token `action=login` and `action=clientlogin` need. The
    /// first call also starts the (anonymous) session the token belongs to.
    pub async fn login_token(&self) -> Result<String> {
        self.token("login").await
    }

    /// `meta=tokens&type=KIND` (`csrf`, `login`, `watch`, `patrol`, `rollback`,
    /// `userrights`, `createaccount`, …) for this session.
    pub async fn token(&self, kind: &str) -> Result<String> {
        let answer = self
            .get(&[("action", "query"), ("meta", "tokens"), ("type", kind)])
            .await?;
        let key = format!("{kind}token");
        match answer.pointer(&format!("/query/tokens/{key}")) {
            Some(Value::String(token)) => Ok(token.clone()),
            // An unknown type is only a warning ("Unrecognized value for parameter "type"").
            _ => Err(Error::UnexpectedResponse(
                match answer.pointer("/warnings/tokens/warnings") {
                    Some(Value::String(w)) => format!("no {key}: {w}"),
                    _ => format!("no {key} in {answer}"),
                },
            )),
        }
    }

    /// Logs in with a bot password (`Name@botname` and its password; Special:BotPasswords):
    /// fetches a login token, then POSTs `action=login`. Anything but `Success` is
    /// [`Error::LoginFailed`] with MediaWiki's `result` and `reason`.
    pub async fn login(&self, name: &str, password: &str) -> Result<LoggedIn> {
        let token = self.login_token().await?;
        let answer = self
            .post(&[
                ("action", "login"),
                ("lgname", name),
                ("lgpassword", password),
                ("lgtoken", &token),
            ])
            .await?;
        let login = answer
            .get("login")
            .ok_or_else(|| Error::UnexpectedResponse(format!("no login in {answer}")))?;
        let result = login.get("result").and_then(Value::as_str).unwrap_or("");
        if result != "Success" {
            return Err(Error::LoginFailed {
                result: result.to_string(),
                reason: match login.get("reason") {
                    None => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    // errorformat other than bc: a message object; keep it whole.
                    Some(other) => other.to_string(),
                },
            });
        }
        let user_id = login.get("lguserid").and_then(Value::as_u64);
        let name = login.get("lgusername").and_then(Value::as_str);
        match (user_id.and_then(|id| u32::try_from(id).ok()), name) {
            (Some(user_id), Some(name)) => Ok(LoggedIn {
                user_id,
                name: name.to_string(),
            }),
            _ => Err(Error::UnexpectedResponse(format!(
                "login Success without lguserid/lgusername: {answer}"
            ))),
        }
    }

    /// `meta=userinfo`: the session's user, or the anonymous visitor's IP.
    pub async fn userinfo(&self) -> Result<UserInfo> {
        let answer = self
            .get(&[("action", "query"), ("meta", "userinfo")])
            .await?;
        let info = answer
            .pointer("/query/userinfo")
            .ok_or_else(|| Error::UnexpectedResponse(format!("no userinfo in {answer}")))?;
        typed(info)
    }

    /// Ends the session: fetches its csrf token and POSTs `action=logout` with it. The
    /// server deletes the session and clears its cookies, which this client's jar follows.
    pub async fn logout(&self) -> Result<()> {
        let token = self.token("csrf").await?;
        self.post(&[("action", "logout"), ("token", &token)])
            .await
            .map(drop)
    }

    /// `action=checktoken&type=KIND&token=TOKEN` (POSTed, so the token never lands in a URL
    /// or a server log).
    pub async fn check_token(&self, kind: &str, token: &str) -> Result<TokenCheck> {
        let answer = self
            .post(&[("action", "checktoken"), ("type", kind), ("token", token)])
            .await?;
        let check = answer
            .get("checktoken")
            .ok_or_else(|| Error::UnexpectedResponse(format!("no checktoken in {answer}")))?;
        typed(check)
    }
}

/// A typed view of part of an answer; a mismatch is the server's fault, not the caller's.
fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T> {
    T::deserialize(value).map_err(|e| Error::UnexpectedResponse(format!("{e} in {value}")))
}
