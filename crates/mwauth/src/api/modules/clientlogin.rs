//! # action=clientlogin (POST, login token in `logintoken`)
//!
//! - Needs `loginreturnurl` or `logincontinue`; a return URL without a scheme is `badurl_…`.
//! - `username` + `password` (+ `rememberMe`): the same engine and throttle as action=login's
//!   main-account path. `PASS` with `username`: a new session id, `UserID` and `UserName`
//!   cookies for 30 days, or with `rememberMe` also `Token`, all for 180 days.
//! - `FAIL` with `message` (in `loginmessageformat`), `messagecode` and `canpreservestate`.
//! - A user with a TOTP key (`[oath]` on): the right password answers `UI` with OATHAuth's
//!   TOTPAuthenticationRequest (`OATHToken`), and the session keeps the login in progress.
//!   `logincontinue` with the right code: `PASS` as above; a wrong, used, missing or empty
//!   code or a recovery code: `UI` again with "oathauth-login-failed"; past the `badoath`
//!   limit: `UI` with "oathauth-throttled", even for the right code.
//! - `logincontinue` with no login in progress: `FAIL` "authmanager-authn-not-in-progress",
//!   as MediaWiki answers when session data is gone.

use super::authmanager::{
    fail, message_format, require_continue_or_returnurl, totp_ui, AuthMessage,
};
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{async_handler, Flags, Module, ParamSpec};
use crate::api::result::Obj;
use crate::auth::captcha;
use crate::auth::login::{begin_login, finish_second_step, CaptchaAnswer, FirstStep, THROTTLED};
use crate::auth::second_factor::{self, CodeCheck};
use crate::i18n::Param;
use crate::request::LoginResult;
use crate::session::AuthnState;

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let format = message_format(ctx, "loginmessageformat")?;
    let merge = ctx.params.flag("loginmergerequestfields");
    let remember_seconds = ctx.services.config.remember_expiry;
    let (cont, _returnurl) = require_continue_or_returnurl(ctx, "login")?;
    let res = if cont {
        match ctx.session.session().data.authn.clone() {
            None => {
                ctx.ran.login = Some(LoginResult::Failed);
                fail(
                    &AuthMessage::new("authmanager-authn-not-in-progress", vec![]),
                    &format,
                )
            }
            Some(state) => {
                // Only a login in progress asks for (and so reads) `OATHToken`.
                let token = ctx.params.get("OATHToken").map(str::to_string);
                let check = second_factor::check_code(
                    ctx.services,
                    state.user_id,
                    token.as_deref(),
                    ctx.now,
                )
                .await;
                let retry = match check {
                    CodeCheck::Pass => None,
                    CodeCheck::Failed => Some(AuthMessage::new("oathauth-login-failed", vec![])),
                    // Message::durationParam( 60 ): "Please wait 1 minute."
                    CodeCheck::Throttled => Some(AuthMessage::typed(
                        "oathauth-throttled",
                        vec![Param::Duration(second_factor::BADOATH_WINDOW_SECS)],
                    )),
                };
                match retry {
                    Some(msg) => {
                        ctx.ran.login = Some(LoginResult::Aborted);
                        totp_ui(&state.user_name, &msg, merge, &format, remember_seconds)
                    }
                    None => match ctx.services.users.user_by_id(state.user_id).await {
                        Ok(Some(user)) => {
                            finish_second_step(ctx.services, &user.name, ctx.req.client_ip).await;
                            let username = user.name.clone();
                            ctx.session
                                .log_in(user, state.remember)
                                .await
                                .map_err(|_| ApiError::internal())?;
                            ctx.ran.login = Some(LoginResult::Success);
                            Obj::new().with("status", "PASS").with("username", username)
                        }
                        // The account went away between the steps (or cannot be read).
                        _ => {
                            ctx.ran.login = Some(LoginResult::Failed);
                            ctx.session.set_authn(None);
                            fail(
                                &AuthMessage::new("authmanager-authn-not-in-progress", vec![]),
                                &format,
                            )
                        }
                    },
                }
            }
        }
    } else {
        let name = ctx.params.get("username").unwrap_or("").to_string();
        let password = ctx.params.get("password").unwrap_or("").to_string();
        let remember = ctx.params.flag("rememberMe");
        // AuthManager::beginAuthentication ends any login in progress first.
        ctx.session.set_authn(None);
        let ip = ctx.req.client_ip;
        // The captcha's fields are read (and so recognized) only when the login asks one.
        let asks_captcha = login_asks_captcha(ctx).await;
        let (id, word) = if asks_captcha {
            (
                ctx.params.get("captchaId").map(str::to_string),
                ctx.params.get("captchaWord").map(str::to_string),
            )
        } else {
            (None, None)
        };
        let mut pending = ctx.session.session().data.captchas.clone();
        let mut flag = ctx.session.session().data.login_captcha_per_user;
        let answer = asks_captcha.then_some(CaptchaAnswer {
            pending: &mut pending,
            id: id.as_deref(),
            word: word.as_deref(),
        });
        let outcome = begin_login(ctx.services, &name, &password, ip, answer, &mut flag).await;
        ctx.session.set_pending_captchas(pending);
        ctx.session.set_login_captcha_per_user(flag);
        match outcome {
            Ok(FirstStep::Pass(user)) => {
                let username = user.name.clone();
                ctx.session
                    .log_in(user, remember)
                    .await
                    .map_err(|_| ApiError::internal())?;
                ctx.ran.login = Some(LoginResult::Success);
                Obj::new().with("status", "PASS").with("username", username)
            }
            Ok(FirstStep::SecondFactor(user)) => {
                ctx.session.set_authn(Some(AuthnState {
                    user_id: user.id,
                    user_name: user.name.clone(),
                    remember,
                }));
                ctx.ran.login = Some(LoginResult::Aborted);
                let msg = AuthMessage::new("oathauth-auth-ui", vec![]);
                totp_ui(&user.name, &msg, merge, &format, remember_seconds)
            }
            Err(refusal) => {
                ctx.ran.login = Some(if refusal.key == THROTTLED {
                    LoginResult::Throttled
                } else {
                    LoginResult::Failed
                });
                fail(&AuthMessage::new(refusal.key, refusal.params), &format)
            }
        }
    };
    ctx.result.set("clientlogin", res);
    Ok(())
}

/// [`captcha::request_asks_captcha`] for this request and its session.
pub(super) async fn login_asks_captcha(ctx: &Context<'_>) -> bool {
    let flag = ctx.session.session().data.login_captcha_per_user;
    captcha::request_asks_captcha(ctx.services, ctx.req, flag).await
}

/// ApiClientLogin::getAllowedParams (ApiAuthManagerHelper's parameters); ApiBase adds the
/// token's after them.
const PARAMS: &[ParamSpec] = super::authmanager::HELPER_PARAMS;

pub const MODULE: Module = Module {
    name: "clientlogin",
    path: "clientlogin",
    classname: "ApiClientLogin",
    group: Some("action"),
    prefix: "login",
    extension: None,
    flags: Flags::WRITE_POSTED,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Login"],
    params: PARAMS,
    token: Some("login"),
    dynamic_parameters: true,
    handler: Some(async_handler!(execute)),
};
