//! # Special:OATHManage (OATHAuth 0.5.0, "Manage Two-factor authentication")
//!
//! - Only with `[oath] enabled`; otherwise there is no such page, as on a wiki without the
//!   extension. Logged-in users only (others are sent to log in and back, as
//!   Special:BotPasswords sends them), with `oathauth-enable` to enrol (every user has it).
//! - A security-sensitive page (its level is its name, `OATHManage`): a session whose last
//!   password login is older than `reauthenticate_time` is sent to Special:UserLogin with
//!   `force=OATHManage` first, and back here afterwards.
//! - Without a key: the module's panel with an "Enable" link (`action=enable&module=totp`).
//!   The enable form (TOTPEnableForm) shows a new key kept in the session until confirmed
//!   (`oathauth_totp_key`): the QR code of its `otpauth://` URI (an SVG in the page, no
//!   script), the secret in groups of four, the ten recovery codes, and a field `token`.
//!   The right code of the key writes it into `oathauth_users` (OATHUserRepository::persist);
//!   a recovery code or a wrong code writes nothing.
//! - With a key: the panel with "Disable" (`action=disable&module=totp&warn=1`), the
//!   confirmation OATHManage shows for `warn`, and the disable form (TOTPDisableForm): past
//!   the `badoath` limit refused, else the right code removes the row.
//! - Codes are checked as at login ([`second_factor::verify`]): within the window, later
//!   than the last accepted step, a wrong one counts against `badoath`.
//! - Every form POSTs the session's csrf token in `wpEditToken`; without a good one nothing
//!   changes ("sessionfailure").

use super::html::{self, esc};
use super::{messages, reauth, Ctx, Output};
use crate::auth::second_factor::{self, BADOATH_WINDOW_SECS};
use crate::i18n::Param;
use crate::store::OathRow;
use crate::user::oath::{OathData, TotpKey, MODULE_TOTP};
use crate::user::UserRecord;

pub(crate) async fn execute(ctx: &mut Ctx<'_>) -> Output {
    let Some(user) = ctx.user().cloned() else {
        return ctx.login_first();
    };
    let data = match second_factor::key_data(ctx.services, user.id).await {
        Ok(data) => data,
        Err(_) => return Output::page(HEADING, html::text(super::STORE_FAILED)),
    };
    let enrolled = data.is_some();
    let action = ctx.param("action").unwrap_or("");
    // OATHManage::checkPermissions: nothing to do without a key and without the right.
    if (!enrolled || action == "enable") && !ctx.has_right("oathauth-enable") {
        return Output::Page {
            status: 403,
            heading: "Permission error".into(),
            body: "<p>You do not have permission to enable two-factor authentication.</p>".into(),
        };
    }
    if ctx.needs_reauthentication() {
        // A code typed before the password was asked again would be stale: not kept.
        return reauth::reauthenticate(ctx, "OATHManage", false);
    }
    if ctx.param("module") == Some(MODULE_TOTP) {
        let warn = ctx.param("warn").is_some_and(|w| !w.is_empty() && w != "0");
        match (action, data) {
            ("disable", Some(_)) if warn => return disable_warning(ctx),
            ("enable", None) => return enable(ctx, &user).await,
            ("disable", Some(data)) => return disable(ctx, &user, &data).await,
            _ => {}
        }
    }
    overview(ctx, enrolled)
}

fn text(ctx: &Ctx<'_>, key: &str) -> String {
    messages::text(&ctx.config().sitename, key, &[])
}

/// The page's heading: its English name (OATHManage's `oathmanage` message).
const HEADING: &str = "Manage Two-factor authentication";

fn module_label(ctx: &Ctx<'_>) -> String {
    text(ctx, "oathauth-module-totp-label")
}

