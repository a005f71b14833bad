//! The codec against PHP 8's own output and against arbitrary trees and bytes.

use super::*;

fn round_trip(bytes: &[u8]) {
    let v =
        unserialize(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)));
    assert_eq!(
        String::from_utf8_lossy(&serialize(&v)),
        String::from_utf8_lossy(bytes)
    );
}

#[test]
fn php_scalars_and_arrays_round_trip() {
    for s in [
        &b"N;"[..],
        b"b:1;",
        b"i:-9223372036854775808;",
        b"d:0.1;",
        b"s:0:\"\";",
        b"s:5:\"a\"b;}\";",
        b"a:0:{}",
        b"a:2:{i:-3;b:0;s:1:\"k\";a:1:{i:0;N;}}",
    ] {
        round_trip(s);
    }
}

#[test]
fn php_float_text_is_php_8s_shortest_form() {
    // Each pair as PHP 8.2 `serialize()` writes it (php -r 'echo serialize(X);').
    for (v, text) in [
        (0.1, "0.1"),
        (-1.5e-7, "-1.5E-7"),
        (1e100, "1.0E+100"),
        (3.0, "3"),
        (-0.0, "-0"),
        (0.0, "0"),
        (1e25, "1.0E+25"),
        (123456789012345678.0, "1.2345678901234568E+17"),
        (1e16, "10000000000000000"),
        (1.5e16, "15000000000000000"),
        (1e17, "1.0E+17"),
        (1e18, "1.0E+18"),
        (0.0001, "0.0001"),
        (0.00001, "1.0E-5"),
        (1796677167.452241, "1796677167.452241"),
        (f64::INFINITY, "INF"),
        (f64::NEG_INFINITY, "-INF"),
        (f64::NAN, "NAN"),
    ] {
        assert_eq!(float_text(v), text, "{v:e}");
    }
}

#[test]
fn php_unknown_values_are_kept_byte_for_byte() {
    round_trip(b"a:3:{i:0;O:3:\"Ext\":1:{s:4:\"\0*\0b\";d:2.50;}i:1;C:6:\"Legacy\":3:{a}}}i:2;E:11:\"Suit:Hearts\";}");
}

#[test]
fn php_references_follow_their_target_when_values_move() {
    // $o = new stdClass; ['x' => 1, 'o' => $o, 'again' => $o]
    let bytes = b"a:3:{s:1:\"x\";i:1;s:1:\"o\";O:8:\"stdClass\":0:{}s:5:\"again\";r:3;}";
    let mut v = unserialize(bytes).unwrap();
    assert_eq!(serialize(&v), bytes);
    // One value fewer before the object: the reference must now name slot 2.
    v.remove("x");
    assert_eq!(
        serialize(&v),
        b"a:2:{s:1:\"o\";O:8:\"stdClass\":0:{}s:5:\"again\";r:2;}"
    );
    // An array of two before it: slot 5.
    v.entries_mut().unwrap().insert(
        0,
        (
            Key::str("y"),
            Value::Array(vec![(Key::Int(0), Value::Null)]),
        ),
    );
    assert_eq!(
        String::from_utf8_lossy(&serialize(&v)),
        "a:3:{s:1:\"y\";a:1:{i:0;N;}s:1:\"o\";O:8:\"stdClass\":0:{}s:5:\"again\";r:4;}"
    );
}

#[test]
fn php_corrupt_input_is_an_error() {
    for bad in [
        &b""[..],
        b"N",
        b"i:;",
        b"i:1",
        b"i:99999999999999999999;",
        b"b:2;",
        b"s:5:\"abc\";",
        b"s:-1:\"\";",
        b"s:3:\"abc\"",
        b"a:2:{i:0;N;}",
        b"a:1:{d:0.5;N;}",
        b"r:1;",
        b"a:1:{i:0;r:5;}",
        b"d:abc;",
        b"C:1:\"X\":10:{}",
        b"E:3:\"abc\";",
        b"x:1;",
        b"N;N;",
        b"a:18446744073709551615:{}",
    ] {
        assert!(
            unserialize(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let deep = "a:1:{i:0;".repeat(200) + "N;" + &"}".repeat(200);
    assert!(unserialize(deep.as_bytes()).is_err());
}

#[test]
fn php_get_set_remove_work_like_php_arrays() {
    let mut v = unserialize(b"a:2:{s:1:\"a\";i:1;s:1:\"b\";i:2;}").unwrap();
    v.set("a", Value::Int(5));
    v.set("c", Value::str("x"));
    assert!(v.remove("b"));
    assert_eq!(v.get("a").and_then(Value::as_int), Some(5));
    assert_eq!(serialize(&v), b"a:2:{s:1:\"a\";i:5;s:1:\"c\";s:1:\"x\";}");
}

use proptest::prelude::*;

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        any::<i64>().prop_map(Key::Int),
        prop::collection::vec(any::<u8>(), 0..6).prop_map(Key::Str),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(|f| Value::Float(Float::new(f))),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(Value::Str),
        Just(Value::Raw(b"E:11:\"Suit:Hearts\";".to_vec())),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec((key(), inner.clone()), 0..5).prop_map(Value::Array),
            (
                prop::collection::vec(any::<u8>(), 1..6),
                prop::collection::vec((key(), inner), 0..3)
            )
                .prop_map(|(class, properties)| Value::Object { class, properties }),
        ]
    })
}

proptest! {
    #[test]
    fn php_serialization_reads_back_to_the_same_bytes(v in tree()) {
        let bytes = serialize(&v);
        let back = unserialize(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(serialize(&back), bytes);
    }

    #[test]
    fn php_unserialize_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(v) = unserialize(&bytes) {
            let again = serialize(&v);
            prop_assert_eq!(unserialize(&again).map(|v| serialize(&v)), Ok(again));
        }
    }
}
