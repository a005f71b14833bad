//! `$wgPasswordPolicy` as MediaWiki 1.39 sets it by default: what a new password must meet.
//!
//! - every account: at least 1 character, at most 4096, not the user name itself or a part of
//!   it (PasswordCannotBeSubstringInUsername), not one of MediaWiki's default passwords;
//! - accounts in `bot`, `sysop`, `interface-admin` or `bureaucrat`: at least 10 characters.

/// Groups whose members need longer passwords (1.39's `$wgPasswordPolicy['policies']`).
const PRIVILEGED: &[&str] = &["bureaucrat", "sysop", "interface-admin", "bot"];
const MIN_LENGTH: usize = 1;
const MIN_LENGTH_PRIVILEGED: usize = 10;
const MAX_LENGTH: usize = 4096;
/// PasswordCannotMatchDefaults: passwords MediaWiki's tooling has used as defaults.
const DEFAULTS: &[&str] = &["wikipedia", "mediawiki", "password", "passpass", "12345678"];

/// The English text of the first policy a password breaks, if any.
pub fn check(user_name: &str, password: &str, groups: &[String]) -> Result<(), String> {
    let chars = password.chars().count();
    let min = if groups.iter().any(|g| PRIVILEGED.contains(&g.as_str())) {
        MIN_LENGTH_PRIVILEGED
    } else {
        MIN_LENGTH
    };
    if chars < min {
        return Err(format!(
            "Passwords must be at least {} long.",
            if min == 1 {
                "1 character".to_string()
            } else {
                format!("{min} characters")
            }
        ));
    }
    if chars > MAX_LENGTH {
        return Err(format!(
            "Passwords cannot be longer than {MAX_LENGTH} characters."
        ));
    }
    if user_name.to_lowercase().contains(&password.to_lowercase()) {
        return Err("Your password must not appear within your username.".into());
    }
    if DEFAULTS.contains(&password.to_lowercase().as_str()) {
        return Err("The password entered is in a list of very commonly used passwords. Please choose a more unique password.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileged_groups_need_ten_characters() {
        assert!(check("Admin", "short-pw", &["sysop".into()])
            .unwrap_err()
            .contains("at least 10 characters"));
        assert!(check("Alice", "s", &[]).is_ok());
        assert!(check("Alice", "", &[])
            .unwrap_err()
            .contains("at least 1 character"));
    }

    #[test]
    fn password_may_not_be_part_of_the_name() {
        assert!(check("Alicebot", "alice", &[]).is_err());
        assert!(check("Alice", "password", &[]).is_err());
        assert!(check("Alice", &"x".repeat(4097), &[]).is_err());
    }
}