/// The page without an action: what two-factor authentication is, and the TOTP module's
/// panel with its Enable or Disable link.
fn overview(ctx: &Ctx<'_>, enrolled: bool) -> Output {
    let sitename = &ctx.config().sitename;
    let (section, link_text, action) = if enrolled {
        (
            "oathauth-ui-enabled-module",
            "oathauth-disable-generic",
            "disable",
        )
    } else {
        (
            "oathauth-ui-available-modules",
            "oathauth-enable-generic",
            "enable",
        )
    };
    let href = ctx.url(
        &ctx.title,
        &[("action", action), ("module", MODULE_TOTP), ("warn", "1")],
    );
    let body = format!(
        "<p>{help}</p>\n<h2>{section}</h2>\n\
         <div class=\"mw-panel\" id=\"mw-oath-module-totp\"><p><a class=\"mw-button\" id=\"mw-oath-{action}\" href=\"{href}\">{link}</a> \
         <strong>{label}</strong></p>\n<p>{description}</p></div>",
        help = messages::html_with_links(sitename, "oathauth-ui-general-help"),
        section = esc(&text(ctx, section)),
        href = esc(&href),
        link = esc(&text(ctx, link_text)),
        label = esc(&module_label(ctx)),
        description = esc(&text(ctx, "oathauth-totp-description")),
    );
    Output::page(HEADING, body)
}

/// OATHManage::showDisableWarning: what disabling does, and the way on to the form.
fn disable_warning(ctx: &Ctx<'_>) -> Output {
    let sitename = &ctx.config().sitename;
    let label = module_label(ctx);
    let para = |key: &str| {
        format!(
            "<p>{}</p>",
            esc(&messages::text(sitename, key, &[label.as_str()]))
        )
    };
    let href = ctx.url(
        &ctx.title,
        &[("action", "disable"), ("module", MODULE_TOTP)],
    );
    let body = format!(
        "<div class=\"mw-panel\">{}\n{}\n{}\n<p><a class=\"mw-button mw-button-primary\" id=\"mw-oath-disable-continue\" href=\"{}\">{}</a></p></div>",
        para("oathauth-disable-method-warning"),
        para("oathauth-totp-disable-warning"),
        para("oathauth-disable-method-next-step"),
        esc(&href),
        esc(&text(ctx, "oathauth-disable-method-warning-button-label")),
    );
    Output::page(text(ctx, "oathauth-disable-method-warning-header"), body)
}

/// TOTPEnableForm: a new key (the one the session keeps, until a code confirms it).
async fn enable(ctx: &mut Ctx<'_>, user: &UserRecord) -> Output {
    let title = messages::text(
        &ctx.config().sitename,
        "oathauth-enable-page-title",
        &[&module_label(ctx)],
    );
    let kept = ctx.session.session().data.oath_enrolment.clone();
    let mut error = None;
    if ctx.posted() {
        error = Some(match &kept {
            _ if !ctx.check_edit_token("") => text(ctx, "sessionfailure"),
            None => text(ctx, "oathauth-invalidrequest"),
            Some(key) => match confirm(ctx, user, key).await {
                Ok(()) => {
                    ctx.session.data_mut().oath_enrolment = None;
                    ctx.session.persist();
                    return done(ctx, title, "oathauth-validatedoath");
                }
                Err(message) => message,
            },
        });
    }
    let key = match kept {
        Some(key) => key,
        None => {
            let key = TotpKey::random(&mut rand::thread_rng());
            ctx.session.data_mut().oath_enrolment = Some(key.clone());
            ctx.session.persist();
            key
        }
    };
    let body = enable_form(ctx, user, &key, error.as_deref());
    Output::page(title, body)
}

/// TOTPEnableForm::onSubmit: the code must be one of the key's (not a recovery code).
async fn confirm(ctx: &Ctx<'_>, user: &UserRecord, key: &TotpKey) -> Result<(), String> {
    let token = ctx.form("token").unwrap_or("");
    let spaceless: String = token.split_whitespace().collect();
    if key.scratch_tokens.contains(&spaceless) {
        tracing::info!(user = %user.name, "OATHAuth: a recovery code was given to enable 2FA");
        return Err(text(ctx, "oathauth-noscratchforvalidation"));
    }
    let data = OathData {
        keys: vec![key.clone()],
    };
    if !second_factor::verify(ctx.services, user.id, &data, token, ctx.now).await {
        tracing::info!(user = %user.name, "OATHAuth: a wrong code was given to enable 2FA");
        return Err(text(ctx, "oathauth-failedtovalidateoath"));
    }
    let row = OathRow {
        module: MODULE_TOTP.into(),
        data: data.to_json(),
    };
    if let Err(e) = ctx.services.users.set_oath_user(user.id, &row).await {
        tracing::error!("user store failed writing oathauth_users: {e}");
        return Err(super::STORE_FAILED.into());
    }
    tracing::info!(user = %user.name, ip = %ctx.req.client_ip, "OATHAuth enabled");
    Ok(())
}

