//! `$wgPasswordPolicy` exactly as MediaWiki 1.39 sets it by default: what a password must meet.
//!
//! Ported from `includes/password/UserPasswordPolicy.php` and `PasswordPolicyChecks.php`, with
//! the default configuration from `MainConfigSchema::PasswordPolicy`:
//!
//! | group                                          | policy                                     |
//! |------------------------------------------------|--------------------------------------------|
//! | `default` (everyone)                           | `MinimalPasswordLength` 1, `PasswordCannotBeSubstringInUsername`, `PasswordCannotMatchDefaults`, `MaximalPasswordLength` 4096, `PasswordNotInCommonList` (all `suggestChangeOnLogin`) |
//! | `bureaucrat`, `sysop`, `interface-admin`, `bot` | `MinimalPasswordLength` 10, `MinimumPasswordLengthToLogin` 1 |
//!
//! A user's effective policy starts from `default` and takes, for every group the user is in,
//! the maximum of each value (`UserPasswordPolicy::maxOfPolicies`); the checks then run in the
//! order of the merged policy's keys, i.e. the `default` order with `MinimumPasswordLengthToLogin`
//! appended. Every failing check is reported, like MediaWiki's `Status`.
//!
//! Lengths are in bytes of UTF-8 (PHP's `strlen`), not characters; the user-name comparison folds
//! ASCII case only (PHP 8.2's `stripos`); `PasswordNotInCommonList` is a bit-exact port of the
//! Bloom filter in wikimedia/common-passwords 0.4.0 (see [`is_common`]).

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// `MaximalPasswordLength` of the `default` policy, which no other group raises: the longest
/// password, in bytes, MediaWiki sets or compares. PasswordPolicyChecks adds a longer one as a
/// fatal error (against denial of service through expensive hashing), so a login with it fails
/// before any hashing (see [`login_refusal`]).
pub const MAXIMAL_PASSWORD_LENGTH: usize = 4096;

/// One failed policy check: the MediaWiki message key and its parameters, in the order
/// `UserPasswordPolicy::checkUserPasswordForGroups` reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyFailure {
    /// `passwordtooshort`, `passwordtoolong`, `password-substring-username-match`,
    /// `password-login-forbidden` or `passwordincommonlist`.
    pub key: &'static str,
    /// The message parameters as MediaWiki passes them (the length limit for the two length
    /// messages, none for the others).
    pub params: Vec<String>,
    /// MediaWiki added this failure with `Status::fatal` (`MaximalPasswordLength`,
    /// `MinimumPasswordLengthToLogin`): the status is not OK, so the user may not even log in
    /// with this password. Non-fatal failures only stop setting the password; on login they
    /// make MediaWiki suggest a password change (every non-fatal default policy has
    /// `suggestChangeOnLogin`), unless some failure is fatal.
    pub fatal: bool,
}

impl PolicyFailure {
    /// The English text of the message (`languages/i18n/en.json`, `{{PLURAL}}` resolved).
    pub fn text(&self) -> String {
        let plural_chars = |n: &str| {
            if n.trim().parse::<f64>() == Ok(1.0) {
                "1 character".to_string()
            } else {
                format!("{n} characters")
            }
        };
        let p1 = self.params.first().map(String::as_str).unwrap_or("");
        match self.key {
            "passwordtooshort" => format!("Passwords must be at least {}.", plural_chars(p1)),
            "passwordtoolong" => format!("Passwords cannot be longer than {}.", plural_chars(p1)),
            "passwordincommonlist" => "The password entered is in a list of very commonly used passwords. Please choose a more unique password.".into(),
            "password-substring-username-match" => {
                "Your password must not appear within your username.".into()
            }
            "password-login-forbidden" => {
                "The use of this username and password has been forbidden.".into()
            }
            other => other.to_string(),
        }
    }
}

/// The checks of `$wgPasswordPolicy['checks']` that the default configuration uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    MinimalPasswordLength,
    MinimumPasswordLengthToLogin,
    PasswordCannotBeSubstringInUsername,
    PasswordCannotMatchDefaults,
    MaximalPasswordLength,
    PasswordNotInCommonList,
}

/// One statement of a group's policy; booleans are 0/1 (PHP's `max(true, false)` agrees).
#[derive(Clone, Copy, Debug)]
struct Setting {
    check: Check,
    value: u64,
    suggest_change_on_login: bool,
}

const fn s(check: Check, value: u64, suggest_change_on_login: bool) -> Setting {
    Setting {
        check,
        value,
        suggest_change_on_login,
    }
}

