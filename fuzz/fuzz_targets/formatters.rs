//! The output formats (api/format/): any result tree, written as JSON (formatversion 1 and 2,
//! ASCII or UTF-8, compact or pretty), PHP and XML, must read back with a standard parser as
//! the value MediaWiki's transformations make of it. Input: a JSON document (seeded from the
//! conformance transcripts' bodies), or else bytes that build a tree.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use mwauth::api::format::{json, php, xml};
use mwauth_fuzz::{php as unphp, tree};

fuzz_target!(|data: &[u8]| {
    let root = match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(j) => match tree::from_json(&j) {
            Some(o) => o,
            None => return,
        },
        Err(_) => match tree::obj(&mut Unstructured::new(data), 0) {
            Ok(o) => o,
            Err(_) => return,
        },
    };
    for fv in [1u8, 2] {
        let want = serde_json::to_string(&tree::expected_json(&root, fv)).unwrap();
        for ascii in [false, true] {
            for pretty in [false, true] {
                let style = json::JsonStyle {
                    formatversion: fv,
                    ascii,
                    pretty,
                };
                let text = json::write(&root, style);
                let parsed: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("fv{fv} ascii={ascii}: not JSON ({e}): {text}"));
                assert_eq!(
                    serde_json::to_string(&parsed).unwrap(),
                    want,
                    "fv{fv} {text}"
                );
                if ascii {
                    assert!(text.is_ascii(), "ascii output has non-ASCII: {text}");
                }
                // JavaScript cannot hold raw U+2028/U+2029 in a string (JSONP).
                assert!(!text.contains(['\u{2028}', '\u{2029}']));
            }
        }
        let p = php::write(&root, fv);
        let back = unphp::unserialize(p.as_bytes())
            .unwrap_or_else(|e| panic!("fv{fv}: not PHP-serialized ({e}): {p}"));
        assert_eq!(back, tree::expected_php(&root, fv), "fv{fv} {p}");
    }
    if tree::xml_text_ok(&root) {
        let x = xml::write(&root);
        if let Err(e) = roxmltree::Document::parse(&x) {
            panic!("not XML ({e}): {x}");
        }
        if tree::xml_plain(&root) {
            if let Err(e) = tree::check_xml(&root, &x) {
                panic!("{e}: {x}");
            }
        }
    }
});
