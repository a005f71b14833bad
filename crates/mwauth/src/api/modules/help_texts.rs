//! MediaWiki's help texts of the served modules, recorded from the reference wiki
//! (`data/paraminfo/help.json`), as action=paraminfo (`helpformat`) and action=help show
//! them: this wiki's paths in their links, and only the served modules in the per-value
//! lists of submodule parameters.

use super::Tree;
use crate::api::context::{article_path, Context};
use crate::api::params_spec::Module;
use crate::api::result::{List, Obj, ObjKind, Value};
use serde_json::Value as Json;
use std::sync::OnceLock;
static HELP: OnceLock<Json> = OnceLock::new();

/// The recorded help texts (`data/paraminfo/help.json`).
pub fn help_data() -> &'static Json {
    HELP.get_or_init(|| {
        serde_json::from_str(include_str!("../../../data/paraminfo/help.json"))
            .unwrap_or(Json::Null)
    })
}

/// The help texts in one help format, with this wiki's paths in their links.
pub struct Texts {
    pub format: String,
    /// The module tree served: per-value texts of other modules are left out.
    tree: &'static Tree,
    script_path: String,
    article_path: String,
}

impl Texts {
    pub fn new(ctx: &Context<'_>, format: &str) -> Texts {
        Texts {
            format: format.to_string(),
            tree: ctx.modules(),
            script_path: ctx.services.config.script_path.clone(),
            article_path: article_path(&ctx.services.config),
        }
    }

    /// The HTML texts, as action=help shows them.
    pub fn for_help(article_path: &str, script_path: &str, tree: &'static Tree) -> Texts {
        Texts {
            format: "html".into(),
            tree,
            script_path: script_path.to_string(),
            article_path: article_path.to_string(),
        }
    }

    /// A module's recorded texts, `None` with helpformat=none.
    pub fn module(&self, module: &Module) -> Option<&'static Json> {
        if self.format == "none" {
            return None;
        }
        let key = if module.classname == "ApiPageSet" {
            "pageset"
        } else {
            module.path
        };
        help_data().get(self.format.as_str())?.get(key)
    }

    /// A recorded text as a result value: strings with this wiki's paths, `raw` messages as
    /// objects (lists of them tagged `element`, their parameters `param`).
    pub fn value(&self, v: &Json, element: &str) -> Value {
        match v {
            Json::String(s) => Value::Str(self.localize(s)),
            Json::Array(items) => {
                let mut l = List::new(element);
                for x in items {
                    l.push(self.value(x, "param"));
                }
                Value::List(l)
            }
            Json::Object(map) => {
                let mut o = Obj::new().kind(ObjKind::Untyped);
                for (k, x) in map {
                    let child = match x {
                        Json::Array(_) => self.value(x, "param"),
                        _ => self.value(x, ""),
                    };
                    o.set(k, child);
                }
                Value::Obj(o)
            }
            other => super::siteinfo::convert(other, element),
        }
    }

    /// The reference wiki's links (`/w/api.php`, `/w/index.php/…`) with this wiki's paths.
    fn localize(&self, s: &str) -> String {
        s.replace("\"/w/index.php/", &format!("\"{}", self.article_path))
            .replace("\"/w/api.php", &format!("\"{}/api.php", self.script_path))
    }

    /// A submodule parameter's description without the per-value entries of modules mwauth
    /// does not serve.
    pub fn served_values(&self, d: &Json) -> Json {
        match d {
            Json::Array(msgs) => Json::Array(
                msgs.iter()
                    .filter(|m| {
                        m.get("forvalue")
                            .and_then(Json::as_str)
                            .is_none_or(|v| served_link(self.tree, v, "[[Special:ApiHelp/", '|'))
                    })
                    .cloned()
                    .collect(),
            ),
            Json::String(s) if self.format == "wikitext" => {
                let mut lines: Vec<&str> = s
                    .split('\n')
                    .filter(|l| {
                        !l.starts_with(';') || served_link(self.tree, l, "[[Special:ApiHelp/", '|')
                    })
                    .collect();
                while lines.last() == Some(&"") {
                    lines.pop();
                }
                Json::String(lines.join("\n"))
            }
            Json::String(s) if self.format == "html" => Json::String(filter_html(self.tree, s)),
            other => other.clone(),
        }
    }
}

