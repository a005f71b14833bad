//! ApiFormatXml: scalars become attributes, objects and lists child elements, content the
//! element's text (with `xml:space="preserve"`), true booleans empty attributes.

use crate::api::result::{is_int_key, List, Obj, ObjKind, Value};

pub fn write(root: &Obj) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>");
    write_obj(&mut out, "api", root, String::new());
    out
}

/// A child element of an object, in the order ApiFormatXml::recXmlPrint writes them.
enum Child<'a> {
    Value(String, &'a Value),
    /// A scalar written as an element of its own (META_SUBELEMENTS, or content beside
    /// child elements).
    Text(String, String),
}

/// The text of a scalar as an element's content (booleans become `true`/`false`).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        Value::Float(n) => Some(crate::api::result::php_float_text(*n)),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_string()),
        Value::Null | Value::Obj(_) | Value::List(_) => None,
    }
}

/// An object as element `name`; `attrs` holds attributes that come first (`_idx`).
fn write_obj(out: &mut String, name: &str, o: &Obj, mut attrs: String) {
    if let ObjKind::Kvp(key) = &o.kind {
        if o.entries.is_empty() {
            out.push_str(&format!("<{name}{attrs} />"));
            return;
        }
        out.push_str(&format!("<{name}{attrs}>"));
        write_kvp_items(out, o, key);
        out.push_str(&format!("</{name}>"));
        return;
    }
    let content_key = o.content.as_deref().unwrap_or("*");
    let mut children: Vec<Child> = Vec::new();
    let mut indexed: Vec<(&str, &Value)> = Vec::new();
    let mut content: Option<String> = None;
    for (k, v) in &o.entries {
        if k == content_key {
            if let Some(text) = scalar_text(v) {
                content = Some(text);
                continue;
            }
        }
        if is_int_key(k) {
            indexed.push((k, v));
            continue;
        }
        match v {
            Value::Obj(_) | Value::List(_) => children.push(Child::Value(mangle_name(k), v)),
            _ if o.subelements.iter().any(|s| s == k) => {
                let text = scalar_text(v).unwrap_or_default();
                children.push(Child::Text(mangle_name(k), text));
            }
            Value::Bool(true) => push_attr(&mut attrs, &mangle_name(k), ""),
            // recXmlPrint writes no attribute for a null.
            Value::Bool(false) | Value::Null => {}
            Value::Str(s) => push_attr(&mut attrs, &mangle_name(k), s),
            Value::Int(n) => push_attr(&mut attrs, &mangle_name(k), &n.to_string()),
            Value::Float(n) => push_attr(
                &mut attrs,
                &mangle_name(k),
                &crate::api::result::php_float_text(*n),
            ),
        }
    }
    if let Some(text) = content.take() {
        if children.is_empty() && indexed.is_empty() {
            attrs.push_str(" xml:space=\"preserve\"");
            element(out, name, &attrs, &text);
            return;
        }
        // Content beside child elements becomes an element of its own.
        children.push(Child::Text(mangle_name(content_key), text));
    }
    if children.is_empty() && indexed.is_empty() {
        out.push_str(&format!("<{name}{attrs} />"));
        return;
    }
    out.push_str(&format!("<{name}{attrs}>"));
    write_children(out, o, children, indexed);
    out.push_str(&format!("</{name}>"));
}

fn write_children(out: &mut String, o: &Obj, children: Vec<Child>, indexed: Vec<(&str, &Value)>) {
    for child in children {
        match child {
            Child::Value(k, v) => write_value(out, &k, v, String::new()),
            Child::Text(k, text) => element(out, &k, " xml:space=\"preserve\"", &text),
        }
    }
    // Integer keys: indexed elements, with `_idx` unless the array ends up a plain list.
    let tag = o.element.as_deref().map_or("_v".to_string(), mangle_name);
    let sequential = o.kind == ObjKind::Untyped
        && o.entries.iter().all(|(k, _)| is_int_key(k))
        && o.entries.len() == indexed.len();
    for (k, v) in indexed {
        let mut attrs = String::new();
        if !sequential {
            push_attr(&mut attrs, "_idx", k);
        }
        write_value(out, &tag, v, attrs);
    }
}

