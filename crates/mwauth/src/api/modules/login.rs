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
//! - Any failure: `Failed` with MediaWiki's reason, never saying whether the account
//!   exists; throttled after 5 failures in 5 minutes per user and IP. The reason is plain
//!   text with the default errorformat, otherwise a message object in the asked errorformat.
//! - Refused (`Aborted`) when the request breaks the same-origin policy, and when the
//!   request already belongs to a bot-password session (its user cannot be changed).

use crate::api::context::Context;
use crate::api::error::{format_message_value_in, ApiError, ApiMessage};
use crate::api::modules::ModuleInfo;
use crate::api::params_spec::{ModuleDoc, ParamSpec, ParamType};
use crate::api::request::LoginResult;
use crate::api::result::Obj;
use crate::auth::login::{bot_password_login, password_login, BotLogin, Refusal, THROTTLED};
use crate::auth::sessions;
use crate::session::{random_hex, BotGrant, Provider, Session, SessionData};
use crate::user::{botpassword, UserRecord};

pub const INFO: ModuleInfo = ModuleInfo {
    name: "login",
    must_be_posted: true,
    needs_token: None,
    token_param: "token",
    write_mode: true,
};

enum Outcome {
    Success(UserRecord),
    NeedToken(String),
    WrongToken,
    Failed(ApiMessage),
    Aborted(ApiMessage),
}

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    // ApiMain::setupModule reads the module's parameters before it runs, so they count as
    // used even when the login is refused right away.
    let name = ctx.params.get("lgname").unwrap_or("").to_string();
    let password = ctx.params.get("lgpassword").unwrap_or("").to_string();
    let token = ctx.params.get("lgtoken").unwrap_or("").to_string();
    ctx.params.get("lgdomain");
    if !ctx.same_origin {
        let reason = ApiMessage::from_key("api-login-fail-sameorigin", &[]);
        let links = ctx.article_path();
        let reason = format_message_value_in(ctx.errorformat, &ctx.errorlang, &reason, &links);
        ctx.result.set(
            "login",
            Obj::new().with("result", "Aborted").with("reason", reason),
        );
        ctx.ran.login = Some(LoginResult::Aborted);
        return Ok(());
    }
    ctx.require_posted(&["lgpassword", "lgtoken"])?;

    ctx.persist = true;
    let outcome = if ctx.session.provider == Provider::BotPassword {
        // Session::canSetUser is false for BotPasswordSessionProvider; its describe() is
        // the generic "<class> sessions".
        Outcome::Aborted(ApiMessage::from_key(
            "api-login-fail-badsessionprovider",
            &["MediaWiki\\Session\\BotPasswordSessionProvider sessions"],
        ))
    } else if token.is_empty() {
        Outcome::NeedToken(ctx.token("login"))
    } else if !ctx.session.has_secret("login") {
        ctx.session.token_secret("login");
        Outcome::Failed(ApiMessage::new(
            "sessionlost",
            "authpage-cannot-login-continue",
            &[],
        ))
    } else if !ctx.check_token("login", &token, None) {
        Outcome::WrongToken
    } else {
        authenticate(ctx, &name, &password).await
    };

    ctx.ran.login = Some(match &outcome {
        Outcome::Success(_) => LoginResult::Success,
        Outcome::NeedToken(_) => LoginResult::NeedToken,
        Outcome::WrongToken => LoginResult::WrongToken,
        Outcome::Failed(reason) if reason.key == THROTTLED => LoginResult::Throttled,
        Outcome::Failed(_) => LoginResult::Failed,
        Outcome::Aborted(_) => LoginResult::Aborted,
    });
    let links = ctx.article_path();
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
                ApiMessage::new("deprecation", "apiwarn-deprecation-login-token", &[])
                    .with_data(Obj::new().with("feature", "action=login&!lgtoken")),
            );
        }
        Outcome::WrongToken => res.set("result", "WrongToken"),
        Outcome::Failed(reason) => {
            res.set("result", "Failed");
            res.set(
                "reason",
                format_message_value_in(ctx.errorformat, &ctx.errorlang, &reason, &links),
            );
        }
        Outcome::Aborted(reason) => {
            res.set("result", "Aborted");
            res.set(
                "reason",
                format_message_value_in(ctx.errorformat, &ctx.errorlang, &reason, &links),
            );
        }
    }
    ctx.result.set("login", res);
    Ok(())
}

fn reason(r: &Refusal) -> ApiMessage {
    let params: Vec<&str> = r.params.iter().map(String::as_str).collect();
    ApiMessage::from_key(r.key, &params)
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
            let feature = Obj::new().with("feature", "main-account-login");
            ctx.deprecation(
                "login",
                ApiMessage::new("deprecation", key, &[]).with_data(feature),
            );
            start_user_session(ctx, user.clone(), true).await;
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
    session.data = std::sync::Arc::new(SessionData {
        user_id: user.id,
        user_name: user.name.clone(),
        bot: Some(BotGrant {
            app_id,
            grants,
            token,
        }),
        user_token: user.token.clone(),
        ..SessionData::default()
    });
    session.dirty = true;
    ctx.session = session;
    ctx.user = Some(std::sync::Arc::new(user.clone()));
    ctx.persist = true;
}

/// AuthManager::setSessionDataForUser: a new session id (the old one is deleted), fresh
/// token secrets, the user, and the user cookies (remember-me ones when asked).
pub(crate) async fn start_user_session(
    ctx: &mut Context<'_>,
    mut user: UserRecord,
    remember: bool,
) {
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
    session.data = std::sync::Arc::new(SessionData {
        user_id: user.id,
        user_name: user.name.clone(),
        user_token: user.token.clone(),
        remember,
        last_auth: ctx.now,
        ..SessionData::default()
    });
    session.dirty = true;
    ctx.session = session;
    ctx.persist = true;
    ctx.flush_session().await;
    let config = ctx.services.config.clone();
    ctx.cookies.extend(sessions::user_cookies(
        &config,
        &user,
        remember,
        ctx.req.https,
    ));
    ctx.user = Some(std::sync::Arc::new(user));
}

/// ApiLogin::getAllowedParams.
pub const PARAMS: &[ParamSpec] = &[
    ParamSpec::string("name"),
    ParamSpec::new("password", ParamType::Password).sensitive(),
    ParamSpec::string("domain"),
    ParamSpec::string("token").sensitive(),
];

pub const DOC: ModuleDoc = ModuleDoc {
    name: "login",
    path: "login",
    classname: "ApiLogin",
    group: Some("action"),
    prefix: "lg",
    flags: &["writerights", "mustbeposted"],
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login"],
    params: PARAMS,
    token: None,
    dynamic_parameters: false,
};
