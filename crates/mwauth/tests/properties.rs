//! Properties that must hold for every input, not just the examples of the unit tests:
//!
//! - user-name normalisation is idempotent and yields valid names;
//! - a token verifies only with its own secret and salt, and only within its age;
//! - every output format reads back with a standard parser as the value MediaWiki's
//!   transformations make of the result tree (serde_json for JSON, roxmltree for XML, a strict
//!   unserializer and, for a few trees, PHP's own `unserialize()` for PHP).

use mwauth::api::format::{json, php, xml};
use mwauth::api::result::{List, Obj, Value};
use mwauth::session::token;
use mwauth::user::name;
use proptest::prelude::*;
use proptest::sample::select;

// ---------------------------------------------------------------------------------------
// User names

/// Strings made of the characters normalisation cares about: spaces of every kind,
/// underscores, colons (the `User:` prefix), bidi marks, letters whose case changes.
fn name_like() -> impl Strategy<Value = String> {
    let pieces = select(vec![
        " ", "_", "__", "\u{a0}", "\u{3000}", "\u{200e}", "\u{202a}", ":", "User:", "user :",
        "Talk:", "a", "b", "ß", "é", "ǆ", "ﬀ", "i", "İ", "@", "/", "#", "%41", "&amp;", "1.2.3.4",
        "~~~", ".", "..", "\u{1}",
    ]);
    prop::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn canonical_user_name_is_idempotent(raw in prop_oneof![name_like(), any::<String>()]) {
        if let Some(c) = name::canonical(&raw) {
            prop_assert!(name::is_valid(&c), "{raw:?} gave invalid {c:?}");
            prop_assert_eq!(name::canonical(&c), Some(c.clone()), "from {:?}", raw);
        }
        let cleaned = name::clean(&raw);
        prop_assert_eq!(name::clean(&cleaned), cleaned.clone());
    }
}

// ---------------------------------------------------------------------------------------
// Tokens

const SALTS: &[&str] = &["", "watch", "patrol", "rollback", "userrights"];

proptest! {
    #[test]
    fn token_verifies_only_with_its_own_secret_salt_and_age(
        secret in "[0-9a-f]{32}",
        other_secret in "[0-9a-f]{32}",
        salt in select(SALTS),
        other_salt in select(SALTS),
        made in 1_000_000_000i64..2_000_000_000,
        elapsed in 0i64..1_000_000,
        max_age in 1i64..1_000_000,
        flip in 0usize..32,
    ) {
        let now = made + elapsed;
        let t = token::token_at(&secret, salt, made);
        prop_assert!(token::matches(&secret, salt, &t, None, now));
        prop_assert_eq!(token::matches(&secret, salt, &t, Some(max_age), now), elapsed <= max_age);
        if other_secret != secret {
            prop_assert!(!token::matches(&other_secret, salt, &t, None, now));
        }
        if other_salt != salt {
            prop_assert!(!token::matches(&secret, other_salt, &t, None, now));
        }
        // Any change to the HMAC part is refused.
        let mut bytes = t.clone().into_bytes();
        bytes[flip] = if bytes[flip] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(bytes).unwrap();
        prop_assert!(!token::matches(&secret, salt, &tampered, None, now));
        // A token re-dated to look younger no longer matches its HMAC.
        let redated = format!("{}{:x}+\\", &t[..32], made + 1);
        prop_assert!(!token::matches(&secret, salt, &redated, None, now));
    }
}

// ---------------------------------------------------------------------------------------
// Result trees

const KEYS: &[&str] = &[
    "batchcomplete",
    "query",
    "tokens",
    "csrftoken",
    "login",
    "result",
    "error",
    "code",
    "info",
    "warnings",
    "userinfo",
    "id",
    "name",
    "anon",
    "0",
    "1",
    "-1",
    "007",
    "-0",
    "*",
];

