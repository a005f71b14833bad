//! The message catalogue: English as MediaWiki 1.39 ships it (languages/i18n/en.json,
//! includes/api/i18n/en.json, ParamValidator's en.json), typed here as the catalogue of
//! record, and every other language from the data extracted from MediaWiki's i18n files
//! (`data/i18n/i18n.json`, embedded and parsed once). The API and the account pages both
//! read it.

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../../data/i18n/i18n.json");

#[derive(Deserialize)]
pub(super) struct Data {
    pub(super) aliases: HashMap<String, String>,
    pub(super) fallback: HashMap<String, Vec<String>>,
    pub(super) plural: HashMap<String, Vec<String>>,
    pub(super) digits: HashMap<String, String>,
    /// Grouping and decimal separator; empty: the language says it has no table.
    pub(super) separators: HashMap<String, Vec<String>>,
    pub(super) mingrouping: HashMap<String, usize>,
    /// ICU's digits, grouping separator and primary and secondary grouping sizes.
    pub(super) icu: HashMap<String, (String, String, usize, usize)>,
    pub(super) messages: HashMap<String, HashMap<String, String>>,
}

/// The data, parsed on first use.
pub(super) fn catalogue() -> &'static Data {
    static DATA_PARSED: OnceLock<Data> = OnceLock::new();
    DATA_PARSED.get_or_init(|| serde_json::from_str(DATA).expect("data/i18n/i18n.json is valid"))
}