/// TOTPDisableForm: the right code of the user's key removes it.
async fn disable(ctx: &mut Ctx<'_>, user: &UserRecord, data: &OathData) -> Output {
    let title = messages::text(
        &ctx.config().sitename,
        "oathauth-disable-page-title",
        &[&module_label(ctx)],
    );
    let mut error = None;
    if ctx.posted() {
        let token = ctx.form("token").unwrap_or("");
        error = Some(if !ctx.check_edit_token("") {
            text(ctx, "sessionfailure")
        } else if token.is_empty() {
            // The field is required (HTMLForm checks it before onSubmit).
            text(ctx, "htmlform-required")
        } else if second_factor::throttled(ctx.services, user.id).await {
            messages::text_with(
                &ctx.config().sitename,
                "oathauth-throttled",
                &[Param::Duration(BADOATH_WINDOW_SECS)],
            )
        } else if !second_factor::verify(ctx.services, user.id, data, token, ctx.now).await {
            text(ctx, "oathauth-failedtovalidateoath")
        } else {
            match ctx.services.users.delete_oath_user(user.id).await {
                Ok(_) => {
                    tracing::info!(user = %user.name, ip = %ctx.req.client_ip, "OATHAuth disabled");
                    return done(ctx, title, "oathauth-disabledoath");
                }
                Err(e) => {
                    tracing::error!("user store failed writing oathauth_users: {e}");
                    super::STORE_FAILED.into()
                }
            }
        });
    }
    let body = format!(
        "<form id=\"mw-oath-disable-form\" class=\"mw-narrow\" method=\"post\" action=\"{action}\">\n\
         {notice}\n{field}\n{submit}\n{hidden}\n</form>",
        action = esc(&ctx.url(&ctx.title, &[])),
        notice = notice(error.as_deref()),
        field = token_field(ctx, true, Some(&text(ctx, "oathauth-hint"))),
        submit = submit_button(),
        hidden = hidden_fields(ctx, "disable"),
    );
    Output::page(title, body)
}

/// After a change: MediaWiki's words, and the way back to the page.
fn done(ctx: &Ctx<'_>, title: String, key: &str) -> Output {
    let body = format!(
        "<div id=\"mw-oath-done\">{}</div>\n{}",
        html::message_box("success", &esc(&text(ctx, key))),
        html::return_to(ctx.config(), &ctx.title, &[]),
    );
    Output::page(title, body)
}

fn notice(error: Option<&str>) -> String {
    error
        .map(|e| html::message_box("error", &html::text(e)))
        .unwrap_or_default()
}

/// The code field both forms have (`token`, "Enter a code from your authentication device
/// to verify:").
fn token_field(ctx: &Ctx<'_>, autofocus: bool, help: Option<&str>) -> String {
    html::field(
        "mw-input-token",
        &text(ctx, "oathauth-entertoken"),
        "text",
        "token",
        "",
        &format!(
            " dir=\"ltr\" spellcheck=\"false\" autocomplete=\"one-time-code\" inputmode=\"numeric\"{}",
            if autofocus { " required autofocus" } else { "" }
        ),
        help,
    )
}

fn submit_button() -> &'static str {
    "<div class=\"mw-buttons\"><button type=\"submit\" id=\"mw-oath-submit\" value=\"Submit\" \
     class=\"mw-button mw-button-primary\">Submit</button></div>"
}

/// The csrf token, and the module and action OATHManage adds to its forms.
fn hidden_fields(ctx: &mut Ctx<'_>, action: &str) -> String {
    let token = ctx.session.salted_token("default", "");
    html::hidden("wpEditToken", &token)
        + &html::hidden("module", MODULE_TOTP)
        + &html::hidden("action", action)
}

