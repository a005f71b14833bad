//! PHP's serialization (session/php_serialize.rs), as session records in MediaWiki's format
//! bring it from a store anyone may write to: any bytes either read as a tree or give an
//! error, never a panic; what reads writes back to bytes that read again to the same bytes;
//! and a tree with one value changed still writes bytes that read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mwauth::session::php_serialize::{serialize, unserialize, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(mut tree) = unserialize(data) else {
        return;
    };
    let bytes = serialize(&tree);
    let again = unserialize(&bytes).expect("what serialize writes reads back");
    assert_eq!(serialize(&again), bytes);

    // As a session rewrite does: drop the first entry of the top array and add one, which
    // moves every value after it; references must still read.
    if let Some(entries) = tree.entries_mut() {
        if !entries.is_empty() {
            entries.remove(0);
        }
    }
    tree.set("wsUserID", Value::Int(3));
    let moved = serialize(&tree);
    if let Err(e) = unserialize(&moved) {
        // A reference whose target was the dropped entry has nothing left to point at.
        assert!(
            e.what.contains("reference"),
            "{e}: {}",
            String::from_utf8_lossy(&moved)
        );
    }
});
