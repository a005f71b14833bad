//! Result trees for the formatter target, and what each format must turn them into, computed
//! independently of mwauth's writers so a standard parser can check them.

use arbitrary::Unstructured;
use mwauth::api::result::{List, Obj, Value};

/// Names the API really uses, so the fuzzer meets the shapes MediaWiki's clients see.
const KEYS: &[&str] = &[
    "batchcomplete",
    "query",
    "tokens",
    "csrftoken",
    "logintoken",
    "login",
    "result",
    "reason",
    "error",
    "code",
    "info",
    "docref",
    "warnings",
    "main",
    "userinfo",
    "id",
    "name",
    "anon",
    "groups",
    "0",
    "1",
    "-1",
    "007",
    "-0",
    "*",
    "_",
    "9223372036854775807",
    "9223372036854775808",
];

const STRINGS: &[&str] = &[
    "",
    "+\\",
    "Success",
    "é",
    "𝄞",
    "<a href=\"x\">&amp;</a>",
    "\u{2028}",
    "\"';\n\r\t",
    "s:3:\"abc\";",
    "]]></x>",
];

fn string(u: &mut Unstructured<'_>, pool: &[&str]) -> arbitrary::Result<String> {
    if u.ratio(1, 2)? {
        Ok(u.choose(pool)?.to_string())
    } else {
        let s: String = u.arbitrary()?;
        Ok(s.chars().take(40).collect())
    }
}

fn value(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let kinds = if depth >= 4 { 3 } else { 5 };
    Ok(match u.int_in_range(0..=kinds - 1)? {
        0 => Value::Str(string(u, STRINGS)?),
        1 => Value::Int(u.arbitrary()?),
        2 => Value::Bool(u.arbitrary()?),
        3 => Value::Obj(obj(u, depth + 1)?),
        _ => {
            let mut l = List::new(&string(u, KEYS)?);
            for _ in 0..u.int_in_range(0..=4)? {
                l.push(value(u, depth + 1)?);
            }
            Value::List(l)
        }
    })
}

/// An object built with `Obj::set`, as modules build them (keys are unique).
pub fn obj(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Obj> {
    let mut o = Obj::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let k = string(u, KEYS)?;
        if u.ratio(1, 8)? {
            o.set_content(&k, string(u, STRINGS)?);
        } else {
            o.set(&k, value(u, depth)?);
        }
    }
    Ok(o)
}

/// A JSON document as a result tree: objects are objects (a key `"__content"` names the
/// content key), arrays lists of `v` elements; null and non-integer numbers are left out.
pub fn from_json(j: &serde_json::Value) -> Option<Obj> {
    match j {
        serde_json::Value::Object(_) => Some(obj_from_json(j, 0)),
        _ => None,
    }
}

fn obj_from_json(j: &serde_json::Value, depth: u32) -> Obj {
    let mut o = Obj::new();
    if let serde_json::Value::Object(m) = j {
        for (k, v) in m {
            if k == "__content" {
                continue;
            }
            if let Some(v) = value_from_json(v, depth + 1) {
                o.set(k, v);
            }
        }
        if let Some(serde_json::Value::String(c)) = m.get("__content") {
            if let Some(Value::Str(s)) = o.get(c).cloned() {
                o.set_content(c, s);
            }
        }
    }
    o
}

fn value_from_json(j: &serde_json::Value, depth: u32) -> Option<Value> {
    if depth > 32 {
        return None;
    }
    Some(match j {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Int(n.as_i64()?),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => {
            let mut l = List::new("v");
            for item in a {
                if let Some(v) = value_from_json(item, depth + 1) {
                    l.push(v);
                }
            }
            Value::List(l)
        }
        serde_json::Value::Object(_) => Value::Obj(obj_from_json(j, depth)),
    })
}

/// What ApiFormatJson must write for `o`, as a serde_json tree: formatversion 1 writes true
/// as `""`, leaves false out of objects and moves the content value to `*` at the end.
pub fn expected_json(o: &Obj, fv: u8) -> serde_json::Value {
    let bc = fv < 2;
    let mut m = serde_json::Map::new();
    let mut content = None;
    for (k, v) in &o.entries {
        if bc && o.content.as_deref() == Some(k.as_str()) {
            content = Some(v);
            continue;
        }
        if bc && matches!(v, Value::Bool(false)) {
            continue;
        }
        m.insert(k.clone(), expected_json_value(v, fv));
    }
    if let Some(c) = content {
        m.insert("*".into(), expected_json_value(c, fv));
    }
    serde_json::Value::Object(m)
}

