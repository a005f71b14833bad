//! English message texts, exactly as MediaWiki 1.39 ships them (languages/i18n/en.json,
//! includes/api/i18n/en.json, ParamValidator's en.json), with `$n` parameters and the
//! `{{PLURAL:…}}` forms the API uses.

/// The raw (wikitext) English text of a message key.
pub fn raw(key: &str) -> Option<&'static str> {
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
        "wrongpassword" => "Incorrect username or password entered.\nPlease try again.",
        "wrongpasswordempty" => "Password entered was blank.\nPlease try again.",
        "authmanager-authn-no-primary" => "The supplied credentials could not be authenticated.",
        "noname" => "You have not specified a valid username.",
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
        _ => return None,
    })
}

/// Fills `$1…$n` and resolves `{{PLURAL:$n|one|other}}` (English: 1 is singular) and
/// `{{GENDER:…|x}}` (unknown gender: the neutral form, the last one).
pub fn fill(template: &str, params: &[String]) -> String {
    let mut out = template.to_string();
    while let Some(start) = out.find("{{") {
        let Some(len) = out[start..].find("}}") else {
            break;
        };
        let inner = &out[start + 2..start + len];
        let replacement = if let Some(rest) = inner.strip_prefix("PLURAL:") {
            let mut forms = rest.split('|');
            let n = substitute(forms.next().unwrap_or(""), params);
            let forms: Vec<&str> = forms.collect();
            let one = n.trim().parse::<f64>().map(|v| v == 1.0).unwrap_or(false);
            let pick = if one {
                forms.first()
            } else {
                forms.get(1).or(forms.first())
            };
            pick.copied().unwrap_or("").to_string()
        } else if let Some(rest) = inner.strip_prefix("GENDER:") {
            rest.rsplit('|').next().unwrap_or("").to_string()
        } else {
            inner.to_string()
        };
        out.replace_range(start..start + len + 2, &replacement);
    }
    substitute(&out, params)
}

fn substitute(s: &str, params: &[String]) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit() {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            let n: usize = s[i + 1..j].parse().unwrap_or(0);
            match n.checked_sub(1).and_then(|k| params.get(k)) {
                Some(p) => out.push_str(p),
                None => out.push_str(&s[i..j]),
            }
            i = j;
        } else {
            let c = s[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// ApiErrorFormatter::stripMarkup for the plain-text forms: semantic tags become quotes,
/// other tags go (block-level ones leave a space, `style`/`script` take their content
/// along), entities are decoded, and runs of whitespace become one space, trimmed
/// (Sanitizer::stripAllTags).
pub fn strip_markup(text: &str) -> String {
    let mut s = text.to_string();
    for tag in ["var", "kbd", "samp", "code"] {
        s = s
            .replace(&format!("<{tag}>"), "\"")
            .replace(&format!("</{tag}>"), "\"");
    }
    // RemexStripTagHandler's block-level tags.
    const BLOCK: &str = "address article aside blockquote br canvas dd div dl dt fieldset \
        figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav noscript \
        ol output p pre section table td tfoot th tr ul video";
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    let mut hidden = false;
    while let Some(i) = rest.find('<') {
        if !hidden {
            out.push_str(&rest[..i]);
        }
        let after = &rest[i..];
        let is_tag = after[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '/');
        match (is_tag, after.find('>')) {
            (true, Some(j)) => {
                let name: String = after[1..j]
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if name == "style" || name == "script" {
                    hidden = !after[1..].starts_with('/');
                }
                if BLOCK.split_whitespace().any(|b| b == name) {
                    out.push(' ');
                }
                rest = &after[j + 1..];
            }
            _ => {
                if !hidden {
                    out.push('<');
                }
                rest = &after[1..];
            }
        }
    }
    if !hidden {
        out.push_str(rest);
    }
    let decoded = decode_entities(&out);
    let mut collapsed = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        if matches!(c, ' ' | '\r' | '\n' | '\t') {
            if !collapsed.ends_with(' ') {
                collapsed.push(' ');
            }
        } else {
            collapsed.push(c);
        }
    }
    collapsed
        .trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b'])
        .to_string()
}

/// Sanitizer::decodeCharReferences, in one pass: numeric references and the named ones
/// MediaWiki's messages use.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let decoded = after.find(';').filter(|&j| j <= 10).and_then(|j| {
            let name = &after[..j];
            let c = if let Some(num) = name.strip_prefix('#') {
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse::<u32>().ok()?,
                };
                char::from_u32(code)?
            } else {
                match name {
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    "amp" => '&',
                    "nbsp" => '\u{a0}',
                    "shy" => '\u{ad}',
                    "ndash" => '\u{2013}',
                    "mdash" => '\u{2014}',
                    "hellip" => '\u{2026}',
                    "laquo" => '\u{ab}',
                    "raquo" => '\u{bb}',
                    _ => return None,
                }
            };
            Some((c, j))
        });
        // HTML's legacy references also decode without their semicolon.
        let legacy = || {
            [("amp", '&'), ("lt", '<'), ("gt", '>'), ("quot", '"')]
                .into_iter()
                .find(|(name, _)| after.starts_with(name))
        };
        match decoded {
            Some((c, j)) => {
                out.push(c);
                rest = &after[j + 1..];
            }
            None => match legacy() {
                Some((name, c)) => {
                    out.push(c);
                    rest = &after[name.len()..];
                }
                None => {
                    out.push('&');
                    rest = after;
                }
            },
        }
    }
    out.push_str(rest);
    out
}

/// The plain English text of a message.
pub fn text(key: &str, params: &[String]) -> String {
    strip_markup(&fill(raw(key).unwrap_or(key), params))
}

/// Language::commaList.
pub fn comma_list(items: &[String]) -> String {
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_and_parameters() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(text("apierror-mustpostparams", &p(&["token", "1"])), "The following parameter was found in the query string, but must be in the POST body: token.");
        assert_eq!(text("apierror-mustpostparams", &p(&["a, b", "2"])), "The following parameters were found in the query string, but must be in the POST body: a, b.");
        assert_eq!(
            text("apierror-mustbeposted", &p(&["login"])),
            "The \"login\" module requires a POST request."
        );
    }

    #[test]
    fn strip_markup_matches_the_golden_texts() {
        assert_eq!(
            text("wrongpassword", &[]),
            "Incorrect username or password entered. Please try again."
        );
        assert_eq!(
            text("api-usage-mailinglist-ref", &[]),
            "Subscribe to the mediawiki-api-announce mailing list at <https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/> for notice of API deprecations and breaking changes."
        );
        assert_eq!(
            text("apiwarn-deprecation-login-token", &[]),
            "Fetching a token via \"action=login\" is deprecated. Use \"action=query&meta=tokens&type=login\" instead."
        );
        assert_eq!(
            text("apierror-assertbotfailed", &[]),
            "You do not have the \"bot\" right, so the action could not be completed."
        );
    }
}
