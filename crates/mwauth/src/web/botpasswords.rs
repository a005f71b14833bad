//! # Special:BotPasswords
//!
//! - Logged-in users only (others are sent to log in, with `returnto`); not at all when
//!   bot passwords are disabled. A security-sensitive page, as in MediaWiki: when the
//!   session's last password login is older than `reauthenticate_time`
//!   (`$wgReauthenticateTime`, 300 s) or never happened (remember-me cookies), the user is
//!   sent to Special:UserLogin with `force=BotPasswords` to give the password again.
//! - `Special:BotPasswords`: the user's bot passwords (each a link to its own page, "(password
//!   needs reset)" when its hash is unusable) and a "Bot name" box that leads to
//!   `Special:BotPasswords/NAME`.
//! - `Special:BotPasswords/NAME`: create it, or change it — grants (a checkbox per grant of
//!   `$wgGrantPermissions`; `basic` always), allowed IP ranges, "Reset the password" — or
//!   delete it. Creating and resetting show the generated password once, in MediaWiki's
//!   words; any change gives the bot password a new `bp_token`, so the sessions made with
//!   it end (their grants were fixed at login).
//! - Every POST carries `wpEditToken` (the session's csrf token); without a good one nothing
//!   changes ("sessionfailure").
//! - A form POSTed while the password was wanted again is kept in the session under a random
//!   `postUniqueId` that travels through the login; back on the page it is shown filled in
//!   (not submitted: it must be sent again), once.

use super::html::{self, esc};
use super::{messages, reauth, Ctx, Output, Special};
use crate::auth::bot_passwords::{self, app_id_ok, normalize_grants, APPID_MAXLENGTH};
use crate::user::botpassword::{self, DEFAULT_RESTRICTIONS};
use crate::user::{rights, BotPasswordRecord, UserRecord};

pub(crate) async fn execute(ctx: &mut Ctx<'_>, sub: Option<&str>) -> Output {
    let Some(user) = ctx.user().cloned() else {
        return ctx.login_first();
    };
    if !ctx.config().enable_bot_passwords {
        return Output::page("Bot passwords", "<p>Bot passwords are disabled.</p>");
    }
    let valid_sub = sub.is_none_or(app_id_ok);
    if valid_sub && ctx.needs_reauthentication() {
        return reauth::reauthenticate(ctx, "BotPasswords", true);
    }
    let restored = reauth::restore_form(ctx, "BotPasswords");
    let restored = restored.as_deref();
    match sub {
        None => list(ctx, &user, None, restored).await,
        Some(app) if !app_id_ok(app) => Output::Page {
            status: 400,
            heading: "Bot passwords".into(),
            body: format!(
                "<p>The bot name \u{201c}{}\u{201d} is not valid.</p>\n{}",
                esc(app),
                html::return_to(ctx.config(), &Special::BotPasswords.title(), &[])
            ),
        },
        Some(app) => edit(ctx, &user, app, restored).await,
    }
}

fn summary(ctx: &Ctx<'_>) -> String {
    let mut s = messages::paragraphs(&ctx.config().sitename, "botpasswords-summary");
    s.push('\n');
    s
}

/// A page text of the catalogue, with its parameters.
fn text(ctx: &Ctx<'_>, key: &str, params: &[&str]) -> String {
    messages::text(&ctx.config().sitename, key, params)
}

fn page_of(app: &str) -> String {
    format!("{}/{app}", Special::BotPasswords.title())
}

/// InvalidPassword: a hash mwauth cannot verify, so the password must be reset.
fn needs_reset(bp: &BotPasswordRecord) -> bool {
    bp.password.is_empty() || !bp.password.starts_with(':')
}

