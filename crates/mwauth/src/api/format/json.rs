//! ApiFormatJson: formatversion 1 applies MediaWiki's "BC" transformations (booleans as `""`,
//! content under `*`) and escapes non-ASCII as `\uXXXX`; formatversion 2 writes booleans and
//! UTF-8 as they are. Both leave `/`, `<`, `>` and `&` unescaped, as FormatJson does.

use crate::api::result::{is_int_key, Obj, ObjKind, Value};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy)]
pub struct JsonStyle {
    pub formatversion: u8,
    /// Escape every non-ASCII character (fv1 without `utf8`, fv2 with `ascii`).
    pub ascii: bool,
    pub pretty: bool,
}

impl JsonStyle {
    /// ApiFormatJson at its defaults for `formatversion`: 1 escapes non-ASCII (no `utf8`),
    /// 2 writes UTF-8 (no `ascii`); not pretty-printed.
    pub const fn compact(formatversion: u8) -> JsonStyle {
        JsonStyle {
            formatversion,
            ascii: formatversion == 1,
            pretty: false,
        }
    }
}

pub fn write(root: &Obj, style: JsonStyle) -> String {
    let mut out = String::with_capacity(256);
    write_obj(&mut out, root, style, 0);
    out
}

/// `keep_bool`: a META_BC_BOOLS key, whose boolean formatversion 1 writes as it is.
fn write_value_kept(out: &mut String, v: &Value, style: JsonStyle, depth: usize, keep_bool: bool) {
    match v {
        Value::Str(s) => write_str(out, s, style.ascii),
        Value::Int(n) => out.push_str(&n.to_string()),
        // The shortest form that reads back, a whole number without a fraction: the
        // reference server answers `"q":1` for an Accept-Language q of 1.0 (recorded in
        // userinfo-acceptlang-order). Not-a-number and infinities cannot be written.
        Value::Float(n) if !n.is_finite() => out.push('0'),
        Value::Float(n) => out.push_str(&format!("{n}")),
        Value::Bool(b) if style.formatversion >= 2 || keep_bool => {
            out.push_str(if *b { "true" } else { "false" })
        }
        Value::Bool(_) => out.push_str("\"\""),
        Value::Null => out.push_str("null"),
        Value::Obj(o) => write_obj(out, o, style, depth),
        Value::List(l) if l.bc_assoc && style.formatversion >= 2 => {
            // BCassoc: an object keyed by position.
            let keys: Vec<String> = (0..l.items.len()).map(|i| i.to_string()).collect();
            let items: Vec<(&str, &Value, bool)> = keys
                .iter()
                .zip(&l.items)
                .map(|(k, v)| (k.as_str(), v, false))
                .collect();
            write_members(out, &items, style, depth);
        }
        Value::List(l) => {
            let items: Vec<(&Value, bool)> = l.items.iter().map(|v| (v, false)).collect();
            write_elements(out, &items, style, depth);
        }
    }
}

fn write_elements(out: &mut String, items: &[(&Value, bool)], style: JsonStyle, depth: usize) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (i, (item, keep)) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, style, depth + 1);
        write_value_kept(out, item, style, depth + 1, *keep);
    }
    newline(out, style, depth);
    out.push(']');
}

fn write_obj(out: &mut String, o: &Obj, style: JsonStyle, depth: usize) {
    let items = super::members(o, style.formatversion < 2);
    if o.kind == ObjKind::Untyped {
        // PHP's own choice for an untyped array: a list when its keys are 0…n-1 (also when
        // there are none left), otherwise an object.
        let mut positions: Vec<(i64, usize)> = Vec::with_capacity(items.len());
        for (i, (k, _, _)) in items.iter().enumerate() {
            match k.parse::<i64>() {
                Ok(n) if is_int_key(k) => positions.push((n, i)),
                _ => break,
            }
        }
        let n = items.len() as i64;
        if positions.len() == items.len() && positions.iter().all(|(p, _)| *p < n && *p >= 0) {
            positions.sort();
            let list: Vec<(&Value, bool)> = positions
                .iter()
                .map(|(_, i)| (items[*i].1, items[*i].2))
                .collect();
            write_elements(out, &list, style, depth);
            return;
        }
    }
    write_members(out, &items, style, depth);
}

fn write_members(out: &mut String, items: &[(&str, &Value, bool)], style: JsonStyle, depth: usize) {
    if items.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, (k, v, keep)) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, style, depth + 1);
        write_str(out, k, style.ascii);
        out.push(':');
        if style.pretty {
            out.push(' ');
        }
        write_value_kept(out, v, style, depth + 1, *keep);
    }
    newline(out, style, depth);
    out.push('}');
}

fn newline(out: &mut String, style: JsonStyle, depth: usize) {
    if style.pretty {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("    ");
        }
    }
}

/// Bytes copied as they are: printable ASCII but `"` and `\`.
static PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        table[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    table
};

