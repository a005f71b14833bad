//! ConfirmEdit's captcha on the pages: the question with its answer field, as
//! CaptchaPreAuthenticationProvider's request is shown on Special:CreateAccount and, once
//! too many logins failed, on Special:UserLogin (HTMLForm fields `captchaWord`, and
//! `captchaId` hidden, as on the reference wiki). Each form shown asks a new captcha, kept
//! in the session; the answer is checked by the same engine as the API's
//! ([`crate::auth::captcha::check_answer`]: one id good once, the `badcaptcha` limit).

use super::html::esc;
use super::{messages, Ctx};
use crate::auth::captcha::{self, Answer, CaptchaAction};
use crate::auth::login::CaptchaAnswer;

/// The answer the POSTed form brings, with the session's captchas it is looked up in; the
/// caller gives `pending` back with [`crate::auth::request_session::RequestSession::set_pending_captchas`].
pub(crate) fn answer<'p, 'f: 'p>(
    ctx: &Ctx<'f>,
    pending: &'p mut Vec<captcha::PendingCaptcha>,
) -> CaptchaAnswer<'p> {
    CaptchaAnswer {
        pending,
        id: ctx.form("captchaId"),
        word: ctx.form("captchaWord"),
    }
}

/// Whether the login form carries a captcha (and a login reads its answer):
/// [`captcha::request_asks_captcha`] for this request and its session.
pub(crate) async fn login_asks(ctx: &Ctx<'_>) -> bool {
    let flag = ctx.session.session().data.login_captcha_per_user;
    captcha::request_asks_captcha(ctx.services, ctx.req, flag).await
}

/// A new captcha for `action`, kept in the session, as form fields: the label (the kind's
/// `…-createaccount` or `…-badlogin` text), the question, the answer box and the hidden id.
/// Empty when the configured kind asks nothing.
pub(crate) fn fields(ctx: &mut Ctx<'_>, action: CaptchaAction) -> String {
    let config = &ctx.config().captcha;
    let mut pending = ctx.session.session().data.captchas.clone();
    let Some(asked) = captcha::ask(config, &mut pending) else {
        return String::new();
    };
    let label = messages::text_unlinked(
        &ctx.config().sitename,
        captcha::info_label_key(config.kind, action),
    );
    ctx.session.set_pending_captchas(pending);
    ctx.session.persist();
    // QuestyCaptcha's question is HTML from the configuration and shown as it is
    // (QuestyCaptcha::getFormInformation); SimpleCaptcha's sum is text ("57−3 =").
    let question = match asked.captcha.answer {
        Answer::Words(_) => asked.captcha.question.clone(),
        Answer::Number(_) => esc(&asked.captcha.info()),
    };
    format!(
        "<div class=\"mw-field mw-captcha\"><label for=\"mw-input-captchaWord\">{label}</label>\
         <p class=\"mw-captcha-question\" id=\"mw-captcha-question\">{question}</p>\
         <input id=\"mw-input-captchaWord\" name=\"captchaWord\" type=\"text\" value=\"\" required \
         autocomplete=\"off\" autocapitalize=\"off\" spellcheck=\"false\" aria-describedby=\"mw-captcha-question\">\
         <input id=\"mw-input-captchaId\" name=\"captchaId\" type=\"hidden\" value=\"{id}\"></div>",
        label = esc(&label),
        id = esc(&asked.id),
    )
}