async fn list(
    ctx: &mut Ctx<'_>,
    user: &UserRecord,
    error: Option<String>,
    restored: Option<&[(String, String)]>,
) -> Output {
    let mut error = error;
    if ctx.posted() && error.is_none() {
        if !ctx.check_edit_token("") {
            error = Some(text(ctx, "sessionfailure", &[]));
        } else if ctx.form("op") == Some("new") {
            let app = ctx.form("wpappId").unwrap_or("").trim();
            if app.is_empty() {
                error = Some(text(ctx, "htmlform-required", &[]));
            } else if !app_id_ok(app) {
                error = Some(text(ctx, "botpasswords-bad-appid", &[app]));
            } else {
                return Output::Redirect(ctx.url(&page_of(app), &[]));
            }
        }
    }
    let existing = match ctx.services.users.list_bot_passwords(user.id).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!("user store failed: {e}");
            Vec::new()
        }
    };
    let mut body = summary(ctx);
    if let Some(e) = &error {
        body.push_str(&html::message_box("error", &html::text(e)));
    }
    if !existing.is_empty() {
        body.push_str("<h2 id=\"mw-botpasswords-existing\">Existing bot passwords</h2>\n<ul class=\"mw-botpasswords-list\">");
        for bp in &existing {
            let reset = if needs_reset(bp) {
                " (password needs reset)"
            } else {
                ""
            };
            body.push_str(&format!(
                "<li><a href=\"{}\">{}</a>{reset} <span class=\"mw-grantlist\">\u{2014} {}</span></li>",
                esc(&ctx.url(&page_of(&bp.app_id), &[])),
                esc(&bp.app_id),
                esc(&bp.grants.join(", "))
            ));
        }
        body.push_str("</ul>\n");
    }
    let token = ctx.session.salted_token("default", "");
    let typed = if error.is_some() {
        ctx.form("wpappId").unwrap_or("")
    } else {
        restored.and_then(|f| field(f, "wpappId")).unwrap_or("")
    };
    body.push_str(&format!(
        "<form id=\"mw-botpasswords-new\" method=\"post\" action=\"{action}\">\n\
         <fieldset><legend>Create a new bot password</legend>\n\
         <label class=\"mw-label\" for=\"mw-input-wpappId\">Bot name:</label>\n\
         <div class=\"mw-inline-form\"><input type=\"text\" id=\"mw-input-wpappId\" name=\"wpappId\" value=\"{typed}\" \
         maxlength=\"{max}\" autocapitalize=\"off\" spellcheck=\"false\" required>\
         <button type=\"submit\" id=\"mw-botpasswords-create\" class=\"mw-button mw-button-primary\">Create</button></div>\n\
         </fieldset>\n{op}{token}\n</form>",
        action = esc(&ctx.url(&Special::BotPasswords.title(), &[])),
        typed = esc(typed),
        max = APPID_MAXLENGTH,
        op = html::hidden("op", "new"),
        token = html::hidden("wpEditToken", &token),
    ));
    Output::page("Bot passwords", body)
}

/// What the edit form shows: the grants ticked and the IP ranges typed.
struct FormState {
    grants: Vec<String>,
    ranges: String,
    reset: bool,
}

async fn edit(
    ctx: &mut Ctx<'_>,
    user: &UserRecord,
    app: &str,
    restored: Option<&[(String, String)]>,
) -> Output {
    let existing = match ctx.services.users.bot_password(user.id, app).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!("user store failed: {e}");
            None
        }
    };
    let mut errors: Vec<String> = Vec::new();
    let mut state = match &existing {
        Some(bp) => FormState {
            grants: bp.grants.clone(),
            ranges: ranges_text(&bp.restrictions),
            reset: needs_reset(bp),
        },
        None => FormState {
            grants: Vec::new(),
            ranges: ranges_text(DEFAULT_RESTRICTIONS),
            reset: false,
        },
    };
    if let Some(fields) = restored.filter(|_| !ctx.posted()) {
        // Shown as it was sent before the re-login, not acted on: it must be sent again.
        state = FormState::sent(fields);
    }
    if ctx.posted() {
        let op = ctx.form("op").unwrap_or("");
        state = FormState::sent(&crate::request::owned_pairs(&ctx.req.body));
        if !ctx.check_edit_token("") {
            errors.push(text(ctx, "sessionfailure", &[]));
        } else if op == "cancel" {
            return Output::Redirect(ctx.url(&Special::BotPasswords.title(), &[]));
        } else if matches!(op, "create" | "update" | "delete") {
            match save(ctx, user, app, op, &state).await {
                Ok(out) => return out,
                Err(e) => errors.push(e),
            }
        }
    }
    edit_form(ctx, user, app, existing.is_some(), &state, &errors)
}