/// The raw (wikitext) English text of a message key, with its `$n` parameters and
/// `{{PLURAL:…}}` forms.
pub fn english(key: &str) -> Option<&'static str> {
    Some(match key {
        "paramvalidator-missingparam" => "The \"$1\" parameter must be set.",
        "apierror-mustpostparams" => "The following {{PLURAL:$2|parameter was|parameters were}} found in the query string, but must be in the POST body: $1.",
        "apierror-badtoken" => "Invalid CSRF token.",
        "apierror-mustbeposted" => "The <kbd>$1</kbd> module requires a POST request.",
        "paramvalidator-badvalue-enumnotmulti" => "Unrecognized value for parameter \"$1\": $2.",
        "paramvalidator-unrecognizedvalues" => "Unrecognized {{PLURAL:$4|value|values}} for parameter \"$1\": $3",
        "apierror-unrecognizedparams" => "Unrecognized {{PLURAL:$2|parameter|parameters}}: $1.",
        "apierror-assertbotfailed" => "You do not have the <code>bot</code> right, so the action could not be completed.",
        "apierror-assertuserfailed" => "You are no longer logged in, so the action could not be completed.",
        "apierror-assertanonfailed" => "You are no longer logged out, so the action could not be completed.",
        "apierror-assertnameduserfailed" => "You are no longer logged in as \"$1\", so the action could not be completed.",
        "apiwarn-deprecation-login-botpw" => "Main-account login via <kbd>action=login</kbd> is deprecated and may stop working without warning. To continue login with <kbd>action=login</kbd>, see [[Special:BotPasswords]]. To safely continue using main-account login, see <kbd>action=clientlogin</kbd>.",
        "apiwarn-deprecation-login-nobotpw" => "Main-account login via <kbd>action=login</kbd> is deprecated and may stop working without warning. To safely log in, see <kbd>action=clientlogin</kbd>.",
        "apiwarn-deprecation-login-token" => "Fetching a token via <kbd>action=login</kbd> is deprecated. Use <kbd>action=query&meta=tokens&type=login</kbd> instead.",
        "api-usage-mailinglist-ref" => "Subscribe to the mediawiki-api-announce mailing list at &lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; for notice of API deprecations and breaking changes.",
        "api-usage-docref" => "See $1 for API usage.",
        "apiwarn-tokens-origin" => "Tokens may not be obtained when the same-origin policy is not applied.",
        "api-login-fail-badsessionprovider" => "Cannot log in when using $1.",
        "api-login-fail-sameorigin" => "Cannot log in when the same-origin policy is not applied.",
        // OATHAuth 0.5.0 and ConfirmEdit 1.6.0 (with QuestyCaptcha), asked only when on.
        "oathauth-auth-ui" => "Please enter a code from your two-factor authentication application (such as Google Authenticator).",
        "oathauth-login-failed" => "Verification failed.",
        "oathauth-throttled" => "Too many verification attempts! Please wait $1.",
        "oathauth-describe-provider" => "Two-factor authentication (OATH).",
        "oathauth-auth-token-label" => "Two-factor token or recovery code",
        "oathauth-auth-token-help" => "The one-time password used as the second factor of two-factor authentication.",
        // OATHAuth's texts on Special:UserLogin and Special:OATHManage.
        "oathauth-auth-token-help-ui" => "Enter either a code from your authentication device, or a recovery code",
        "oathauth-ui-general-help" => "'''Multi-factor authentication''' ('''MFA''') is an authentication method in which a computer user is granted access only after successfully presenting two or more pieces of evidence (or factors) to an authentication mechanism: knowledge (something the user and only the user knows), possession (something the user and only the user has), and inherence (something the user and only the user is). [https://en.wikipedia.org/wiki/Multi-factor_authentication Read more]",
        "oathauth-ui-enabled-module" => "Enabled authentication method",
        "oathauth-ui-available-modules" => "Available methods",
        "oathauth-module-totp-label" => "TOTP (one-time token)",
        "oathauth-totp-description" => "The Time-based One-Time Password algorithm (TOTP) is an extension of the HMAC-based One-time Password algorithm (HOTP) generating a one-time password by instead taking uniqueness from the current time.",
        "oathauth-enable-generic" => "Enable",
        "oathauth-disable-generic" => "Disable",
        "oathauth-enable-page-title" => "Enable $1",
        "oathauth-disable-page-title" => "Disable $1",
        "oathauth-disable-method-warning-header" => "Confirm disabling of an authentication method",
        "oathauth-disable-method-warning-button-label" => "Confirm and continue",
        "oathauth-disable-method-warning" => "If you disable $1 two-factor authentication method, you will no longer be able to use this method when logging in, and all the data associated with this authentication method will be deleted.",
        "oathauth-totp-disable-warning" => "You will no longer be able to use the authentication device registered with this account. All recovery codes associated with this account will be invalidated.",
        "oathauth-disable-method-next-step" => "On the next step, you will be required to authenticate yourself with your current two-factor authentication method ($1) to be able to disable it.",
        "oathauth-step1" => "Step 1: Download a two-factor authentication program",
        "oathauth-step1-test" => "Download a program for two-factor authentication. That can be a mobile or desktop application, such as [https://authy.com/ Authy], [https://freeotp.github.io/ FreeOTP], [https://support.google.com/accounts/answer/1066447 Google Authenticator] or [https://www.microsoft.com/en-us/account/authenticator/ Microsoft Authenticator]. A browser extension. Or a password manager such as [https://1password.com/ 1Password].",
        "oathauth-step2" => "Step 2: Scan the QR code",
        "oathauth-step2-qrcode" => "Scan the QR code using the application or browser extension you downloaded in step 1 for two-factor authentication.",
        "oathauth-step2alt" => "If you are unable to scan the QR code, enter the secret key and account name manually:",
        "oathauth-secret" => "Two-factor authentication secret key:",
        "oathauth-account" => "Account name:",
        "oathauth-step3" => "Step 3: Write down the recovery codes",
        "oathauth-recoverycodes-important" => "This step is important! Do not skip this step!",
        "oathauth-recoverycodes" => "The following list is a list of one-time use recovery codes. These codes can only be used once, and are for emergency use when you don't have access to your device. Please write these down and keep them in a secure location. It is recommended that you mark each code as used when you have logged in using it. If you lose your device, these codes are the only way to rescue your account. '''These codes will never be shown again'''.",
        "oathauth-step4" => "Step 4: Verification",
        "oathauth-entertoken" => "Enter a code from your authentication device to verify:",
        "oathauth-hint" => "Don't have access to your device or application? You can enter recovery tokens (presented when you enabled 2FA) in this field.",
        "oathauth-validatedoath" => "Validated two-factor credentials. Two-factor authentication will now be enforced.",
        "oathauth-disabledoath" => "Disabled two-factor authentication.",
        "oathauth-failedtovalidateoath" => "Failed to validate two-factor credentials",
        "oathauth-noscratchforvalidation" => "You cannot use a recovery code to confirm two-factor authentication. Recovery codes are for backup and incidental use only. Please use a code from your two-factor authentication application (such as Google Authenticator).",
        "oathauth-invalidrequest" => "Invalid request",
        "captcha-createaccount-fail" => "Incorrect or missing CAPTCHA.",
        "captcha-id-label" => "CAPTCHA ID",
        "captcha-id-help" => "This value should be sent back unchanged.",
        "captcha-info-help" => "Description of the CAPTCHA.",
        "captcha-label" => "CAPTCHA",
        "captcha-help" => "Solution of the CAPTCHA.",
        "captcha-createaccount" => "To protect the wiki against automated account creation, we kindly ask you to solve the following task below and enter the answer in the box ([[Special:Captcha/help|more info]]):",
        "captcha-badlogin" => "To protect the wiki against automated password cracking, we kindly ask you to solve the following task below and enter the answer in the box ([[Special:Captcha/help|more info]]):",
        "questycaptcha-createaccount" => "To protect the wiki against automated account creation, we kindly ask you to answer the question that appears below ([[Special:Captcha/help|more info]]):",
        "questycaptcha-badlogin" => "To protect the wiki against automated password cracking, we kindly ask you to answer the question that appears below ([[Special:Captcha/help|more info]]):",
        "api-login-fail-aborted-nobotpw" => "Authentication requires user interaction, which is not supported by <kbd>action=login</kbd>. To log in, see <kbd>[[Special:ApiHelp/clientlogin|action=clientlogin]]</kbd>.",
        "wrongpassword" => "Incorrect username or password entered.\nPlease try again.",
        "wrongpasswordempty" => "Password entered was blank.\nPlease try again.",
        "authmanager-authn-no-primary" => "The supplied credentials could not be authenticated.",
        "noname" => "You have not specified a valid username.",
        "apierror-permissiondenied" => "You don't have permission to $1.",
        "action-oathauth-api-all" => "check OATH status",
        "apierror-missingparam" => "The <var>$1</var> parameter must be set.",
        "apierror-ratelimited" => "You've exceeded your rate limit. Please wait some time and try again.",
        "paramvalidator-param-deprecated" => "The parameter \"$1\" has been deprecated.",
        "paramvalidator-baduser" => "Invalid value \"$2\" for user parameter <var>$1</var>.",
        // mwauth's own answers to requests PHP would have mangled before MediaWiki saw them.
        "apiwarn-badutf8" => "The value passed for <var>$1</var> contains invalid or non-normalized data. Textual data should be valid, NFC-normalized Unicode without C0 control characters other than HT (\\t), LF (\\n), and CR (\\r).",
        "apierror-exceptioncaughttype" => "[$1] Caught exception of type $2",
        "mwauth-toobig" => "The request body is larger than the limit of $1 bytes.",
        "mwauth-badbody" => "The request body could not be read: $1.",
        "userexists" => "Username entered already in use.\nPlease choose a different name.",
        "badretype" => "The passwords you entered do not match.",
        "authmanager-authn-not-in-progress" => "Authentication is not in progress or session data has been lost. Please start again from the beginning.",
        "authmanager-create-not-in-progress" => "Account creation is not in progress or session data has been lost. Please start again from the beginning.",
        "authmanager-create-disabled" => "Account creation is disabled.",
        "acct_creation_throttle_hit" => "Visitors to this wiki using your IP address have created {{PLURAL:$1|1 account|$1 accounts}} in the last $2, which is the maximum allowed in this time period.\nAs a result, visitors using this IP address cannot create any more accounts at the moment.",
        "apierror-missingparam-at-least-one-of" => "{{PLURAL:$2|The parameter|At least one of the parameters}} $1 is required.",
        "apierror-badurl" => "Invalid value \"$2\" for URL parameter <var>$1</var>.",
        "passwordtooshort" => "Passwords must be at least {{PLURAL:$1|1 character|$1 characters}}.",
        "passwordtoolong" => "Passwords cannot be longer than {{PLURAL:$1|1 character|$1 characters}}.",
        "password-substring-username-match" => "Your password must not appear within your username.",
        "passwordincommonlist" => "The password entered is in a list of very commonly used passwords. Please choose a more unique password.",
        "password-login-forbidden" => "The use of this username and password has been forbidden.",
        "nosuchuser" => "There is no user by the name \"$1\".\nUsernames are case-sensitive.\nCheck your spelling, or [[Special:CreateAccount|create a new account]].",
        "login-throttled" => "You have made too many recent login attempts.\nPlease wait $1 before trying again.",
        "botpasswords-needs-reset" => "The bot password for bot name \"$2\" of {{GENDER:$1|user}} \"$1\" must be reset.",
        "botpasswords-locked" => "You cannot login with a bot password as your account is locked.",
        "authpage-cannot-login-continue" => "Unable to continue login. Your session most likely timed out.",
        "api-login-fail-aborted" => "Authentication requires user interaction, which is not supported by <kbd>action=login</kbd>. To be able to login with <kbd>action=login</kbd>, see [[Special:BotPasswords]]. To continue using main-account login, see <kbd>[[Special:ApiHelp/clientlogin|action=clientlogin]]</kbd>.",
        "apierror-writeapidenied" => "You're not allowed to edit this wiki through the API.",
        "apierror-readapidenied" => "You need read permission to use this module.",
        "apiwarn-checktoken-percentencoding" => "Check that symbols such as \"+\" in the token are properly percent-encoded in the URL.",
        "paramvalidator-badinteger" => "Invalid value \"$2\" for integer parameter \"$1\".",
        "paramvalidator-outofrange-minmax" => "The value \"$2\" for parameter \"$1\" must be between $3 and $4.",
        "apierror-invalidmethod" => "Invalid HTTP method. Consider using GET or POST.",
        "apierror-badvalue-notmultivalue" => "U+001F multi-value separation may only be used for multi-valued parameters.",
        "paramvalidator-toomanyvalues" => "Too many values supplied for parameter \"$1\". The limit is $2.",
        "apierror-maxlag-generic" => "Waiting for a database server: $1 {{PLURAL:$1|second|seconds}} lagged.",
        "cannotlogoutnow-text" => "Logging out is not possible when using $1.",
        "apiwarn-errorprinterfailed" => "Error printer failed. Will retry without params.",
        "apierror-unknownformat" => "Unrecognized format \"$1\".",
        "apiwarn-deprecation-parameter" => "The parameter <var>$1</var> has been deprecated.",
        "apierror-badmodule-badsubmodule" => "The module <kbd>$1</kbd> does not have a submodule \"$2\".",
        "apierror-badmodule-nosubmodules" => "The module <kbd>$1</kbd> has no submodules.",
        "apierror-siteinfo-includealldenied" => "Cannot view all servers' info unless <var>$wgShowHostnames</var> is true.",
        // The account pages (Special:UserLogin, CreateAccount, BotPasswords).
        "sessionfailure" => "There seems to be a problem with your login session;\nthis action has been canceled as a precaution against session hijacking.\nPlease resubmit the form.",
        "nocookieslogin" => "{{SITENAME}} uses cookies to log in users.\nYou have cookies disabled.\nPlease enable them and try again.",
        "nocookiesfornew" => "The user account was not created, as we could not confirm its source.\nEnsure you have cookies enabled, reload this page and try again.",
        "userlogin-reauth" => "You must log in again to verify that you are {{GENDER:$1|$1}}.",
        "userlogin-loggedin" => "You are already logged in as {{GENDER:$1|$1}}.\nUse the form below to log in as another user.",
        "htmlform-required" => "This value is required.",
        "exception-nologin-text" => "Please log in to be able to access this page or action.",
        "logouttext" => "<strong>You are now logged out.</strong>\n\nNote that some pages may continue to be displayed as if you were still logged in, until you clear your browser cache.",
        "restrictionsfield-help" => "One IP address or CIDR range per line. To enable everything, use:<pre>0.0.0.0/0\n::/0</pre>",
        "restrictionsfield-badip" => "Invalid IP address or range: $1",
        "botpasswords-summary" => "<em>Bot passwords</em> allow access to a user account via the API without using the account's main login credentials. The user rights available when logged in with a bot password may be restricted.\n\nIf you don't know why you might want to do this, you should probably not do it. No one should ever ask you to generate one of these and give it to them.",
        "botpasswords-bad-appid" => "The bot name \"$1\" is not valid.",
        "botpasswords-insert-failed" => "Failed to add bot name \"$1\". Was it already added?",
        "botpasswords-update-failed" => "Failed to update bot name \"$1\". Was it deleted?",
        "botpasswords-created-title" => "Bot password created",
        "botpasswords-created-body" => "The bot password for bot name \"$1\" of {{GENDER:$2|user}} \"$2\" was created.",
        "botpasswords-updated-title" => "Bot password updated",
        "botpasswords-updated-body" => "The bot password for bot name \"$1\" of {{GENDER:$2|user}} \"$2\" was updated.",
        "botpasswords-deleted-title" => "Bot password deleted",
        "botpasswords-deleted-body" => "The bot password for bot name \"$1\" of {{GENDER:$2|user}} \"$2\" was deleted.",
        "mwauth-unknown-group" => "There is no user group \"$1\".",
        "mwauth-unknown-grant" => "There is no grant \"$1\".",
        "mwauth-botpassword-bad-password" => "Bot passwords must be at least 32 characters of 0-9 and a-w.",
        // Without its last sentence: mwauth serves no Special:ListGrants to link to.
        "mwauth-botpasswords-help-grants" => "Grants allow access to rights already held by your user account. Enabling a grant here does not provide access to any rights that your user account would not otherwise have.",
        "grant-basic" => "Basic rights",
        "grant-highvolume" => "High-volume editing",
        "grant-import" => "Import revisions",
        "grant-editpage" => "Edit existing pages",
        "grant-editprotected" => "Edit protected pages",
        "grant-editmycssjs" => "Edit your user CSS/JSON/JavaScript",
        "grant-editmyoptions" => "Edit your user preferences and JSON configuration",
        "grant-editinterface" => "Edit the MediaWiki namespace and sitewide/user JSON",
        "grant-editsiteconfig" => "Edit sitewide and user CSS/JS",
        "grant-createeditmovepage" => "Create, edit, and move pages",
        "grant-uploadfile" => "Upload new files",
        "grant-uploadeditmovefile" => "Upload, replace, and move files",
        "grant-patrol" => "Patrol changes to pages",
        "grant-rollback" => "Rollback changes to pages",
        "grant-blockusers" => "Block and unblock users",
        "grant-viewdeleted" => "View deleted files and pages",
        "grant-viewrestrictedlogs" => "View restricted log entries",
        "grant-delete" => "Delete pages, revisions, and log entries",
        "grant-oversight" => "Hide users and suppress revisions",
        "grant-protect" => "Protect and unprotect pages",
        "grant-viewmywatchlist" => "View your watchlist",
        "grant-editmywatchlist" => "Edit your watchlist",
        "grant-sendemail" => "Send email to other users",
        "grant-createaccount" => "Create accounts",
        "grant-privateinfo" => "Access private information",
        "grant-mergehistory" => "Merge page histories",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::test_support::{lang, plain};

    #[test]
    fn english_comes_from_the_catalogue() {
        for key in catalogue().messages["en"].keys() {
            if let Some(raw) = english(key) {
                assert_eq!(raw, catalogue().messages["en"][key], "{key}");
            }
        }
        assert_eq!(
            lang("en").text("apierror-mustpostparams", &plain(&["a, b", "2"])),
            "The following parameters were found in the query string, but must be in the POST body: a, b."
        );
    }
}
