//! # action=login (POST; lgname, lgpassword, lgtoken, lgdomain)
//!
//! - Needs the login token of the current session (`meta=tokens&type=login`). Without one:
//!   `NeedToken` with a token and a deprecation warning; with a wrong one: `WrongToken`; when
//!   the session never had a login token (it expired): `Failed`, "sessionlost".
//! - `User@bot` with a bot password: a new bot-password session on its own `…_BPsession`
//!   cookie, rights limited by the grants. `Success` with `lguserid` and `lgusername`.
//! - A main account's password: `Success` with a deprecation warning; the session id is
//!   renewed (no fixation), and `…_session`, `…UserID`, `…UserName` and `…Token` are set
//!   for 180 days (action=login always asks to be remembered).
//! - Any failure: `Failed` with MediaWiki's reason text, never saying whether the account
//!   exists; throttled after 5 failures in 5 minutes per user and IP.
//! - Refused (`Aborted`) when the request breaks the same-origin policy.

use crate::api::context::Context;
use crate::api::error::{ApiError, ApiMessage};
use crate::api::messages;
use crate::api::modules::ModuleInfo;
use crate::api::result::Obj;
use crate::auth::login::{bot_password_login, password_login, BotLogin, Refusal};
use crate::auth::sessions;
use crate::session::{random_hex, BotGrant, Provider, Session, SessionData};
use crate::user::{botpassword, UserRecord};

pub const INFO: ModuleInfo = ModuleInfo {
    name: "login",
    must_be_posted: true,
    needs_token: None,
    write_mode: true,
};

enum Outcome {
    Success(UserRecord),
    NeedToken(String),
    WrongToken,
    Failed(String),
}

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    if !ctx.same_origin {
        let reason = messages::text("api-login-fail-sameorigin", &[]);
        ctx.result.set(
            "login",
            Obj::new().with("result", "Aborted").with("reason", reason),
        );
        return Ok(());
    }
    ctx.require_posted(&["lgpassword", "lgtoken"])?;
    let name = ctx.params.get("lgname").unwrap_or("").to_string();
    let password = ctx.params.get("lgpassword").unwrap_or("").to_string();
    let token = ctx.params.get("lgtoken").unwrap_or("").to_string();
    ctx.params.get("lgdomain");

    ctx.persist = true;
    let outcome = if token.is_empty() {
        Outcome::NeedToken(ctx.token("login"))
    } else if !ctx.session.has_secret("login") {
        ctx.session.token_secret("login");
        Outcome::Failed(messages::text("authpage-cannot-login-continue", &[]))
    } else if !ctx.check_token("login", &token, None) {
        Outcome::WrongToken
    } else {
        authenticate(ctx, &name, &password).await
    };

    let mut res = Obj::new();
    match outcome {
        Outcome::Success(user) => {
            res.set("result", "Success");
            res.set("lguserid", user.id);
            res.set("lgusername", user.name);
        }
        Outcome::NeedToken(t) => {
            res.set("result", "NeedToken");
            res.set("token", t);
            ctx.deprecation(
                "login",
                ApiMessage::new("deprecation", "apiwarn-deprecation-login-token", &[]),
            );
        }
        Outcome::WrongToken => res.set("result", "WrongToken"),
        Outcome::Failed(reason) => {
            res.set("result", "Failed");
            res.set("reason", reason);
        }
    }
    ctx.result.set("login", res);
    Ok(())
}

fn reason(r: &Refusal) -> String {
    messages::text(r.key, &r.params)
}

async fn authenticate(ctx: &mut Context<'_>, name: &str, password: &str) -> Outcome {
    let ip = ctx.req.client_ip;
    if let Some((bot_name, bot_password)) = botpassword::canonicalize_login_data(name, password) {
        match bot_password_login(ctx.services, &bot_name, &bot_password, ip).await {
            BotLogin::Success(found) => {
                let (user, bp) = *found;
                start_bot_session(ctx, &user, bp.app_id, bp.grants, bp.token).await;
                return Outcome::Success(user);
            }
            BotLogin::Refused(r) => return Outcome::Failed(reason(&r)),
            BotLogin::NotBotLogin => {}
        }
    }
    match password_login(ctx.services, name, password, ip).await {
        Ok(user) => {
            let key = if ctx.services.config.enable_bot_passwords {
                "apiwarn-deprecation-login-botpw"
            } else {
                "apiwarn-deprecation-login-nobotpw"
            };
            ctx.deprecation("login", ApiMessage::new("deprecation", key, &[]));
            start_user_session(ctx, user.clone()).await;
            Outcome::Success(user)
        }
        Err(r) => Outcome::Failed(reason(&r)),
    }
}

/// BotPasswordSessionProvider::newSessionForRequest: a separate session; the cookie
/// session the client already has stays as it is.
async fn start_bot_session(
    ctx: &mut Context<'_>,
    user: &UserRecord,
    app_id: String,
    grants: Vec<String>,
    token: String,
) {
    ctx.flush_session().await;
    let mut session = Session::new_anonymous();
    session.provider = Provider::BotPassword;
    session.data = SessionData {
        user_id: user.id,
        user_name: user.name.clone(),
        bot: Some(BotGrant {
            app_id,
            grants,
            token,
        }),
        user_token: user.token.clone(),
        ..SessionData::default()
    };
    session.dirty = true;
    ctx.session = session;
    ctx.user = Some(user.clone());
    ctx.persist = true;
}

/// AuthManager::setSessionDataForUser: a new session id (the old one is deleted), fresh
/// token secrets, the user and remember-me cookies.
async fn start_user_session(ctx: &mut Context<'_>, mut user: UserRecord) {
    if ctx.session.persisted {
        sessions::delete(ctx.services, &ctx.session.id).await;
    }
    if user.token.is_empty() {
        user.token = random_hex(32);
        let _ = ctx
            .services
            .users
            .set_user_token(user.id, &user.token)
            .await;
    }
    let mut session = Session::new_anonymous();
    session.data = SessionData {
        user_id: user.id,
        user_name: user.name.clone(),
        user_token: user.token.clone(),
        remember: true,
        ..SessionData::default()
    };
    session.dirty = true;
    ctx.session = session;
    ctx.persist = true;
    ctx.flush_session().await;
    let config = ctx.services.config.clone();
    ctx.cookies
        .extend(sessions::remember_cookies(&config, &user, ctx.req.https));
    ctx.user = Some(user);
}