impl FormState {
    /// What a sent form (the POST body, or one kept across a re-login) ticked and typed;
    /// the grants `basic` first, in `$wgGrantPermissions` order.
    fn sent(fields: &[(String, String)]) -> FormState {
        FormState {
            grants: normalize_grants(
                fields
                    .iter()
                    .filter(|(k, _)| k == "wpgrants")
                    .filter_map(|(_, v)| v.strip_prefix("grant-")),
            ),
            ranges: field(fields, "wprestrictions").unwrap_or("").to_string(),
            reset: field(fields, "wpresetPassword").is_some(),
        }
    }
}

fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The IP ranges of a `bp_restrictions` JSON, one a line.
fn ranges_text(restrictions: &str) -> String {
    serde_json::from_str::<serde_json::Value>(restrictions)
        .ok()
        .and_then(|v| {
            v.get("IPAddresses")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        })
        .unwrap_or_else(|| "0.0.0.0/0\n::/0".into())
}

/// SpecialBotPasswords::save and the delete operation, through the auth engine; the
/// answer page on success.
async fn save(
    ctx: &mut Ctx<'_>,
    user: &UserRecord,
    app: &str,
    op: &str,
    state: &FormState,
) -> Result<Output, String> {
    let sitename = ctx.config().sitename.clone();
    let refused = |r: crate::auth::login::Refusal| r.text(&sitename);
    let services = ctx.services;
    let (done_key, password) = if op == "delete" {
        bot_passwords::delete(services, user, app)
            .await
            .map_err(refused)?;
        ("deleted", None)
    } else {
        let restrictions = bot_passwords::restrictions_of_ranges(&state.ranges).map_err(refused)?;
        let settings = bot_passwords::Settings {
            grants: &state.grants,
            restrictions: &restrictions,
        };
        if op == "create" {
            let password = bot_passwords::create(services, user, app, settings, None)
                .await
                .map_err(refused)?;
            ("created", Some(password))
        } else {
            let password = bot_passwords::update(services, user, app, settings, state.reset)
                .await
                .map_err(refused)?;
            ("updated", password)
        }
    };
    let heading = text(ctx, &format!("botpasswords-{done_key}-title"), &[]);
    let body = text(
        ctx,
        &format!("botpasswords-{done_key}-body"),
        &[app, &user.name],
    );
    Ok(done(ctx, &heading, &body, user, app, password))
}

/// SpecialBotPasswords::onSuccess: what happened, the new password once, and the way back.
fn done(
    ctx: &Ctx<'_>,
    heading: &str,
    text: &str,
    user: &UserRecord,
    app: &str,
    password: Option<String>,
) -> Output {
    let mut body = format!("<p id=\"mw-botpasswords-done\">{}</p>\n", esc(text));
    if let Some(pw) = password {
        let sep = botpassword::SEPARATOR;
        body.push_str(&format!(
            "<p>The new password to log in with <strong id=\"mw-botpasswords-loginname\">{login}</strong> is \
             <strong class=\"mw-password\" id=\"mw-botpasswords-password\">{pw}</strong>. \
             <em>Please record this for future reference.</em> <br> (For old bots which require the login name \
             to be the same as the eventual username, you can also use <strong>{name}</strong> as username and \
             <strong class=\"mw-password\">{old}</strong> as password.)</p>\n",
            login = esc(&format!("{}{sep}{app}", user.name)),
            pw = esc(&pw),
            name = esc(&user.name),
            old = esc(&format!("{app}{sep}{pw}")),
        ));
    }
    body.push_str(&html::return_to(
        ctx.config(),
        &Special::BotPasswords.title(),
        &[],
    ));
    Output::page(heading, body)
}