fn key() -> BoxedStrategy<String> {
    prop_oneof![
        select(KEYS).prop_map(String::from),
        "[a-z_]{1,8}",
        any::<String>(),
    ]
    .boxed()
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        select(vec![
            "",
            "+\\",
            "é𝄞",
            "<a href=\"x\">&amp;</a>",
            "\u{2028}",
            "\"';\n\t",
            "s:3:\"abc\";"
        ])
        .prop_map(String::from),
    ]
    .boxed()
}

fn build_obj(entries: Vec<(String, Value)>, content: Option<(String, String)>) -> Obj {
    let mut o = Obj::new();
    for (k, v) in entries {
        o.set(&k, v);
    }
    if let Some((k, t)) = content {
        o.set_content(&k, t);
    }
    o
}

/// Trees shaped as the modules build them (Obj::set, so keys are unique), over `key` and
/// `text` strategies.
fn tree_with(key: BoxedStrategy<String>, text: BoxedStrategy<String>) -> BoxedStrategy<Obj> {
    let leaf = prop_oneof![
        text.clone().prop_map(Value::Str),
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        // The floats the modules make: Accept-Language q values, 0 to 1 in thousandths.
        (0u32..=1000).prop_map(|n| Value::Float(f64::from(n) / 1000.0)),
    ];
    let (k1, k2, t1) = (key.clone(), key.clone(), text.clone());
    let value = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            (
                prop::collection::vec((k1.clone(), inner.clone()), 0..6),
                prop::option::of((k1.clone(), t1.clone())),
            )
                .prop_map(|(e, c)| Value::Obj(build_obj(e, c))),
            (k2.clone(), prop::collection::vec(inner, 0..5)).prop_map(|(element, items)| {
                let mut l = List::new(&element);
                items.into_iter().for_each(|i| l.push(i));
                Value::List(l)
            }),
        ]
    });
    (
        prop::collection::vec((key.clone(), value), 0..6),
        prop::option::of((key, text)),
    )
        .prop_map(|(e, c)| build_obj(e, c))
        .boxed()
}

fn tree() -> BoxedStrategy<Obj> {
    tree_with(key(), text())
}

/// What ApiFormatJson must write: formatversion 1 writes true as `""`, leaves false out of
/// objects and moves the content value to `*` at the end; formatversion 2 keeps the tree.
fn expected_json(o: &Obj, fv: u8) -> serde_json::Value {
    let bc = fv < 2;
    let mut m = serde_json::Map::new();
    let mut content = None;
    for (k, v) in &o.entries {
        if bc && o.content.as_deref() == Some(k.as_str()) {
            content = Some(v);
        } else if !(bc && matches!(v, Value::Bool(false))) {
            m.insert(k.clone(), expected_json_value(v, fv));
        }
    }
    if let Some(c) = content {
        m.insert("*".into(), expected_json_value(c, fv));
    }
    serde_json::Value::Object(m)
}

fn expected_json_value(v: &Value, fv: u8) -> serde_json::Value {
    match v {
        Value::Str(s) => s.clone().into(),
        Value::Int(n) => (*n).into(),
        // A whole number is written without a fraction, as the reference server writes it.
        Value::Float(n) if n.fract() == 0.0 => (*n as i64).into(),
        Value::Float(n) => (*n).into(),
        Value::Bool(b) if fv >= 2 => (*b).into(),
        Value::Bool(_) => "".into(),
        Value::Null => serde_json::Value::Null,
        Value::Obj(o) => expected_json(o, fv),
        Value::List(l) => l.items.iter().map(|i| expected_json_value(i, fv)).collect(),
    }
}

