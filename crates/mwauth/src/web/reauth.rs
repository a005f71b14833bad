//! Re-authentication for security-sensitive pages (SpecialPage::checkLoginSecurityLevel):
//! Special:BotPasswords and Special:OATHManage send a user whose last password login is
//! too old back to Special:UserLogin with `force`, keeping a POSTed form for the way back.

use super::{Ctx, Output, Special};
use crate::session::random_hex;

/// Forms a session keeps for its re-login at most (MediaWiki keeps one a tab, without limit;
/// the session is stored and written back on every request, so here it is bounded).
const MAX_KEPT_FORMS: usize = 5;
/// Bytes (names and values) of one kept form at most. This page's own form is far smaller — a
/// bot name of at most 32 bytes, some twenty grant names, the IP ranges typed (16 KiB is
/// some 800 of them) — so a larger POST is not this page's: it is not kept, and the page
/// comes back empty after the login, as for a form that added nothing.
const MAX_KEPT_FORM_BYTES: usize = 16 * 1024;
/// Bytes of all the forms a session keeps at most; the oldest give way first.
const MAX_KEPT_BYTES: usize = 32 * 1024;

/// The bytes a kept form takes, counted as [`MAX_KEPT_FORM_BYTES`] counts them.
fn form_bytes(fields: &[(String, String)]) -> usize {
    fields.iter().map(|(k, v)| k.len() + v.len()).sum()
}

/// Keeps `fields` under `key` in the session's forms, then lets the oldest go until the
/// forms are within [`MAX_KEPT_FORMS`] and [`MAX_KEPT_BYTES`]. False (nothing kept) when the
/// form alone is over [`MAX_KEPT_FORM_BYTES`].
fn keep_form(
    forms: &mut Vec<(String, Vec<(String, String)>)>,
    key: String,
    fields: Vec<(String, String)>,
) -> bool {
    if form_bytes(&fields) > MAX_KEPT_FORM_BYTES {
        return false;
    }
    forms.push((key, fields));
    let mut total: usize = forms.iter().map(|(_, f)| form_bytes(f)).sum();
    while forms.len() > MAX_KEPT_FORMS || total > MAX_KEPT_BYTES {
        let (_, gone) = forms.remove(0);
        total -= form_bytes(&gone);
    }
    true
}

/// The session secret a kept form lives under (`SpecialPage:reauth:{page}:{id}`).
fn reauth_key(level: &str, unique_id: &str) -> String {
    format!("SpecialPage:reauth:{level}:{unique_id}")
}

/// SpecialPage::checkLoginSecurityLevel once the password was given: the form kept for this
/// `postUniqueId`, taken out of the session.
pub(crate) fn restore_form(ctx: &mut Ctx<'_>, level: &str) -> Option<Vec<(String, String)>> {
    let unique_id = ctx.param("postUniqueId").filter(|v| !v.is_empty())?;
    let key = reauth_key(level, unique_id);
    let at = ctx
        .session
        .session()
        .data
        .reauth_forms
        .iter()
        .position(|(k, _)| *k == key)?;
    let (_, fields) = ctx.session.data_mut().reauth_forms.remove(at);
    Some(fields)
}

/// SpecialPage::checkLoginSecurityLevel when the password must be given again: to
/// Special:UserLogin with `force=LEVEL` (the page's name), and back to this page and its
/// query afterwards. With `keep_post`, what a POST added to the query string
/// (`array_diff_assoc`) is kept in the session under a random `postUniqueId`, which the
/// query carries back for [`restore_form`].
pub(crate) fn reauthenticate(ctx: &mut Ctx<'_>, level: &str, keep_post: bool) -> Output {
    let mut query: Vec<(String, String)> = ctx
        .req
        .query
        .iter()
        .filter(|(k, _)| k != "title")
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if ctx.posted() && keep_post {
        let added: Vec<(String, String)> = ctx
            .req
            .body
            .iter()
            .filter(|pair| !ctx.req.query.contains(pair))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !added.is_empty() {
            // MWCryptRand::generateHex( 6 ): one key among the few this session keeps.
            let unique_id = random_hex(6);
            let data = ctx.session.data_mut();
            if keep_form(&mut data.reauth_forms, reauth_key(level, &unique_id), added) {
                ctx.session.persist();
                query.push(("postUniqueId".into(), unique_id));
            }
        }
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    Output::Redirect(ctx.url(
        &Special::UserLogin.title(),
        &[
            ("returnto", ctx.title.as_str()),
            ("returntoquery", &query),
            ("force", level),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_forms_are_bounded_in_count_and_bytes() {
        let form = |bytes: usize| vec![("wprestrictions".to_string(), "x".repeat(bytes - 14))];
        let keys = |forms: &[(String, Vec<(String, String)>)]| {
            forms.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>()
        };
        let mut forms = Vec::new();
        // One form over the cap is not kept at all.
        assert!(!keep_form(
            &mut forms,
            "big".into(),
            form(MAX_KEPT_FORM_BYTES + 1)
        ));
        assert!(forms.is_empty());
        // Small ones: the five newest.
        for i in 0..7 {
            assert!(keep_form(&mut forms, format!("s{i}"), form(100)));
        }
        assert_eq!(keys(&forms), ["s2", "s3", "s4", "s5", "s6"]);
        // Large ones: as many of the newest as fit in MAX_KEPT_BYTES.
        for i in 0..4 {
            assert!(keep_form(
                &mut forms,
                format!("l{i}"),
                form(MAX_KEPT_FORM_BYTES)
            ));
        }
        assert_eq!(keys(&forms), ["l2", "l3"]);
        let total: usize = forms.iter().map(|(_, f)| form_bytes(f)).sum();
        assert!(total <= MAX_KEPT_BYTES);
    }
}