fn expected_json_value(v: &Value, fv: u8) -> serde_json::Value {
    match v {
        Value::Str(s) => serde_json::Value::String(s.clone()),
        Value::Int(n) => serde_json::Value::from(*n),
        // A whole number is written without a fraction, as the reference server writes it.
        Value::Float(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e15 => {
            serde_json::Value::from(*n as i64)
        }
        Value::Float(n) => serde_json::Number::from_f64(*n)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::from(0)),
        Value::Bool(b) if fv >= 2 => serde_json::Value::Bool(*b),
        Value::Bool(_) => serde_json::Value::String(String::new()),
        Value::Null => serde_json::Value::Null,
        Value::Obj(o) => expected_json(o, fv),
        Value::List(l) => {
            serde_json::Value::Array(l.items.iter().map(|i| expected_json_value(i, fv)).collect())
        }
    }
}

/// The PHP value ApiFormatPhp must serialize (same transformations as JSON).
pub fn expected_php(o: &Obj, fv: u8) -> crate::php::Php {
    use crate::php::{Key, Php};
    let bc = fv < 2;
    let mut items = Vec::new();
    let mut content = None;
    for (k, v) in &o.entries {
        if bc && o.content.as_deref() == Some(k.as_str()) {
            content = Some(v);
            continue;
        }
        if bc && matches!(v, Value::Bool(false)) {
            continue;
        }
        items.push((Key::of(k), expected_php_value(v, fv)));
    }
    if let Some(c) = content {
        items.push((Key::of("*"), expected_php_value(c, fv)));
    }
    Php::Array(items)
}

fn expected_php_value(v: &Value, fv: u8) -> crate::php::Php {
    use crate::php::{Key, Php};
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
                .map(|(i, item)| (Key::Int(i as i64), expected_php_value(item, fv)))
                .collect(),
        ),
    }
}

/// XML 1.0's Char production.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

fn is_name_start(c: char) -> bool {
    matches!(c, 'A'..='Z' | '_' | 'a'..='z' | '\u{c0}'..='\u{d6}' | '\u{d8}'..='\u{f6}' | '\u{f8}'..='\u{2ff}' | '\u{370}'..='\u{37d}' | '\u{37f}'..='\u{1fff}' | '\u{200c}'..='\u{200d}' | '\u{2070}'..='\u{218f}' | '\u{2c00}'..='\u{2fef}' | '\u{3001}'..='\u{d7ff}' | '\u{f900}'..='\u{fdcf}' | '\u{fdf0}'..='\u{fffd}' | '\u{10000}'..='\u{effff}')
}

/// An XML Name without `:` that does not start with the reserved `xml` nor with `_`
/// (ApiFormatXml::mangleName leaves exactly these unchanged).
pub fn is_plain_xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first != '_'
        && is_name_start(first)
        && chars.all(|c| {
            is_name_start(c)
                || matches!(c, '-' | '.' | '0'..='9' | '\u{b7}' | '\u{300}'..='\u{36f}' | '\u{203f}'..='\u{2040}')
        })
        && !s.to_ascii_lowercase().starts_with("xml")
}

/// Whether every string of the tree is made of XML characters: then ApiFormatXml's output
/// must be a well-formed document whatever the names (mangleName makes XML names of them).
/// MediaWiki's WebRequest cleans input strings before they can reach a result.
pub fn xml_text_ok(o: &Obj) -> bool {
    o.entries
        .iter()
        .all(|(k, v)| k.chars().all(is_xml_char) && value_xml(v, &|s| s.chars().all(is_xml_char)))
}

/// Whether every name is a plain XML name (unchanged by mangling, never an integer key):
/// then the document's structure is checked element by element.
pub fn xml_plain(o: &Obj) -> bool {
    o.entries
        .iter()
        .all(|(k, v)| is_plain_xml_name(k) && value_xml(v, &|_| true) && value_names_plain(v))
}

fn value_xml(v: &Value, text_ok: &dyn Fn(&str) -> bool) -> bool {
    match v {
        Value::Str(s) => text_ok(s),
        Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null => true,
        Value::Obj(o) => o
            .entries
            .iter()
            .all(|(k, v)| text_ok(k) && value_xml(v, text_ok)),
        Value::List(l) => text_ok(&l.element) && l.items.iter().all(|i| value_xml(i, text_ok)),
    }
}

