//! Bot passwords (includes/user/BotPassword.php): `User@botname` plus a generated password,
//! limited by grants and IP restrictions.

use std::net::IpAddr;

/// BotPassword::PASSWORD_MINLENGTH.
pub const PASSWORD_MINLENGTH: usize = 32;
/// $wgUserrightsInterwikiDelimiter: the `@` between user and bot name.
pub const SEPARATOR: char = '@';

/// BotPassword::canonicalizeLoginData: decides whether a login looks like a bot-password
/// login and returns `(User@bot, password)`. Both `User@bot` + password and `User` +
/// `bot@password` are accepted, as in MediaWiki. The length check comes first so timing
/// reveals little about the password.
pub fn canonicalize_login_data(username: &str, password: &str) -> Option<(String, String)> {
    let looks_generated = |p: &str| {
        p.len() >= PASSWORD_MINLENGTH && p.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'w'))
    };
    if password.len() >= PASSWORD_MINLENGTH && username.contains(SEPARATOR) {
        if looks_generated(password) {
            return Some((username.to_string(), password.to_string()));
        }
    } else if password.len() > PASSWORD_MINLENGTH && password.contains(SEPARATOR) {
        let (app, pw) = password.rsplit_once(SEPARATOR)?;
        if looks_generated(pw) {
            return Some((format!("{username}{SEPARATOR}{app}"), pw.to_string()));
        }
    }
    None
}

/// PasswordFactory::generateRandomPasswordString(32): base-32 digits (`0-9a-v`).
pub fn generate_password() -> String {
    use rand::Rng;
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuv";
    let mut rng = rand::thread_rng();
    (0..PASSWORD_MINLENGTH)
        .map(|_| DIGITS[rng.gen_range(0..32)] as char)
        .collect()
}

/// Default `bp_restrictions`: any address.
pub const DEFAULT_RESTRICTIONS: &str = r#"{"IPAddresses":["0.0.0.0/0","::/0"]}"#;

/// MWRestrictions::check for the IP part: the client address must be inside one of the
/// listed ranges. A restriction we cannot read refuses the login (fail closed).
pub fn ip_allowed(restrictions_json: &str, ip: IpAddr) -> bool {
    // Nearly every bot password has the default: no need to parse it on every request.
    if restrictions_json == DEFAULT_RESTRICTIONS {
        return true;
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(restrictions_json) else {
        return false;
    };
    let Some(ranges) = v.get("IPAddresses") else {
        return true;
    };
    let Some(ranges) = ranges.as_array() else {
        return false;
    };
    ranges
        .iter()
        .filter_map(|r| r.as_str())
        .any(|r| in_cidr(ip, r))
}

/// Whether a range (`10.0.0.0/8`, `2001:db8::/32`, or one address) is well formed.
pub fn is_ip_range(cidr: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, Some(b)),
        None => (cidr, None),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    let max = if net.is_ipv4() { 32 } else { 128 };
    // Digits only: `u32::from_str` would also take "+8".
    bits.is_none_or(|b| {
        !b.is_empty()
            && b.bytes().all(|c| c.is_ascii_digit())
            && b.parse::<u32>().is_ok_and(|b| b <= max)
    })
}

/// Whether `ip` is inside the range `cidr` (`10.0.0.0/8`, `2001:db8::/32`, or one address;
/// an IPv4-mapped IPv6 address counts as its IPv4 address).
pub fn in_cidr(ip: IpAddr, cidr: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let Ok(mut net) = net.parse::<IpAddr>() else {
        return false;
    };
    // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
    let mut bits = bits;
    if let IpAddr::V6(v6) = net {
        if let (Some(v4), true) = (v6.to_ipv4_mapped(), bits.is_none_or(|b| b >= 96)) {
            net = IpAddr::V4(v4);
            bits = bits.map(|b| b - 96);
        }
    }
    let ip = match (ip, net) {
        (IpAddr::V6(v6), IpAddr::V4(_)) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        _ => ip,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_both_login_forms() {
        let pw = "alicebotpasswordalicebotpass0001";
        assert_eq!(
            canonicalize_login_data("Alice@testbot", pw),
            Some(("Alice@testbot".into(), pw.into()))
        );
        assert_eq!(
            canonicalize_login_data("Alice", &format!("testbot@{pw}")),
            Some(("Alice@testbot".into(), pw.into()))
        );
        assert_eq!(canonicalize_login_data("Alice", pw), None);
        assert_eq!(canonicalize_login_data("Alice@testbot", "short"), None);
        assert_eq!(
            canonicalize_login_data("Alice@testbot", "Alice-pass-12345-but-quite-long-now"),
            None
        );
    }

    #[test]
    fn generated_passwords_are_accepted_by_the_login_check() {
        let pw = generate_password();
        assert_eq!(pw.len(), 32);
        assert!(canonicalize_login_data("A@b", &pw).is_some());
    }

    #[test]
    fn ip_restrictions() {
        let local = "127.0.0.1".parse().unwrap();
        assert!(ip_allowed(DEFAULT_RESTRICTIONS, local));
        assert!(ip_allowed(r#"{"IPAddresses":["127.0.0.0/8"]}"#, local));
        assert!(!ip_allowed(r#"{"IPAddresses":["10.0.0.0/8"]}"#, local));
        assert!(ip_allowed(
            r#"{"IPAddresses":["::1/128"]}"#,
            "::1".parse().unwrap()
        ));
        assert!(!ip_allowed("not json", local));
    }
}
