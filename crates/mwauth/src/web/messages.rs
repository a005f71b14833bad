//! The pages' English texts, as MediaWiki 1.39 ships them (languages/i18n/en.json), with
//! `{{SITENAME}}`, `{{PLURAL}}`, `{{GENDER}}` and `$n` resolved. Line breaks are kept: they
//! render as spaces.

use crate::auth::login::Refusal;
use crate::user::policy::PolicyFailure;

/// sessionfailure: a form's token was missing or did not match the session's.
pub const SESSIONFAILURE: &str = "There seems to be a problem with your login session;\nthis action has been canceled as a precaution against session hijacking.\nPlease resubmit the form.";

/// nocookiesforlogin (= nocookieslogin): the session had no login token when the form came.
pub fn nocookies_login(sitename: &str) -> String {
    format!("{sitename} uses cookies to log in users.\nYou have cookies disabled.\nPlease enable them and try again.")
}

/// nocookiesfornew: the session had no create-account token when the form came.
pub const NOCOOKIES_NEW: &str = "The user account was not created, as we could not confirm its source.\nEnsure you have cookies enabled, reload this page and try again.";

/// userlogin-loggedin.
/// `userlogin-reauth`.
pub fn reauth(name: &str) -> String {
    format!("You must log in again to verify that you are {name}.")
}

pub fn already_logged_in(name: &str) -> String {
    format!("You are already logged in as {name}.\nUse the form below to log in as another user.")
}

pub const BOTPASSWORDS_SUMMARY_1: &str = "allow access to a user account via the API without using the account's main login credentials. The user rights available when logged in with a bot password may be restricted.";
pub const BOTPASSWORDS_SUMMARY_2: &str = "If you don't know why you might want to do this, you should probably not do it. No one should ever ask you to generate one of these and give it to them.";
pub const BOTPASSWORDS_HELP_GRANTS: &str = "Grants allow access to rights already held by your user account. Enabling a grant here does not provide access to any rights that your user account would not otherwise have.";
pub const RESTRICTIONS_HELP: &str =
    "One IP address or CIDR range per line. To enable everything, use:";
pub const LOGOUT_NOTE: &str = "Note that some pages may continue to be displayed as if you were still logged in, until you clear your browser cache.";

/// The text of a login or account-creation refusal.
pub fn refusal(r: &Refusal, sitename: &str) -> String {
    let p = |i: usize| r.params.get(i).map(String::as_str).unwrap_or("");
    match r.key {
        "wrongpassword" => "Incorrect username or password entered.\nPlease try again.".into(),
        "wrongpasswordempty" => "Password entered was blank.\nPlease try again.".into(),
        "authmanager-authn-no-primary" => "The supplied credentials could not be authenticated.".into(),
        "login-throttled" => format!(
            "You have made too many recent login attempts.\nPlease wait {} before trying again.",
            p(0)
        ),
        "botpasswords-needs-reset" => format!(
            "The bot password for bot name \"{}\" of user \"{}\" must be reset.",
            p(1),
            p(0)
        ),
        "noname" => "You have not specified a valid username.".into(),
        "userexists" => "Username entered already in use.\nPlease choose a different name.".into(),
        "badretype" => "The passwords you entered do not match.".into(),
        "authmanager-create-disabled" => "Account creation is disabled.".into(),
        "acct_creation_throttle_hit" => format!(
            "Visitors to this wiki using your IP address have created {} in the last {}, which is the maximum allowed in this time period.\nAs a result, visitors using this IP address cannot create any more accounts at the moment.",
            if p(0) == "1" { "1 account".to_string() } else { format!("{} accounts", p(0)) },
            p(1)
        ),
        key => {
            let failure = PolicyFailure {
                key,
                params: r.params.clone(),
                fatal: false,
            };
            let text = failure.text();
            if text == key {
                // A refusal without an English text here: say so plainly rather than
                // showing a message key.
                format!("{sitename} could not complete this ({key}).")
            } else {
                text
            }
        }
    }
}

/// `grant-…`: what a grant is called on Special:BotPasswords.
pub fn grant(name: &str) -> &'static str {
    match name {
        "basic" => "Basic rights",
        "highvolume" => "High-volume editing",
        "import" => "Import revisions",
        "editpage" => "Edit existing pages",
        "editprotected" => "Edit protected pages",
        "editmycssjs" => "Edit your user CSS/JSON/JavaScript",
        "editmyoptions" => "Edit your user preferences and JSON configuration",
        "editinterface" => "Edit the MediaWiki namespace and sitewide/user JSON",
        "editsiteconfig" => "Edit sitewide and user CSS/JS",
        "createeditmovepage" => "Create, edit, and move pages",
        "uploadfile" => "Upload new files",
        "uploadeditmovefile" => "Upload, replace, and move files",
        "patrol" => "Patrol changes to pages",
        "rollback" => "Rollback changes to pages",
        "blockusers" => "Block and unblock users",
        "viewdeleted" => "View deleted files and pages",
        "viewrestrictedlogs" => "View restricted log entries",
        "delete" => "Delete pages, revisions, and log entries",
        "oversight" => "Hide users and suppress revisions",
        "protect" => "Protect and unprotect pages",
        "viewmywatchlist" => "View your watchlist",
        "editmywatchlist" => "Edit your watchlist",
        "sendemail" => "Send email to other users",
        "createaccount" => "Create accounts",
        "privateinfo" => "Access private information",
        "mergehistory" => "Merge page histories",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::rights;

    #[test]
    fn every_grant_has_its_mediawiki_name() {
        for (g, _) in rights::grants() {
            assert!(!grant(g).is_empty(), "{g}");
        }
    }

    #[test]
    fn refusal_texts() {
        let r = |key, params: &[&str]| Refusal {
            key,
            params: params.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            refusal(&r("wrongpassword", &[]), "W"),
            "Incorrect username or password entered.\nPlease try again."
        );
        assert_eq!(
            refusal(&r("passwordtooshort", &["10"]), "W"),
            "Passwords must be at least 10 characters."
        );
        assert!(refusal(&r("acct_creation_throttle_hit", &["1", "1 day"]), "W")
            .starts_with("Visitors to this wiki using your IP address have created 1 account in the last 1 day,"));
    }
}