/// Whether the module a help link points at is served: `marker` followed by the module
/// path up to `end`.
fn served_link(tree: &Tree, text: &str, marker: &str, end: char) -> bool {
    let Some(i) = text.find(marker) else {
        return true;
    };
    let rest = &text[i + marker.len()..];
    let path = rest.split(end).next().unwrap_or("");
    tree.find(&path.replace("%2B", "+")).is_some()
}

/// The `<dl>` of per-value descriptions without unserved modules; without any left, the
/// list goes and the paragraph before it loses its `<p>` (Parser::stripOuterParagraph).
fn filter_html(tree: &Tree, s: &str) -> String {
    const DL: &str = "<dl><dt>";
    let Some(start) = s.find(DL) else {
        return s.to_string();
    };
    let Some(end) = s[start..].find("</dl>").map(|e| start + e) else {
        return s.to_string();
    };
    let body = &s[start + "<dl>".len()..end];
    let kept: Vec<&str> = body
        .split("<dt>")
        .filter(|item| !item.is_empty())
        .filter(|item| served_link(tree, item, "Special:ApiHelp/", '"'))
        .collect();
    if kept.is_empty() {
        let before = s[..start].trim_end_matches('\n');
        let after = &s[end + "</dl>".len()..];
        return strip_outer_paragraph(&format!("{before}{after}"));
    }
    let mut items: Vec<String> = kept.iter().map(|k| format!("<dt>{k}")).collect();
    if let Some(last) = items.last_mut() {
        *last = last.trim_end_matches('\n').to_string();
    }
    for item in items.iter_mut().rev().skip(1) {
        if !item.ends_with('\n') {
            item.push('\n');
        }
    }
    format!(
        "{}<dl>{}</dl>{}",
        &s[..start],
        items.concat(),
        &s[end + "</dl>".len()..]
    )
}

/// Parser::stripOuterParagraph.
pub fn strip_outer_paragraph(html: &str) -> String {
    if let Some(inner) = html.strip_prefix("<p>") {
        let inner = inner.strip_suffix('\n').unwrap_or(inner);
        if let Some(inner) = inner.strip_suffix("</p>") {
            let inner = inner.strip_suffix('\n').unwrap_or(inner);
            if !inner.contains("</p>") {
                return inner.to_string();
            }
        }
    }
    html.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_value_lists_keep_served_modules() {
        let html = "<p>Which action to perform.\n</p>\n<dl><dt><span><a href=\"/w/index.php/Special:ApiHelp/block\" title=\"x\">block</a></span></dt>\n<dd>Block a user.</dd>\n<dt><span><a href=\"/w/index.php/Special:ApiHelp/login\" title=\"x\">login</a></span></dt>\n<dd>Log in.</dd>\n<dt><span><a href=\"/w/index.php/Special:ApiHelp/edit\">edit</a></span></dt>\n<dd>Edit.</dd></dl>";
        assert_eq!(
            filter_html(&super::super::CORE, html),
            "<p>Which action to perform.\n</p>\n<dl><dt><span><a href=\"/w/index.php/Special:ApiHelp/login\" title=\"x\">login</a></span></dt>\n<dd>Log in.</dd></dl>"
        );
        let none = "<p>Which properties.\n</p>\n<dl><dt><a href=\"/w/index.php/Special:ApiHelp/query%2Binfo\">info</a></dt>\n<dd>Info.</dd></dl>";
        assert_eq!(filter_html(&super::super::CORE, none), "Which properties.");
        assert!(help_data()
            .get("raw")
            .and_then(|r| r.get("query+tokens"))
            .is_some());
    }
}
