//! # Special:UserLogout
//!
//! - GET never logs out: a logged-in user is asked "Do you want to log out?", with a button.
//! - The button: with JavaScript (`mwauth.js`), `POST api.php` `action=logout` with the
//!   page's csrf token (`data-mw-csrf`), then this page again, now logged out — the
//!   mw.Api `postWithToken( 'csrf', { action: 'logout' } )` of MediaWiki's own logout
//!   link. Without JavaScript the form POSTs here with `wpEditToken` (the csrf token salted
//!   `logoutToken`, as SpecialUserLogout's HTMLForm) and logs out the same way: the stored
//!   session is deleted and the session, `UserID` and `Token` cookies are cleared.
//! - A wrong or missing `wpEditToken` logs nobody out (`sessionfailure`).
//! - Logged out (or never logged in): "You are now logged out."

use super::html::{self, esc};
use super::{messages, Ctx, Output, ReturnTo, Special};

pub(crate) async fn execute(ctx: &mut Ctx<'_>) -> Output {
    let returnto = ctx.return_to();
    if ctx.user().is_none() {
        return logged_out(ctx, &returnto);
    }
    let mut error = None;
    if ctx.posted() {
        if !ctx.check_edit_token("logoutToken") {
            error = Some(messages::text(
                &ctx.config().sitename,
                "sessionfailure",
                &[],
            ));
        } else if ctx.session.log_out().await.is_ok() {
            return logged_out(ctx, &returnto);
        } else {
            // As action=logout: the session and its cookies stay (RequestSession::log_out).
            error = Some(super::STORE_FAILED.to_string());
        }
    }
    confirm(ctx, &returnto, error)
}

fn confirm(ctx: &mut Ctx<'_>, returnto: &ReturnTo, error: Option<String>) -> Output {
    let config = ctx.config();
    let form_token = ctx.session.salted_token("default", "logoutToken");
    let csrf = ctx.session.salted_token("default", "");
    let q = returnto.link_query();
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let this_page = ctx.url(&Special::UserLogout.title(), &q);
    let notice = error
        .map(|e| html::message_box("error", &html::text(&e)))
        .unwrap_or_default();
    let body = format!(
        "{notice}<form id=\"mw-userlogout-form\" method=\"post\" action=\"{action}\" \
         data-mw-api=\"{api}\" data-mw-csrf=\"{csrf}\" data-mw-return=\"{back}\">\n\
         <p>Do you want to log out?</p>\n\
         <div class=\"mw-buttons\"><button type=\"submit\" id=\"mw-userlogout-submit\" \
         class=\"mw-button mw-button-primary\">Log out</button></div>\n\
         <p id=\"mw-logout-status\" role=\"status\" hidden></p>\n{token}{returnto}\n</form>",
        action = esc(&ctx.url(&Special::UserLogout.title(), &[])),
        api = esc(&format!("{}/api.php", html::script_path(config))),
        csrf = esc(&csrf),
        back = esc(&this_page),
        token = html::hidden("wpEditToken", &form_token),
        returnto = returnto.hidden_fields(),
    );
    Output::page("Log out", body)
}

/// SpecialUserLogout::showSuccess: logouttext, and the way back.
fn logged_out(ctx: &Ctx<'_>, returnto: &ReturnTo) -> Output {
    let config = ctx.config();
    let back = returnto.link(config, "Main_Page");
    Output::page(
        "Log out",
        format!(
            "<div id=\"mw-logout-done\">{}</div>\n{back}",
            messages::paragraphs(&config.sitename, "logouttext")
        ),
    )
}
