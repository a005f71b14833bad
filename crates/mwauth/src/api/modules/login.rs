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
use crate::api::params_spec::{async_handler, Flags, Module, ParamSpec, ParamType};
use crate::api::result::Obj;
use crate::auth::login::{
    begin_login, bot_password_login, BotLogin, FirstStep, Refusal, THROTTLED,
};
use crate::request::LoginResult;
use crate::session::{AuthnState, Provider};
use crate::user::{botpassword, UserRecord};

enum Outcome {
    Success(UserRecord),
    NeedToken(String),
    WrongToken,
    Failed(ApiMessage),
    Aborted(ApiMessage),
}

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let name = ctx.params.get("lgname").unwrap_or("").to_string();
    let password = ctx.params.get("lgpassword").unwrap_or("").to_string();
    let token = ctx.params.get("lgtoken").unwrap_or("").to_string();
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

    ctx.session.persist();
    let outcome = if ctx.session.provider() == Provider::BotPassword {
        // Session::canSetUser is false for BotPasswordSessionProvider; its describe() is
        // the generic "<class> sessions".
        Outcome::Aborted(ApiMessage::from_key(
            "api-login-fail-badsessionprovider",
            &["MediaWiki\\Session\\BotPasswordSessionProvider sessions"],
        ))
    } else if token.is_empty() {
        Outcome::NeedToken(ctx.token("login"))
    } else if !ctx.session.has_secret("login") {
        // The secret is made now, as ApiLogin's own token request makes it.
        ctx.token("login");
        Outcome::Failed(ApiMessage::new(
            "sessionlost",
            "authpage-cannot-login-continue",
            &[],
        ))
    } else if !ctx.check_token("login", &token, None) {
        Outcome::WrongToken
    } else {
        authenticate(ctx, &name, &password).await?
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

/// The login itself. A session store that fails while the new session starts answers an
/// error, as one that fails while loading does.
async fn authenticate(
    ctx: &mut Context<'_>,
    name: &str,
    password: &str,
) -> Result<Outcome, ApiError> {
    let ip = ctx.req.client_ip;
    if let Some((bot_name, bot_password)) = botpassword::canonicalize_login_data(name, password) {
        match bot_password_login(ctx.services, &bot_name, &bot_password, ip).await {
            BotLogin::Success(found) => {
                let (user, bp) = *found;
                ctx.session.log_in_bot(&user, bp).await;
                return Ok(Outcome::Success(user));
            }
            BotLogin::Refused(r) => return Ok(Outcome::Failed(reason(&r))),
            BotLogin::NotBotLogin => {}
        }
    }
    // AuthManager::beginAuthentication ends any login in progress first.
    ctx.session.set_authn(None);
    // No captcha answer: action=login has no field for one (a login that needs one fails).
    // ConfirmEdit's per-user flag is raised here too (AuthManager runs its provider).
    let mut flag = ctx.session.session().data.login_captcha_per_user;
    let outcome = begin_login(ctx.services, name, password, ip, None, &mut flag).await;
    ctx.session.set_login_captcha_per_user(flag);
    match outcome {
        // A second factor is user interaction, which action=login cannot ask for; the
        // half-done login stays in the session (clientlogin can continue it).
        Ok(FirstStep::SecondFactor(user)) => {
            ctx.session.set_authn(Some(AuthnState {
                user_id: user.id,
                user_name: user.name.clone(),
                remember: true,
            }));
            let key = if ctx.services.config.enable_bot_passwords {
                "api-login-fail-aborted"
            } else {
                "api-login-fail-aborted-nobotpw"
            };
            Ok(Outcome::Aborted(ApiMessage::from_key(key, &[])))
        }
        Ok(FirstStep::Pass(user)) => {
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
            start_user_session(ctx, user.clone(), true).await?;
            Ok(Outcome::Success(user))
        }
        Err(r) => Ok(Outcome::Failed(reason(&r))),
    }
}

/// AuthManager::setSessionDataForUser (see [`RequestSession::log_in`]); a store that fails
/// there answers MediaWiki's internal-error shape.
///
/// [`RequestSession::log_in`]: crate::auth::request_session::RequestSession::log_in
async fn start_user_session(
    ctx: &mut Context<'_>,
    user: UserRecord,
    remember: bool,
) -> Result<(), ApiError> {
    ctx.session
        .log_in(user, remember)
        .await
        .map_err(|_| ApiError::internal())
}

/// ApiLogin::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::string("name"),
    ParamSpec::new("password", ParamType::Password).sensitive(),
    ParamSpec::string("domain"),
    ParamSpec::string("token").sensitive(),
];

pub const MODULE: Module = Module {
    name: "login",
    path: "login",
    classname: "ApiLogin",
    group: Some("action"),
    prefix: "lg",
    flags: Flags::WRITE_POSTED,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login"],
    params: PARAMS,
    handler: Some(async_handler!(execute)),
    ..Module::BASE
};