fn edit_form(
    ctx: &mut Ctx<'_>,
    user: &UserRecord,
    app: &str,
    exists: bool,
    state: &FormState,
    errors: &[String],
) -> Output {
    let token = ctx.session.salted_token("default", "");
    let mut body = summary(ctx);
    for e in errors {
        body.push_str(&html::message_box("error", &html::text(e)));
    }
    let legend = if exists {
        "Edit an existing bot password"
    } else {
        "Create a new bot password"
    };
    let reset = if exists {
        format!(
            "<div class=\"mw-check\"><input type=\"checkbox\" id=\"mw-input-wpresetPassword\" name=\"wpresetPassword\" value=\"1\"{}>\
             <label for=\"mw-input-wpresetPassword\">Reset the password</label></div>\n",
            if state.reset { " checked" } else { "" }
        )
    } else {
        String::new()
    };
    let mut grants = String::new();
    for (g, granted_rights) in rights::grants() {
        let hidden = rights::HIDDEN_GRANTS.contains(&g);
        let checked = hidden || state.grants.iter().any(|x| x == g);
        grants.push_str(&format!(
            "<li><label title=\"{tip}\"><input type=\"checkbox\" id=\"mw-input-wpgrants-grant-{g}\" name=\"wpgrants\" \
             value=\"grant-{g}\"{checked}{disabled}> <span>{label} <code>{g}</code></span></label></li>",
            tip = esc(&granted_rights.join("; ")),
            g = esc(g),
            checked = if checked { " checked" } else { "" },
            disabled = if hidden { " disabled" } else { "" },
            label = esc(&messages::grant(g)),
        ));
    }
    let mut buttons = format!(
        "<button type=\"submit\" name=\"op\" value=\"{op}\" id=\"mw-botpasswords-{op}\" class=\"mw-button mw-button-primary\">{label}</button>",
        op = if exists { "update" } else { "create" },
        label = if exists { "Update" } else { "Create" },
    );
    if exists {
        buttons.push_str("<button type=\"submit\" name=\"op\" value=\"delete\" id=\"mw-botpasswords-delete\" class=\"mw-button mw-button-destructive\" formnovalidate>Delete</button>");
    }
    buttons.push_str("<button type=\"submit\" name=\"op\" value=\"cancel\" id=\"mw-botpasswords-cancel\" class=\"mw-button\" formnovalidate>Cancel</button>");
    body.push_str(&format!(
        "<form id=\"mw-botpasswords-form\" method=\"post\" action=\"{action}\">\n\
         <fieldset><legend>{legend}</legend>\n\
         <p class=\"mw-info\"><span class=\"mw-label\">Username:</span> <code id=\"mw-botpasswords-username\">{login}</code></p>\n\
         {reset}\
         <div class=\"mw-field\"><span class=\"mw-label\" id=\"mw-grants-label\">Applicable grants:</span>\n\
         <ul class=\"mw-grants\" aria-labelledby=\"mw-grants-label\">{grants}</ul>\n\
         <p class=\"mw-help\">{grants_help}</p></div>\n\
         <div class=\"mw-field\"><label for=\"mw-input-wprestrictions\">Allowed IP ranges:</label>\
         <textarea id=\"mw-input-wprestrictions\" name=\"wprestrictions\" rows=\"3\" spellcheck=\"false\" required>{ranges}</textarea>\n\
         <div class=\"mw-help\">{ranges_help}</div></div>\n\
         </fieldset>\n<div class=\"mw-buttons\">{buttons}</div>\n{token}\n</form>",
        action = esc(&ctx.url(&page_of(app), &[])),
        login = esc(&format!("{}{}{app}", user.name, botpassword::SEPARATOR)),
        grants_help = esc(&text(ctx, "mwauth-botpasswords-help-grants", &[])),
        ranges = esc(&state.ranges),
        ranges_help = messages::html(&ctx.config().sitename, "restrictionsfield-help"),
        token = html::hidden("wpEditToken", &token),
    ));
    Output::page("Bot passwords", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_shown_one_a_line() {
        assert_eq!(ranges_text(DEFAULT_RESTRICTIONS), "0.0.0.0/0\n::/0");
    }
}