/// Groups of four characters, as TOTPEnableForm shows secrets and recovery codes.
fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code of `uri` as SVG markup for the page (no XML declaration; presentation
/// attributes only, so the page's CSP needs nothing more).
fn qr_svg(uri: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .build();
    let svg = svg.find("<svg").map_or(svg.as_str(), |at| &svg[at..]);
    svg.replacen("<svg ", "<svg role=\"img\" aria-label=\"QR code\" ", 1)
}

fn enable_form(ctx: &mut Ctx<'_>, user: &UserRecord, key: &TotpKey, error: Option<&str>) -> String {
    let sitename = ctx.config().sitename.clone();
    // OATHUser::getIssuer ($wgOATHAuthAccountPrefix is not configurable here: the site name).
    let account = format!("{sitename}:{}", user.name);
    let uri = key.otpauth_uri(&sitename, &user.name);
    let step = |legend: &str, content: String| {
        format!(
            "<fieldset class=\"mw-panel\"><legend>{}</legend>{content}</fieldset>\n",
            esc(&messages::text(&sitename, legend, &[]))
        )
    };
    let codes: String = key
        .scratch_tokens
        .iter()
        .map(|t| format!("<li><kbd>{}</kbd></li>", esc(&grouped(t))))
        .collect();
    let steps = step(
        "oathauth-step1",
        format!(
            "<p>{}</p>",
            messages::html_with_links(&sitename, "oathauth-step1-test")
        ),
    ) + &step(
        "oathauth-step2",
        format!(
            "<p>{}</p>\n<div class=\"mw-display-qrcode\" data-mw-qrcode-url=\"{}\">{}</div>\n\
             <p>{}</p>\n<p><strong>{}</strong><br><kbd id=\"mw-oath-secret\">{}</kbd><br>\
             <strong>{}</strong><br><span id=\"mw-oath-account\">{}</span></p>",
            esc(&text(ctx, "oathauth-step2-qrcode")),
            esc(&uri),
            qr_svg(&uri),
            esc(&text(ctx, "oathauth-step2alt")),
            esc(&text(ctx, "oathauth-secret")),
            esc(&grouped(&key.secret)),
            esc(&text(ctx, "oathauth-account")),
            esc(&account),
        ),
    ) + &step(
        "oathauth-step3",
        format!(
            "<p><strong>{}</strong><br>{}</p><ul id=\"mw-oath-recovery-codes\">{codes}</ul>",
            esc(&text(ctx, "oathauth-recoverycodes-important")),
            messages::html(&sitename, "oathauth-recoverycodes"),
        ),
    ) + &step("oathauth-step4", token_field(ctx, false, None));
    format!(
        "<form id=\"mw-oath-enable-form\" method=\"post\" action=\"{action}\">\n\
         {notice}\n{steps}{submit}\n{hidden}\n</form>",
        action = esc(&ctx.url(&ctx.title, &[])),
        notice = notice(error),
        submit = submit_button(),
        hidden = hidden_fields(ctx, "enable"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_shown_in_groups_of_four() {
        assert_eq!(
            grouped("3IILULMQJK6PKLSKRIDSLBQE2A6X5LBEG2R44KRNII"),
            "3IIL ULMQ JK6P KLSK RIDS LBQE 2A6X 5LBE G2R4 4KRN II"
        );
        assert_eq!(grouped("GLJJA7JKQQRK64XG"), "GLJJ A7JK QQRK 64XG");
    }

    #[test]
    fn the_qr_code_is_inline_svg_without_style_or_script() {
        let svg = qr_svg("otpauth://totp/OracleWiki%3AAlice?secret=3IILULMQJK6PKLSKRIDSLBQE2A6X5LBEG2R44KRNII&issuer=OracleWiki");
        assert!(
            svg.starts_with(
                "<svg role=\"img\" aria-label=\"QR code\" xmlns=\"http://www.w3.org/2000/svg\""
            ),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("style") && !svg.contains("script") && !svg.contains("<?xml"));
    }
}