proptest! {
    #[test]
    fn json_output_parses_as_the_expected_value(root in tree()) {
        for fv in [1u8, 2] {
            // serde_json with preserve_order: compare texts, so key order counts too.
            let want = serde_json::to_string(&expected_json(&root, fv)).unwrap();
            for ascii in [false, true] {
                for pretty in [false, true] {
                    let out = json::write(&root, json::JsonStyle { formatversion: fv, ascii, pretty });
                    let parsed: serde_json::Value = serde_json::from_str(&out)
                        .map_err(|e| TestCaseError::fail(format!("{e}: {out}")))?;
                    prop_assert_eq!(serde_json::to_string(&parsed).unwrap(), want.clone());
                    prop_assert!(!ascii || out.is_ascii());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// XML

fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

/// Names as mwauth's modules use them (MediaWiki mangles any other name; mwauth never
/// makes one) and text of XML characters (MediaWiki's WebRequest cleans input before it can
/// reach a result).
fn xml_tree() -> impl Strategy<Value = Obj> {
    let name = "[a-z][a-z0-9_.-]{0,7}"
        .prop_filter("xml prefix is reserved", |n| !n.starts_with("xml"))
        .boxed();
    let text = text()
        .prop_map(|s| s.chars().filter(|c| is_xml_char(*c)).collect::<String>())
        .boxed();
    tree_with(name, text)
}

fn elements<'a, 'i>(n: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    n.children().filter(|c| c.is_element()).collect()
}

/// The element for `o`: scalars as attributes (exact, entities decoded), objects and lists
/// as children in order, content as text.
fn check_xml_obj(o: &Obj, n: roxmltree::Node<'_, '_>) -> Result<(), String> {
    let mut children = Vec::new();
    let mut content = None;
    for (k, v) in &o.entries {
        let want = match v {
            Value::Obj(_) | Value::List(_) => {
                children.push((k.as_str(), v));
                continue;
            }
            Value::Str(s) if o.content.as_deref() == Some(k.as_str()) => {
                content = Some(s.as_str());
                continue;
            }
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            // PHP's float to string: 0.5, and 1 for 1.0.
            Value::Float(f) => format!("{f}"),
            Value::Bool(true) => String::new(),
            Value::Bool(false) | Value::Null => continue,
        };
        if n.attribute(k.as_str()) != Some(want.as_str()) {
            return Err(format!(
                "attribute {k}: {:?} for {want:?}",
                n.attribute(k.as_str())
            ));
        }
    }
    let kids = elements(n);
    for ((k, v), kid) in children.iter().zip(&kids) {
        check_xml_value(v, k, *kid)?;
    }
    let extra = usize::from(content.is_some() && !children.is_empty());
    if kids.len() != children.len() + extra {
        return Err(format!(
            "{} children for {}",
            kids.len(),
            children.len() + extra
        ));
    }
    if let Some(text) = content.filter(|t| !t.contains('\r')) {
        let holder = if children.is_empty() {
            n
        } else {
            kids[kids.len() - 1]
        };
        let got: String = holder.children().filter_map(|c| c.text()).collect();
        if got != text {
            return Err(format!("content {got:?} for {text:?}"));
        }
    }
    Ok(())
}

fn check_xml_value(v: &Value, name: &str, n: roxmltree::Node<'_, '_>) -> Result<(), String> {
    if n.tag_name().name() != name {
        return Err(format!("<{}> for <{name}>", n.tag_name().name()));
    }
    match v {
        Value::Obj(o) => check_xml_obj(o, n),
        Value::List(l) => {
            let kids = elements(n);
            if kids.len() != l.items.len() {
                return Err(format!("{} items for {}", kids.len(), l.items.len()));
            }
            l.items
                .iter()
                .zip(kids)
                .try_for_each(|(i, k)| check_xml_value(i, &l.element, k))
        }
        Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null => Ok(()),
    }
}

proptest! {
    #[test]
    fn xml_output_parses_as_xml(root in xml_tree()) {
        let out = xml::write(&root);
        let doc = roxmltree::Document::parse(&out)
            .map_err(|e| TestCaseError::fail(format!("{e}: {out}")))?;
        prop_assert_eq!(doc.root_element().tag_name().name(), "api");
        check_xml_obj(&root, doc.root_element()).map_err(|e| TestCaseError::fail(format!("{e}: {out}")))?;
    }
}

proptest! {
    /// Any name at all (ApiFormatXml::mangleName makes XML names of them): still a document.
    #[test]
    fn xml_output_is_well_formed_whatever_the_names(
        root in tree_with(
            key(),
            text().prop_map(|s| s.chars().filter(|c| is_xml_char(*c)).collect::<String>()).boxed(),
        )
    ) {
        let out = xml::write(&root);
        prop_assert!(roxmltree::Document::parse(&out).is_ok(), "{}", out);
    }
}

// ---------------------------------------------------------------------------------------
// PHP

/// A PHP value as unserialize() sees it; string keys that are canonical decimal integers
/// become integer keys.
#[derive(Debug, Clone, PartialEq)]
enum Php {
    Str(Vec<u8>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Array(Vec<(Php, Php)>),
}

fn php_key(k: &str) -> Php {
    let digits = k.strip_prefix('-').unwrap_or(k);
    let canonical = k == "0"
        || (digits.starts_with(|c: char| ('1'..='9').contains(&c))
            && digits.bytes().all(|b| b.is_ascii_digit()));
    match k.parse::<i64>() {
        Ok(n) if canonical => Php::Int(n),
        _ => Php::Str(k.as_bytes().to_vec()),
    }
}

fn expected_php(o: &Obj, fv: u8) -> Php {
    let bc = fv < 2;
    let mut items = Vec::new();
    let mut content = None;
    for (k, v) in &o.entries {
        if bc && o.content.as_deref() == Some(k.as_str()) {
            content = Some(v);
        } else if !(bc && matches!(v, Value::Bool(false))) {
            items.push((php_key(k), expected_php_value(v, fv)));
        }
    }
    if let Some(c) = content {
        items.push((php_key("*"), expected_php_value(c, fv)));
    }
    Php::Array(items)
}

fn expected_php_value(v: &Value, fv: u8) -> Php {
    match v {
        Value::Str(s) => Php::Str(s.as_bytes().to_vec()),
        Value::Int(n) => Php::Int(*n),
        Value::Float(n) => Php::Float(*n),
        Value::Bool(b) if fv >= 2 => Php::Bool(*b),
        Value::Bool(_) => Php::Str(Vec::new()),
        Value::Null => Php::Null,
        Value::Obj(o) => expected_php(o, fv),
        Value::List(l) => Php::Array(
            l.items
                .iter()
                .enumerate()
                .map(|(i, x)| (Php::Int(i as i64), expected_php_value(x, fv)))
                .collect(),
        ),
    }
}

/// A strict unserialize(): exact lengths in bytes, no trailing bytes.
fn unserialize(s: &[u8]) -> Result<Php, String> {
    fn until<'a>(s: &'a [u8], at: &mut usize, end: u8) -> Result<&'a str, String> {
        let len = s[*at..]
            .iter()
            .position(|&b| b == end)
            .ok_or("unterminated")?;
        let t = std::str::from_utf8(&s[*at..*at + len]).map_err(|e| e.to_string())?;
        *at += len + 1;
        Ok(t)
    }
    fn expect(s: &[u8], at: &mut usize, b: u8) -> Result<(), String> {
        if s.get(*at) == Some(&b) {
            *at += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at {at}", b as char))
        }
    }
    fn value(s: &[u8], at: &mut usize) -> Result<Php, String> {
        let tag = *s.get(*at).ok_or("missing value")?;
        *at += 1;
        if tag == b'N' {
            return expect(s, at, b';').map(|()| Php::Null);
        }
        expect(s, at, b':')?;
        let int = |t: &str| t.parse::<i64>().map_err(|e| format!("{t:?}: {e}"));
        match tag {
            b'i' => Ok(Php::Int(int(until(s, at, b';')?)?)),
            b'd' => {
                let t = until(s, at, b';')?;
                t.parse::<f64>()
                    .map(Php::Float)
                    .map_err(|e| format!("{t:?}: {e}"))
            }
            b'b' => match until(s, at, b';')? {
                "0" => Ok(Php::Bool(false)),
                "1" => Ok(Php::Bool(true)),
                b => Err(format!("boolean {b:?}")),
            },
            b's' => {
                let len: usize = until(s, at, b':')?.parse().map_err(|_| "length")?;
                expect(s, at, b'"')?;
                let bytes = s.get(*at..*at + len).ok_or("string too short")?.to_vec();
                *at += len;
                expect(s, at, b'"')?;
                expect(s, at, b';')?;
                Ok(Php::Str(bytes))
            }
            b'a' => {
                let n: usize = until(s, at, b':')?.parse().map_err(|_| "count")?;
                expect(s, at, b'{')?;
                let mut items = Vec::new();
                for _ in 0..n {
                    let k = value(s, at)?;
                    if !matches!(k, Php::Int(_) | Php::Str(_)) {
                        return Err("bad key".into());
                    }
                    items.push((k, value(s, at)?));
                }
                expect(s, at, b'}')?;
                Ok(Php::Array(items))
            }
            t => Err(format!("tag {:?}", t as char)),
        }
    }
    let mut at = 0;
    let v = value(s, &mut at)?;
    if at != s.len() {
        return Err(format!("trailing bytes at {at}"));
    }
    Ok(v)
}

proptest! {
    #[test]
    fn php_output_unserializes_as_the_expected_value(root in tree()) {
        for fv in [1u8, 2] {
            let out = php::write(&root, fv);
            let back = unserialize(out.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {out}")))?;
            prop_assert_eq!(back, expected_php(&root, fv), "{}", out);
        }
    }
}

/// PHP's own unserialize() on a few trees, including the awkward keys and multi-byte text;
/// its answer (as JSON) must equal the expected value. Skipped where PHP is not installed
/// (`scripts/test` installs php-cli).
#[test]
fn php_output_unserializes_in_php_itself() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    if std::process::Command::new("php")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("php not installed: skipped");
        return;
    }
    let mut trees = vec![Obj::new()
        .with("batchcomplete", true)
        .with("hidden", false)
        .with("007", "é")
        .with("-1", 5i64)
        .with("9223372036854775808", "big")
        .with(
            "list",
            List::of_strings("g", vec!["*".into(), "s:1:\"x\";".into()]),
        )];
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let ascii_tree = tree_with("[a-z_]{1,6}".boxed(), "[ -~é𝄞\"\\\\;:{}]{0,12}".boxed());
    for _ in 0..8 {
        trees.push(ascii_tree.new_tree(&mut runner).unwrap().current());
    }
    for root in trees {
        for fv in [1u8, 2] {
            let out = php::write(&root, fv);
            let script = "$v = unserialize(stream_get_contents(STDIN)); \
                          if ($v === false) { exit(3); } echo json_encode($v, JSON_FORCE_OBJECT|JSON_UNESCAPED_UNICODE);";
            let mut child = std::process::Command::new("php")
                .args(["-r", script])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("php runs");
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(out.as_bytes())
                .unwrap();
            let done = child.wait_with_output().unwrap();
            assert!(done.status.success(), "PHP refused: {out}");
            let got: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
            let want = php_as_json(&expected_php(&root, fv));
            assert_eq!(got, want, "{out}");
        }
    }
}

/// json_encode(…, JSON_FORCE_OBJECT) of a PHP value: arrays as objects, keys as strings,
/// booleans as booleans.
fn php_as_json(v: &Php) -> serde_json::Value {
    match v {
        Php::Str(b) => String::from_utf8_lossy(b).into_owned().into(),
        Php::Int(n) => (*n).into(),
        Php::Float(n) => (*n).into(),
        Php::Bool(b) => (*b).into(),
        Php::Null => serde_json::Value::Null,
        Php::Array(items) => {
            let mut m = serde_json::Map::new();
            for (k, x) in items {
                let key = match k {
                    Php::Int(n) => n.to_string(),
                    Php::Str(b) => String::from_utf8_lossy(b).into_owned(),
                    _ => unreachable!(),
                };
                m.insert(key, php_as_json(x));
            }
            serde_json::Value::Object(m)
        }
    }
}