fn value_names_plain(v: &Value) -> bool {
    match v {
        Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null => true,
        Value::Obj(o) => xml_plain(o),
        Value::List(l) => is_plain_xml_name(&l.element) && l.items.iter().all(value_names_plain),
    }
}

/// Checks a parsed `<api>` document against the tree: element names, attribute values
/// (exactly, entities decoded), child order, and content text.
pub fn check_xml(o: &Obj, xml: &str) -> Result<(), String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("not XML: {e}"))?;
    check_obj(o, "api", doc.root_element())
}

fn elements<'a, 'i>(n: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    n.children().filter(|c| c.is_element()).collect()
}

/// The text ApiFormatXml writes for a scalar used as content.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(n) => Some(mwauth::api::result::php_float_text(*n)),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Obj(_) | Value::List(_) => None,
    }
}

fn check_obj(o: &Obj, name: &str, n: roxmltree::Node<'_, '_>) -> Result<(), String> {
    if n.tag_name().name() != name {
        return Err(format!(
            "element {} where {name} was due",
            n.tag_name().name()
        ));
    }
    // ApiFormatXml::recXmlPrint: the content key (META_CONTENT, else `*`) holding a scalar is
    // the element's text; other scalars are attributes, objects and lists children.
    let content_key = o.content.as_deref().unwrap_or("*");
    let mut attrs = 0;
    let mut children: Vec<(&str, &Value)> = Vec::new();
    let mut content = None;
    for (k, v) in &o.entries {
        if k == content_key {
            if let Some(t) = scalar_text(v) {
                content = Some(t);
                continue;
            }
        }
        let want = match v {
            Value::Obj(_) | Value::List(_) => {
                children.push((k, v));
                continue;
            }
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => mwauth::api::result::php_float_text(*f),
            Value::Bool(true) => String::new(),
            Value::Bool(false) | Value::Null => continue,
        };
        attrs += 1;
        match n.attribute(k.as_str()) {
            Some(got) if got == want => {}
            got => return Err(format!("attribute {k}: {got:?} for {want:?}")),
        }
    }
    let kids = elements(n);
    let expected_kids = children.len() + usize::from(content.is_some() && !children.is_empty());
    if kids.len() != expected_kids {
        return Err(format!(
            "{name}: {} children for {expected_kids}",
            kids.len()
        ));
    }
    for ((k, v), kid) in children.iter().zip(&kids) {
        check_value(v, k, *kid)?;
    }
    let mut got_attrs = n.attributes().len();
    if let Some(text) = content {
        let holder = if children.is_empty() {
            got_attrs -= 1;
            n
        } else {
            // Content beside child elements becomes the last child, named after the
            // content key.
            let last = kids[kids.len() - 1];
            if last.tag_name().name() != content_key {
                return Err(format!(
                    "{name}: content child is {}",
                    last.tag_name().name()
                ));
            }
            last
        };
        if holder.attribute(("http://www.w3.org/XML/1998/namespace", "space")) != Some("preserve") {
            return Err(format!("{name}: content without xml:space"));
        }
        let got: String = holder
            .children()
            .filter(|c| c.is_text())
            .filter_map(|c| c.text())
            .collect();
        // XML parsers turn a CR into LF in text; MediaWiki leaves CR unescaped too.
        if !text.contains('\r') && got != text {
            return Err(format!("{name}: content {got:?} for {text:?}"));
        }
    }
    if got_attrs != attrs {
        return Err(format!("{name}: {got_attrs} attributes for {attrs}"));
    }
    Ok(())
}

fn check_value(v: &Value, name: &str, n: roxmltree::Node<'_, '_>) -> Result<(), String> {
    if n.tag_name().name() != name {
        return Err(format!(
            "element {} where {name} was due",
            n.tag_name().name()
        ));
    }
    match v {
        Value::Obj(o) => check_obj(o, name, n),
        Value::List(l) => {
            let kids = elements(n);
            if kids.len() != l.items.len() {
                return Err(format!(
                    "list {name}: {} items for {}",
                    kids.len(),
                    l.items.len()
                ));
            }
            for (item, kid) in l.items.iter().zip(kids) {
                check_value(item, &l.element, kid)?;
            }
            Ok(())
        }
        Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null => {
            let want = match v {
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Float(f) => mwauth::api::result::php_float_text(*f),
                Value::Bool(b) => b.to_string(),
                _ => String::new(),
            };
            let got = n.text().unwrap_or("");
            if !want.contains('\r') && got != want {
                return Err(format!("{name}: text {got:?} for {want:?}"));
            }
            Ok(())
        }
    }
}