/// A `kvp` object's entries as ArmorKVP writes them: one indexed element per entry, its key
/// in the attribute `key`, its value as content.
fn write_kvp_items(out: &mut String, o: &Obj, key: &str) {
    let tag = o.element.as_deref().map_or("_v".to_string(), mangle_name);
    for (k, v) in &o.entries {
        let mut attrs = String::new();
        push_attr(&mut attrs, key, k);
        match scalar_text(v) {
            Some(text) => {
                attrs.push_str(" xml:space=\"preserve\"");
                element(out, &tag, &attrs, &text);
            }
            None => {
                out.push_str(&format!("<{tag}{attrs}>"));
                write_inner(out, v);
                out.push_str(&format!("</{tag}>"));
            }
        }
    }
}

/// recXmlPrint without an element name: the children of an array value, with its scalars as
/// elements.
fn write_inner(out: &mut String, v: &Value) {
    match v {
        Value::Obj(o) => {
            if let ObjKind::Kvp(key) = &o.kind {
                write_kvp_items(out, o, key);
                return;
            }
            let mut children = Vec::new();
            let mut indexed = Vec::new();
            for (k, v) in &o.entries {
                if is_int_key(k) {
                    indexed.push((k.as_str(), v));
                } else if let Some(text) = scalar_text(v) {
                    children.push(Child::Text(mangle_name(k), text));
                } else {
                    children.push(Child::Value(mangle_name(k), v));
                }
            }
            write_children(out, o, children, indexed);
        }
        Value::List(l) => write_items(out, l),
        _ => {}
    }
}

fn write_items(out: &mut String, l: &List) {
    // Without META_INDEXED_TAG_NAME, MediaWiki's `_v` (not mangled).
    let tag = if l.element.is_empty() {
        "_v".to_string()
    } else {
        mangle_name(&l.element)
    };
    for (i, item) in l.items.iter().enumerate() {
        let mut attrs = String::new();
        if l.bc_assoc {
            push_attr(&mut attrs, "_idx", &i.to_string());
        }
        write_value(out, &tag, item, attrs);
    }
}

fn write_value(out: &mut String, name: &str, v: &Value, attrs: String) {
    match v {
        Value::Obj(o) => write_obj(out, name, o, attrs),
        Value::List(l) => {
            if l.items.is_empty() {
                out.push_str(&format!("<{name}{attrs} />"));
                return;
            }
            out.push_str(&format!("<{name}{attrs}>"));
            write_items(out, l);
            out.push_str(&format!("</{name}>"));
        }
        _ => element(out, name, &attrs, &scalar_text(v).unwrap_or_default()),
    }
}

/// Xml::element: an empty text gives a short tag.
fn element(out: &mut String, name: &str, attrs: &str, text: &str) {
    if text.is_empty() {
        out.push_str(&format!("<{name}{attrs} />"));
    } else {
        out.push_str(&format!("<{name}{attrs}>{}</{name}>", escape_text(text)));
    }
}

/// ApiFormatXml::mangleName: names that are not XML names become `_` followed by the name
/// with `.` as `.2E.` and every other invalid character as `.HEX.`.
fn mangle_name(name: &str) -> String {
    fn start_char(c: char) -> bool {
        let u = c as u32;
        c.is_ascii_alphabetic()
            || (0xC0..=0xD6).contains(&u)
            || (0xD8..=0xF6).contains(&u)
            || (0xF8..=0x2FF).contains(&u)
            || (0x370..=0x37D).contains(&u)
            || (0x37F..=0x1FFF).contains(&u)
            || (0x200C..=0x200D).contains(&u)
            || (0x2070..=0x218F).contains(&u)
            || (0x2C00..=0x2FEF).contains(&u)
            || (0x3001..=0xD7FF).contains(&u)
            || (0xF900..=0xFDCF).contains(&u)
            || (0xFDF0..=0xFFFD).contains(&u)
            || (0x10000..=0xEFFFF).contains(&u)
    }
    fn name_char(c: char) -> bool {
        let u = c as u32;
        start_char(c)
            || c == '_'
            || c == '-'
            || c == '.'
            || c.is_ascii_digit()
            || u == 0xB7
            || (0x300..=0x36F).contains(&u)
            || (0x203F..=0x2040).contains(&u)
    }
    if name.is_empty() {
        return "_".to_string();
    }
    let mut chars = name.chars();
    if chars.next().is_some_and(start_char) && chars.all(name_char) {
        return name.to_string();
    }
    let mut out = String::from("_");
    for c in name.chars() {
        if c == '.' {
            out.push_str(".2E.");
        } else if name_char(c) {
            out.push(c);
        } else {
            out.push_str(&format!(".{:X}.", c as u32));
        }
    }
    out
}

