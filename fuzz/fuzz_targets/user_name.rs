//! User names (user/name.rs): `canonical` is idempotent, what it returns is valid, and a
//! creatable name is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::user::name::{canonical, clean, is_creatable, is_valid};

fuzz_target!(|raw: &str| {
    let c = clean(raw);
    assert_eq!(clean(&c), c, "clean is idempotent on {raw:?}");
    if let Some(name) = canonical(raw) {
        assert!(is_valid(&name), "{raw:?} → {name:?} is not valid");
        assert_eq!(
            canonical(&name).as_deref(),
            Some(name.as_str()),
            "not idempotent: {raw:?}"
        );
        assert!(!name.is_empty() && name.len() <= 255);
    }
    if is_creatable(raw) {
        assert!(is_valid(raw));
    }
});