fn write_str(out: &mut String, s: &str, ascii: bool) {
    out.push('"');
    // Runs of characters that need no escape are copied whole; most strings (names, codes)
    // are one such run, and a token only escapes its final backslash.
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if PLAIN[b as usize] {
            i += 1;
            continue;
        }
        let c = s[i..].chars().next().expect("inside the string");
        let escape = match b {
            // DEL goes out raw, as the other printable ASCII.
            0x7f => false,
            0..=0x7f => true,
            _ => ascii || matches!(c, '\u{2028}' | '\u{2029}'),
        };
        if escape {
            out.push_str(&s[run..i]);
            escape_char(out, c);
            run = i + c.len_utf8();
        }
        i += c.len_utf8();
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// One character as FormatJson escapes it: the short forms, else `\uXXXX` (UTF-16 units).
fn escape_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        // Control characters; U+2028 and U+2029, which FormatJson escapes even in UTF-8 mode
        // (JavaScript cannot hold them raw); anything not ASCII in ASCII mode.
        c => {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{:04x}", unit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// write_str copies runs whole; it must write exactly what escaping one character at a
    /// time (FormatJson's rules, as written before) does.
    #[test]
    fn strings_escape_as_one_character_at_a_time() {
        fn one_at_a_time(s: &str, ascii: bool) -> String {
            let mut out = String::from('"');
            for c in s.chars() {
                let escaped = c < ' '
                    || matches!(c, '"' | '\\' | '\u{2028}' | '\u{2029}')
                    || (ascii && !c.is_ascii());
                if escaped {
                    escape_char(&mut out, c);
                } else {
                    out.push(c);
                }
            }
            out.push('"');
            out
        }
        let samples = [
            "",
            "abc",
            "a\"b",
            "\\",
            "+\\",
            "0123abcdef+\\",
            "\u{7f}",
            "x\u{1}y\u{1f}",
            "\t\r\n\u{8}\u{c}",
            "é",
            "Zürich",
            "\u{2028}a\u{2029}",
            "😀",
            "a😀b\"",
            "日本語\\",
            "\u{fffd}",
            "\u{7f}é\u{7f}",
        ];
        for s in samples {
            for ascii in [false, true] {
                let mut out = String::new();
                write_str(&mut out, s, ascii);
                assert_eq!(out, one_at_a_time(s, ascii), "{s:?} ascii={ascii}");
            }
        }
    }
    use crate::api::result::List;

    fn fv(n: u8) -> JsonStyle {
        JsonStyle::compact(n)
    }

    #[test]
    fn formatversion_1_applies_bc_transformations() {
        let mut root = Obj::new()
            .with("anon", true)
            .with("hidden", false)
            .with("id", 0i64);
        root.set_content("docref", "See <a> & é/𝄞");
        assert_eq!(
            write(&root, fv(1)),
            r#"{"anon":"","id":0,"*":"See <a> & \u00e9/\ud834\udd1e"}"#
        );
        assert_eq!(
            write(&root, fv(2)),
            r#"{"anon":true,"hidden":false,"id":0,"docref":"See <a> & é/𝄞"}"#
        );
    }

    #[test]
    fn empty_objects_and_lists() {
        assert_eq!(write(&Obj::new(), fv(1)), "{}");
        let root = Obj::new()
            .with("g", List::of_strings("g", vec!["*".to_string()]))
            .with("e", List::new("e"));
        assert_eq!(write(&root, fv(2)), r#"{"g":["*"],"e":[]}"#);
    }

    #[test]
    fn bc_metadata() {
        use crate::api::result::{BcBools, ObjKind};
        let thumbs = List {
            items: vec![Value::Int(120), Value::Int(150)],
            element: "limit".into(),
            bc_assoc: true,
        };
        let magic = Obj::new()
            .kind(ObjKind::Untyped)
            .with("ISBN", false)
            .with("RFC", false);
        let opts = Obj::new()
            .bc_bools(BcBools::All)
            .with("a", true)
            .with("b", false)
            .with("n", 0i64);
        let general = Obj::new()
            .bc_bools(BcBools::Keys(vec!["variantarticlepath".into()]))
            .with("variantarticlepath", false)
            .with("readonly", false)
            .with("thumblimits", thumbs)
            .with("magiclinks", magic)
            .with("defaultoptions", opts)
            .with(
                "ns",
                Obj::new().element("ns").with("-2", 1i64).with("0", 2i64),
            )
            .with(
                "seq",
                Obj::new()
                    .kind(ObjKind::Untyped)
                    .with("1", "b")
                    .with("0", "a"),
            );
        assert_eq!(
            write(&general, fv(1)),
            r#"{"variantarticlepath":false,"thumblimits":[120,150],"magiclinks":[],"defaultoptions":{"a":true,"b":false,"n":0},"ns":{"-2":1,"0":2},"seq":["a","b"]}"#
        );
        assert_eq!(
            write(&general, fv(2)),
            r#"{"variantarticlepath":false,"readonly":false,"thumblimits":{"0":120,"1":150},"magiclinks":{"ISBN":false,"RFC":false},"defaultoptions":{"a":true,"b":false,"n":0},"ns":{"-2":1,"0":2},"seq":["a","b"]}"#
        );
    }

    #[test]
    fn escapes_controls_and_token_suffix() {
        let root = Obj::new().with("t", "+\\\u{1}\u{2028}");
        assert_eq!(write(&root, fv(2)), r#"{"t":"+\\\u0001\u2028"}"#);
    }
}