fn push_attr(attrs: &mut String, k: &str, v: &str) {
    attrs.push(' ');
    attrs.push_str(k);
    attrs.push_str("=\"");
    // Sanitizer::encodeAttribute: htmlspecialchars(ENT_QUOTES) and whitespace as entities.
    for c in v.chars() {
        match c {
            '&' => attrs.push_str("&amp;"),
            '<' => attrs.push_str("&lt;"),
            '>' => attrs.push_str("&gt;"),
            '"' => attrs.push_str("&quot;"),
            '\'' => attrs.push_str("&#039;"),
            '\n' => attrs.push_str("&#10;"),
            '\r' => attrs.push_str("&#13;"),
            '\t' => attrs.push_str("&#9;"),
            c => attrs.push(c),
        }
    }
    attrs.push('"');
}

fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::result::List;

    #[test]
    fn writes_like_the_golden_transcripts() {
        let root = Obj::new().with("batchcomplete", true).with(
            "query",
            Obj::new().with("tokens", Obj::new().with("csrftoken", "+\\")),
        );
        assert_eq!(
            write(&root),
            r#"<?xml version="1.0"?><api batchcomplete=""><query><tokens csrftoken="+\" /></query></api>"#
        );
        let mut err = Obj::new()
            .with("code", "missingparam")
            .with("info", "The \"token\" parameter");
        err.set_content("docref", "See &lt;x&gt;");
        let root = Obj::new().with("error", err);
        assert_eq!(
            write(&root),
            r#"<?xml version="1.0"?><api><error code="missingparam" info="The &quot;token&quot; parameter" xml:space="preserve">See &amp;lt;x&amp;gt;</error></api>"#
        );
    }

    #[test]
    fn siteinfo_shapes() {
        use crate::api::result::ObjKind;
        let mut ns = Obj::new().element("ns");
        let mut main = Obj::new().with("id", 0i64).with("content", true);
        main.set_content("name", "");
        let mut media = Obj::new().with("id", -2i64).with("content", false);
        media.set_content("name", "Media");
        ns.set("-2", media);
        ns.set("0", main);
        let thumbs = List {
            items: vec![Value::Int(120), Value::Int(150)],
            element: "limit".into(),
            bc_assoc: true,
        };
        let magic = Obj::new().kind(ObjKind::Untyped).with("ISBN", false);
        let root = Obj::new()
            .with("namespaces", ns)
            .with("thumblimits", thumbs)
            .with("magiclinks", magic)
            .with("ids", List::of_strings("", vec!["local".into()]));
        assert_eq!(
            write(&root),
            r#"<?xml version="1.0"?><api><namespaces><ns _idx="-2" id="-2" xml:space="preserve">Media</ns><ns _idx="0" id="0" content="" xml:space="preserve" /></namespaces><thumblimits><limit _idx="0">120</limit><limit _idx="1">150</limit></thumblimits><magiclinks /><ids><_v>local</_v></ids></api>"#
        );
    }

    #[test]
    fn kvp_and_content_beside_children() {
        use crate::api::result::ObjKind;
        let inner = Obj::new()
            .kind(ObjKind::Kvp("code".into()))
            .element("variant")
            .with(
                "zh-cn",
                Obj::new().with("fallbacks", List::of_strings("variant", vec!["zh".into()])),
            );
        let outer = Obj::new()
            .kind(ObjKind::Kvp("code".into()))
            .element("lang")
            .with("zh", inner);
        let mut root = Obj::new().with("languagevariants", outer);
        root.set("errors", List::new("error"));
        root.set_content("docref", "See x");
        assert_eq!(
            write(&root),
            r#"<?xml version="1.0"?><api><languagevariants><lang code="zh"><variant code="zh-cn"><fallbacks><variant>zh</variant></fallbacks></variant></lang></languagevariants><errors /><docref xml:space="preserve">See x</docref></api>"#
        );
        assert_eq!(mangle_name("a b.c"), "_a.20.b.2E.c");
        assert_eq!(mangle_name("*"), "_.2A.");
    }

    #[test]
    fn lists_use_their_element_name() {
        let root = Obj::new().with(
            "groups",
            List::of_strings("g", vec!["*".into(), "user".into()]),
        );
        assert_eq!(
            write(&root),
            r#"<?xml version="1.0"?><api><groups><g>*</g><g>user</g></groups></api>"#
        );
    }
}