const PRIVILEGED: &[Setting] = &[
    s(Check::MinimalPasswordLength, 10, false),
    s(Check::MinimumPasswordLengthToLogin, 1, false),
];

const DEFAULT: &[Setting] = &[
    s(Check::MinimalPasswordLength, 1, true),
    s(Check::PasswordCannotBeSubstringInUsername, 1, true),
    s(Check::PasswordCannotMatchDefaults, 1, true),
    s(
        Check::MaximalPasswordLength,
        MAXIMAL_PASSWORD_LENGTH as u64,
        true,
    ),
    s(Check::PasswordNotInCommonList, 1, true),
];

/// `$wgPasswordPolicy['policies']`, in its order (`default` is a key like the others).
const POLICIES: &[(&str, &[Setting])] = &[
    ("bureaucrat", PRIVILEGED),
    ("sysop", PRIVILEGED),
    ("interface-admin", PRIVILEGED),
    ("bot", PRIVILEGED),
    ("default", DEFAULT),
];

/// `UserPasswordPolicy::getPoliciesForGroups` with `maxOfPolicies`: start from `default`, merge
/// in every group of `groups` by taking maxima; keys keep their first position.
fn effective_policy(groups: &[String]) -> Vec<Setting> {
    let mut effective = DEFAULT.to_vec();
    for (group, policy) in POLICIES {
        if !groups.iter().any(|g| g == group) {
            continue;
        }
        for setting in *policy {
            match effective.iter_mut().find(|e| e.check == setting.check) {
                Some(e) => {
                    e.value = e.value.max(setting.value);
                    e.suggest_change_on_login |= setting.suggest_change_on_login;
                }
                None => effective.push(*setting),
            }
        }
    }
    effective
}

/// `PasswordPolicyChecks::checkPasswordCannotMatchDefaults`' `$blockedLogins`.
const BLOCKED_LOGINS: &[(&str, &str)] = &[
    ("Useruser", "Passpass"),
    ("Useruser1", "Passpass1"),
    ("Apitestsysop", "testpass"),
    ("Apitestuser", "testpass"),
];

