//! ApiFormatXml: scalars become attributes, objects and lists child elements, content the
//! element's text (with `xml:space="preserve"`), true booleans empty attributes.

use crate::api::result::{Obj, Value};

pub fn write(root: &Obj) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?>");
    write_obj(&mut out, "api", root);
    out
}

fn write_obj(out: &mut String, name: &str, o: &Obj) {
    let mut attrs = String::new();
    let mut children: Vec<(&str, &Value)> = Vec::new();
    let mut content: Option<&str> = None;
    for (k, v) in &o.entries {
        let is_content = o.content.as_deref() == Some(k.as_str());
        match v {
            Value::Obj(_) | Value::List(_) => children.push((k, v)),
            Value::Str(s) if is_content => content = Some(s),
            Value::Str(s) => push_attr(&mut attrs, k, s),
            Value::Int(n) => push_attr(&mut attrs, k, &n.to_string()),
            Value::Bool(true) => push_attr(&mut attrs, k, ""),
            Value::Bool(false) => {}
        }
    }
    if let Some(text) = content {
        if children.is_empty() {
            attrs.push_str(" xml:space=\"preserve\"");
            out.push_str(&format!("<{name}{attrs}>{}</{name}>", escape_text(text)));
            return;
        }
        // Content beside child elements becomes a child of its own, as MediaWiki does.
        out.push_str(&format!("<{name}{attrs}>"));
        for (k, v) in &children {
            write_value(out, k, v);
        }
        out.push_str(&format!("<{}>{}</{}>", "_", escape_text(text), "_"));
        out.push_str(&format!("</{name}>"));
        return;
    }
    if children.is_empty() {
        out.push_str(&format!("<{name}{attrs} />"));
        return;
    }
    out.push_str(&format!("<{name}{attrs}>"));
    for (k, v) in children {
        write_value(out, k, v);
    }
    out.push_str(&format!("</{name}>"));
}

fn write_value(out: &mut String, name: &str, v: &Value) {
    match v {
        Value::Obj(o) => write_obj(out, name, o),
        Value::List(l) => {
            if l.items.is_empty() {
                out.push_str(&format!("<{name} />"));
                return;
            }
            out.push_str(&format!("<{name}>"));
            for item in &l.items {
                write_value(out, &l.element, item);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Str(s) => scalar_element(out, name, s),
        Value::Int(n) => scalar_element(out, name, &n.to_string()),
        Value::Bool(b) => scalar_element(out, name, if *b { "true" } else { "false" }),
    }
}

fn scalar_element(out: &mut String, name: &str, text: &str) {
    if text.is_empty() {
        out.push_str(&format!("<{name} />"));
    } else {
        out.push_str(&format!("<{name}>{}</{name}>", escape_text(text)));
    }
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