/// PHP's `stripos( $haystack, $needle ) !== false` (PHP 8.2: ASCII case folding, and an empty
/// needle is found everywhere).
fn stripos_found(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Every policy check `password` fails for `user_name` in `groups`, in MediaWiki's order, as
/// `UserPasswordPolicy::checkUserPasswordForGroups` reports them. Empty when the password is
/// acceptable. The first failure's `key` is what the API gives as `messagecode`.
///
/// `user_name` is compared as given (MediaWiki passes the canonical name); `groups` are the
/// user's (effective) groups, e.g. `["sysop"]`.
pub fn check_detailed(user_name: &str, password: &str, groups: &[String]) -> Vec<PolicyFailure> {
    let len = password.len() as u64;
    let mut failures: Vec<PolicyFailure> = Vec::new();
    for setting in effective_policy(groups) {
        let v = setting.value;
        let failed: Option<(&'static str, Vec<String>, bool)> = match setting.check {
            Check::MinimalPasswordLength => {
                (v > len).then(|| ("passwordtooshort", vec![v.to_string()], false))
            }
            Check::MinimumPasswordLengthToLogin => {
                (v > len).then(|| ("passwordtooshort", vec![v.to_string()], true))
            }
            Check::MaximalPasswordLength => {
                (v < len).then(|| ("passwordtoolong", vec![v.to_string()], true))
            }
            Check::PasswordCannotBeSubstringInUsername => (v != 0
                && stripos_found(user_name, password))
            .then(|| ("password-substring-username-match", vec![], false)),
            Check::PasswordCannotMatchDefaults => (v != 0
                && (BLOCKED_LOGINS.contains(&(user_name, password))
                    || password == "ExamplePassword"))
                .then(|| ("password-login-forbidden", vec![], false)),
            Check::PasswordNotInCommonList => {
                (v != 0 && is_common(password)).then(|| ("passwordincommonlist", vec![], false))
            }
        };
        let Some((key, params, fatal)) = failed else {
            continue;
        };
        // StatusValue::addError keeps one copy of an identical message (key and params).
        match failures
            .iter_mut()
            .find(|f| f.key == key && f.params == params)
        {
            Some(existing) => existing.fatal |= fatal,
            None => failures.push(PolicyFailure { key, params, fatal }),
        }
    }
    failures
}

/// `Ok` when `password` meets the policy, otherwise MediaWiki's English
/// `Status::getMessage()->text()`: the one failure's text, or with several a list of
/// `"* text"` lines joined by `"\n"`.
pub fn check(user_name: &str, password: &str, groups: &[String]) -> Result<(), String> {
    let failures = check_detailed(user_name, password, groups);
    match failures.as_slice() {
        [] => Ok(()),
        [only] => Err(only.text()),
        many => Err(many
            .iter()
            .map(|f| format!("* {}", f.text()))
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// AbstractPasswordPrimaryAuthenticationProvider::checkPasswordValidity as a login uses it,
/// once the account is found and before the password is compared with its hash: a policy
/// failure that is fatal (over [`MAXIMAL_PASSWORD_LENGTH`]; `MinimumPasswordLengthToLogin`)
/// fails the login with its message. Non-fatal failures do not stop a login.
///
/// MediaWiki's message is the whole status; a password that fails a fatal check fails no
/// other one in practice (it is too long to be in the common list or inside a user name), so
/// the fatal failure alone is returned.
pub fn login_refusal(user_name: &str, password: &str, groups: &[String]) -> Option<PolicyFailure> {
    check_detailed(user_name, password, groups)
        .into_iter()
        .find(|f| f.fatal)
}

/// The Bloom filter of wikimedia/common-passwords 0.4.0 (`common-x64.json`, the 100,000 most
/// common passwords of SecLists), as raw bit bytes: see `data/README.md`.
static COMMON_FILTER: &[u8; 359_440] = include_bytes!("../../data/common-passwords-x64.bin");
/// `bit_array.len` and `hashers.max` of the filter.
const COMMON_FILTER_BITS: u64 = 2_875_518;
/// `hashers.count`: HMAC-SHA1 keyed with "0", "1", …, "19".
const COMMON_FILTER_HASHERS: u32 = 20;

/// `\Wikimedia\CommonPasswords\CommonPasswords::isCommon` on 64-bit PHP, bit for bit: whether
/// pleonasm/bloom-filter's `BloomFilter::exists` finds `password` (its UTF-8 bytes) in the
/// filter. Like any Bloom filter it has false positives (about one in a million, by design);
/// they are MediaWiki's too.
pub fn is_common(password: &str) -> bool {
    (0..COMMON_FILTER_HASHERS).all(|i| {
        // HasherList::hash: hash_hmac('sha1', $value, (string) $i, true), the first four
        // big-endian 16-bit words with the top bit cleared, as one 63-bit integer, mod max.
        let mut mac = Hmac::<Sha1>::new_from_slice(i.to_string().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(password.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let bit = (u64::from_be_bytes(first) & 0x7FFF_FFFF_FFFF_FFFF) % COMMON_FILTER_BITS;
        // BitArray::offsetGet: byte floor(bit / 8), mask 2 ** (bit % 8).
        COMMON_FILTER[(bit / 8) as usize] & (1 << (bit % 8)) != 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn groups(g: &[&str]) -> Vec<String> {
        g.iter().map(|s| s.to_string()).collect()
    }

    fn keys(f: &[PolicyFailure]) -> Vec<&'static str> {
        f.iter().map(|f| f.key).collect()
    }

    #[test]
    fn filter_size_matches_its_bit_length() {
        assert_eq!(COMMON_FILTER.len() as u64, COMMON_FILTER_BITS.div_ceil(8));
    }

    #[test]
    fn common_passwords() {
        for pw in [
            "password",
            "123456",
            "qwerty",
            "letmein",
            "Password1",
            "iloveyou",
        ] {
            assert!(is_common(pw), "{pw}");
        }
        for pw in [
            "",
            "ExamplePassword",
            "correct horse battery staple",
            "Zq9!xK2#vL",
            "пароль",
        ] {
            assert!(!is_common(pw), "{pw}");
        }
    }

    #[test]
    fn privileged_groups_need_ten_bytes() {
        let f = check_detailed("Admin", "short-pw", &groups(&["sysop"]));
        assert_eq!(
            f,
            vec![PolicyFailure {
                key: "passwordtooshort",
                params: vec!["10".into()],
                fatal: false
            }]
        );
        assert_eq!(
            check("Admin", "short-pw", &groups(&["sysop"])),
            Err("Passwords must be at least 10 characters.".into())
        );
        // Bytes, not characters: five two-byte characters are long enough.
        assert!(check("Admin", "ééééé", &groups(&["bot"])).is_ok());
        assert!(check("Alice", "s", &[]).is_ok());
    }

    #[test]
    fn every_failure_in_order() {
        let f = check_detailed("Alice", "", &groups(&["sysop"]));
        assert_eq!(
            keys(&f),
            [
                "passwordtooshort",
                "password-substring-username-match",
                "passwordtooshort"
            ]
        );
        assert_eq!((f[0].fatal, f[2].fatal), (false, true));
        assert_eq!(
            check("Alice", "", &groups(&["sysop"])).unwrap_err(),
            "* Passwords must be at least 10 characters.\n\
             * Your password must not appear within your username.\n\
             * Passwords must be at least 1 character."
        );
    }

    #[test]
    fn only_a_fatal_failure_refuses_a_login() {
        // Bytes, not characters: 2049 "ä" are 4098 bytes.
        for long in ["a".repeat(4097), "\u{e4}".repeat(2049)] {
            let f = login_refusal("Alice", &long, &[]).expect("too long");
            assert_eq!(
                (f.key, f.params.as_slice()),
                ("passwordtoolong", &["4096".to_string()][..])
            );
            assert_eq!(f.text(), "Passwords cannot be longer than 4096 characters.");
            assert!(login_refusal("Admin", &long, &groups(&["sysop"])).is_some());
        }
        assert_eq!(
            login_refusal("Alice", &"a".repeat(MAXIMAL_PASSWORD_LENGTH), &[]),
            None
        );
        // Non-fatal failures (common, inside the name, too short for a sysop) do not.
        assert_eq!(login_refusal("Alice", "password", &[]), None);
        assert_eq!(login_refusal("Alice", "lic", &[]), None);
        assert_eq!(login_refusal("Admin", "short", &groups(&["sysop"])), None);
    }

    #[test]
    fn name_defaults_and_length() {
        assert_eq!(
            keys(&check_detailed("Alicebot", "ALICE", &[])),
            ["password-substring-username-match"]
        );
        assert_eq!(
            keys(&check_detailed("Useruser", "Passpass", &[])),
            ["password-login-forbidden"]
        );
        assert_eq!(
            keys(&check_detailed("Apitestuser", "testpass", &[])),
            ["password-login-forbidden", "passwordincommonlist"]
        );
        assert!(check("Useruser", "passpasS", &[]).is_ok());
        assert_eq!(
            keys(&check_detailed("Bob", "ExamplePassword", &[])),
            ["password-login-forbidden"]
        );
        let long = check_detailed("Alice", &"x".repeat(4097), &[]);
        assert_eq!(keys(&long), ["passwordtoolong"]);
        assert!(long[0].fatal);
        assert_eq!(
            long[0].text(),
            "Passwords cannot be longer than 4096 characters."
        );
    }

    /// `data/policy-vectors.json`, written by MediaWiki 1.39 itself (`data/policy-vectors.php`).
    fn vectors() -> Value {
        serde_json::from_str(include_str!("../../data/policy-vectors.json")).unwrap()
    }

    fn password(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Object(o) => o["repeat"]
                .as_str()
                .unwrap()
                .repeat(o["times"].as_u64().unwrap() as usize),
            other => panic!("bad password {other}"),
        }
    }

    #[test]
    fn common_list_matches_mediawiki() {
        let v = vectors();
        let cases = v["common"].as_array().unwrap();
        assert_eq!(cases.len(), 200);
        for case in cases {
            let pw = password(&case[0]);
            assert_eq!(
                is_common(&pw),
                case[1].as_bool().unwrap(),
                "isCommon({pw:?})"
            );
        }
    }

    #[test]
    fn policy_matches_mediawiki() {
        let v = vectors();
        let cases = v["policy"].as_array().unwrap();
        assert!(cases.len() > 1000);
        for case in cases {
            let user = case[0].as_str().unwrap();
            let pw = password(&case[1]);
            let grps: Vec<String> = serde_json::from_value(case[2].clone()).unwrap();
            let want: Vec<(String, Vec<String>)> = serde_json::from_value(case[3].clone()).unwrap();
            let (ok, suggest) = (case[4].as_bool().unwrap(), case[5].as_bool().unwrap());
            let text = case[6].as_str();
            let what = format!("{user:?} {:?} {grps:?}", pw.get(..40).unwrap_or(&pw));

            let got = check_detailed(user, &pw, &grps);
            let got_pairs: Vec<(String, Vec<String>)> = got
                .iter()
                .map(|f| (f.key.to_string(), f.params.clone()))
                .collect();
            assert_eq!(got_pairs, want, "{what}");
            let fatal = got.iter().any(|f| f.fatal);
            assert_eq!(!fatal, ok, "isOK {what}");
            assert_eq!(
                !got.is_empty() && !fatal,
                suggest,
                "suggestChangeOnLogin {what}"
            );
            assert_eq!(
                check(user, &pw, &grps).err().as_deref(),
                text,
                "text {what}"
            );
        }
    }
}
