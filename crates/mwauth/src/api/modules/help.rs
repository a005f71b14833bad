//! # action=help (modules, submodules, recursivesubmodules, wrap, toc)
//!
//! - The help page of the given modules (`main` by default, which is also what api.php
//!   without an action shows): an HTML page titled "MediaWiki API help - <site name>",
//!   printed as it is (`text/html`, `api-help.html`) whatever `format` says, unless `wrap` is
//!   given: then `{"help": {"mime": "text/html", "filename": "api-help.html", "help": …}}` in
//!   the asked format. Either way the response carries OutputPage's `Vary`, `Expires` and
//!   `Content-language` headers, as MediaWiki's does.
//! - The page follows ApiHelp::getHelpInternal: the lead, an optional table of contents, and
//!   per module its header, link trail, flags, description, help URLs, parameters (with
//!   their type information), examples and, with `submodules`/`recursivesubmodules`, its
//!   submodules' sections. Texts are MediaWiki's, recorded from the reference wiki
//!   (`data/paraminfo/help.json`).
//! - Differences from MediaWiki: the page around the help is a plain apioutput skin (no
//!   ResourceLoader scripts or styles); main's data-type, templated-parameter and credits
//!   sections are left out; descriptions are MediaWiki's parsed HTML as paraminfo gives it,
//!   so a few paragraph wrappers and type notes differ from Special:ApiHelp's.
//! - An unknown module path is the error `badmodule`, as in MediaWiki.

use super::help_texts::{help_data, Texts};
use super::paraminfo::module_from_path;
use super::{child_path, parent_path, Tree};
use crate::api::context::{article_path, Context, HelpOutput};
use crate::api::error::ApiError;
use crate::api::params::split_multi;
use crate::api::params_spec::{Default, Flags, Handler, Module, ParamSpec, ParamType};
use crate::api::result::Obj;
use crate::i18n::{escape_html, Quotes};
use serde_json::Value as Json;

/// ApiHelp::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::string("modules").multi().default_str("main"),
    ParamSpec::boolean("submodules"),
    ParamSpec::boolean("recursivesubmodules"),
    ParamSpec::boolean("wrap"),
    ParamSpec::boolean("toc"),
];

pub const MODULE: Module = Module {
    name: "help",
    path: "help",
    classname: "ApiHelp",
    group: Some("action"),
    prefix: "",
    flags: Flags::NONE,
    help_urls: &[
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Main_page",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:FAQ",
        "https://www.mediawiki.org/wiki/Special:MyLanguage/API:Quick_start_guide",
    ],
    params: PARAMS,
    handler: Some(Handler::Sync(execute)),
    ..Module::BASE
};

struct Options {
    submodules: bool,
    recursive: bool,
    toc: bool,
}

/// One entry of the table of contents.
struct TocEntry {
    anchor: String,
    line: String,
    number: String,
    level: usize,
}

pub fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let paths = match ctx.params.get("modules").map(str::to_string) {
        Some(raw) => split_multi(&raw),
        None => vec!["main".to_string()],
    };
    let recursive = ctx.params.flag("recursivesubmodules");
    let options = Options {
        submodules: recursive || ctx.params.flag("submodules"),
        recursive,
        toc: ctx.params.flag("toc"),
    };
    let wrap = ctx.params.flag("wrap");
    let mut modules = Vec::new();
    for path in &paths {
        let module = module_from_path(ctx.modules(), path).map_err(|m| ApiError::from_msg(*m))?;
        modules.push(module);
    }
    let page = Page::new(ctx);
    let body = page.help(&modules, &options);
    let html = page.wrap(&body);
    if wrap {
        let mut data = Obj::new()
            .with("mime", "text/html")
            .with("filename", "api-help.html")
            .with("help", html.as_str());
        data.subelements.push("help".into());
        ctx.result.set("help", data);
    }
    ctx.help_output = Some(HelpOutput {
        html,
        wrapped: wrap,
    });
    Ok(())
}

struct Page {
    tree: &'static Tree,
    sitename: String,
    generator: String,
    server: String,
    article_path: String,
    script_path: String,
}

impl Page {
    fn new(ctx: &Context<'_>) -> Page {
        let config = &ctx.services.config;
        Page {
            tree: ctx.modules(),
            sitename: config.sitename.clone(),
            generator: config.generator.clone(),
            server: super::siteinfo::server(ctx),
            article_path: article_path(config),
            script_path: config.script_path.clone(),
        }
    }

    /// The apioutput skin's page around the help.
    fn wrap(&self, content: &str) -> String {
        let ap = &self.article_path;
        let retrieved = format!("{}{ap}Special:ApiHelp", self.server);
        format!(
            "<!DOCTYPE html>\n<html class=\"client-nojs\" lang=\"en\" dir=\"ltr\">\n<head>\n<meta charset=\"UTF-8\"/>\n<title>MediaWiki API help - {site}</title>\n<meta name=\"generator\" content=\"{generator}\"/>\n<meta name=\"robots\" content=\"noindex,nofollow\"/>\n<meta name=\"format-detection\" content=\"telephone=no\"/>\n<meta name=\"viewport\" content=\"width=1000\"/>\n<link rel=\"license\" href=\"https://www.mediawiki.org/wiki/Special:MyLanguage/Copyright\"/>\n</head>\n<body class=\"mediawiki ltr sitedir-ltr mw-hide-empty-elt ns--1 ns-special mw-special-ApiHelp page-Special_ApiHelp rootpage-Special_ApiHelp skin-apioutput action-view\"><div class=\"mw-body\" role=\"main\">\n\t<h1 id=\"firstHeading\">MediaWiki API help</h1>\n\t<div class=\"mw-body-content\">\n\t\t<div id=\"mw-content-text\" class=\"mw-body-content\">{content}\n<div class=\"printfooter\" data-nosnippet=\"\">Retrieved from \"<a dir=\"ltr\" href=\"{retrieved}\">{retrieved}</a>\"</div></div>\n\t</div>\n</div>\n</body>\n</html>\n",
            site = escape_html(&self.sitename, Quotes::Double),
            generator = escape_html(&self.generator, Quotes::Double),
            retrieved = escape_html(&retrieved, Quotes::Double),
        )
    }

    /// ApiHelp::getHelp: the lead, the table of contents, the modules' sections, and the
    /// help links made to point at api.php or into the page.
    fn help(&self, modules: &[&'static Module], options: &Options) -> String {
        let mut out = String::from("<p>This is an auto-generated MediaWiki API documentation page.\n</p><p>Documentation and examples: <a class=\"external free\" href=\"https://www.mediawiki.org/wiki/Special:MyLanguage/API:Main_page\">https://www.mediawiki.org/wiki/Special:MyLanguage/API:Main_page</a>\n</p>");
        let mut toc: Vec<TocEntry> = Vec::new();
        let mut have: Vec<String> = Vec::new();
        let mut number = vec![0usize];
        let sections = self.sections(modules, options, 2, &mut number, &mut toc, &mut have);
        if options.toc && !toc.is_empty() {
            out.push_str(&generate_toc(&toc));
        }
        out.push_str(&sections);
        self.fix_help_links(&out, &have)
    }

    /// ApiHelp::getHelpInternal.
    fn sections(
        &self,
        modules: &[&'static Module],
        options: &Options,
        level: usize,
        number: &mut [usize],
        toc: &mut Vec<TocEntry>,
        have: &mut Vec<String>,
    ) -> String {
        let mut out = String::new();
        for module in modules {
            if let Some(last) = number.last_mut() {
                *last += 1;
            }
            let mut anchor = module.path.to_string();
            let mut i = 1;
            while have.contains(&anchor) {
                i += 1;
                anchor = format!("{}|{i}", module.path);
            }
            let (header, attrs) = if module.path == "main" {
                (
                    "Main module".to_string(),
                    "class=\"apihelp-header\"".to_string(),
                )
            } else {
                let mut h = escape_html(
                    &format!("{}={}", module.group.unwrap_or("action"), module.name),
                    Quotes::Double,
                );
                if !module.prefix.is_empty() {
                    h.push_str(&format!(" ({})", module.prefix));
                }
                (
                    h,
                    "class=\"apihelp-header apihelp-module-name\" dir=\"ltr\" lang=\"en\""
                        .to_string(),
                )
            };
            have.push(anchor.clone());
            toc.push(TocEntry {
                anchor: anchor.clone(),
                line: header.clone(),
                number: number
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join("."),
                level: number.len(),
            });
            let h = level.min(6);
            let mut help_header = format!(
                "<h{h} {attrs} id=\"{}\">{header}</h{h}>",
                escape_html(&anchor, Quotes::Double)
            );
            help_header.push_str(&self.link_trail(module, modules.len(), options));

            let parts = [
                help_header,
                self.flags(module),
                self.description(module),
                help_urls(module),
                self.parameters(module),
                self.examples(module),
                if options.submodules && self.tree.has_submodules(module.path) {
                    let mut subs: Vec<&'static Module> = Vec::new();
                    for group in module
                        .params
                        .iter()
                        .filter(|p| p.ty == ParamType::Submodules)
                    {
                        for name in self.tree.submodule_names(module.path, Some(group.name)) {
                            if let Some(d) = self.tree.find(&child_path(module.path, name)) {
                                subs.push(d);
                            }
                        }
                    }
                    let sub_options = Options {
                        submodules: options.recursive,
                        recursive: options.recursive,
                        toc: options.toc,
                    };
                    let mut sub_number = number.to_vec();
                    sub_number.push(0);
                    self.sections(&subs, &sub_options, level + 1, &mut sub_number, toc, have)
                } else {
                    String::new()
                },
            ];
            out.push_str(&parts.join("\n"));
        }
        out
    }

    fn link_trail(&self, module: &Module, count: usize, options: &Options) -> String {
        let mut chain: Vec<&Module> = vec![module];
        let mut path = module.path;
        while let Some(parent) = parent_path(path) {
            match self.tree.find(parent) {
                Some(d) => {
                    chain.push(d);
                    path = d.path;
                }
                None => break,
            }
        }
        chain.reverse();
        let mut any = false;
        let links: Vec<String> = chain
            .iter()
            .map(|m| {
                let bold = count == 1
                    && m.path == module.path
                    && !(options.submodules && self.tree.has_submodules(m.path));
                if bold {
                    format!("<b dir=\"ltr\" lang=\"en\">{}</b>", m.name)
                } else {
                    any = true;
                    format!(
                        "<a href=\"{}Special:ApiHelp/{}\" class=\"apihelp-linktrail\" dir=\"ltr\" lang=\"en\">{}</a>",
                        self.article_path,
                        m.path.replace('+', "%2B"),
                        m.name
                    )
                }
            })
            .collect();
        if !any {
            return String::new();
        }
        format!(
            "<div class=\"apihelp-linktrail\">({})</div>",
            links.join(" | ")
        )
    }

    fn flags(&self, module: &Module) -> String {
        let mut out = String::from("<div class=\"apihelp-block apihelp-flags\"><ul>");
        for flag in module.flags.names() {
            let text = match flag {
                "deprecated" => "This module is deprecated.",
                "internal" => "<strong>This module is internal or unstable.</strong> Its operation may change without notice.",
                "readrights" => "This module requires read rights.",
                "writerights" => "This module requires write rights.",
                "mustbeposted" => "This module only accepts POST requests.",
                _ => "",
            };
            out.push_str(&format!(
                "<li><span class=\"apihelp-flag-{flag}\">{text}</span></li>"
            ));
        }
        let (source, license) = module
            .extension
            .map_or(("MediaWiki", "GPL-2.0-or-later"), |e| (e.name, e.license));
        out.push_str(&format!("<li><span class=\"apihelp-source\">Source: <span dir=\"ltr\" lang=\"en\">{source}</span></span></li>"));
        out.push_str(&format!(
            "<li><span class=\"apihelp-license\">License: <a href=\"{}Special:Version/License/{source}\" title=\"Special:Version/License/{source}\"><span dir=\"ltr\" lang=\"en\">{license}</span></a></span></li>",
            self.article_path
        ));
        out.push_str("</ul></div>");
        out
    }

    fn texts(&self, module: &Module) -> Option<&'static Json> {
        help_data().get("html")?.get(module.path)
    }

    /// The recorded HTML with this wiki's paths.
    fn localize(&self, s: &str) -> String {
        s.replace("\"/w/index.php/", &format!("\"{}", self.article_path))
            .replace("\"/w/api.php", &format!("\"{}/api.php", self.script_path))
    }

    fn description(&self, module: &Module) -> String {
        let d = self
            .texts(module)
            .and_then(|t| t.get("description"))
            .and_then(Json::as_str)
            .unwrap_or("");
        block(&self.localize(d))
    }

    fn parameters(&self, module: &Module) -> String {
        let n = module.all_params().count();
        if n == 0 && !module.dynamic_parameters {
            return String::new();
        }
        let mut out = String::from("<div class=\"apihelp-block apihelp-parameters\">");
        out.push_str(&format!(
            "<div class=\"apihelp-block-head\">{}:</div>",
            if n == 1 {
                "Specific parameter"
            } else {
                "Specific parameters"
            }
        ));
        if module.path != "main" {
            out.push_str(
                "<div class=\"apihelp-block-header\">Other general parameters are available.</div>",
            );
        }
        out.push_str("<dl>");
        let texts = self.texts(module).and_then(|t| t.get("parameters"));
        let texts_for = Texts::for_help(&self.article_path, &self.script_path, self.tree);
        for spec in module.all_params() {
            out.push_str(&format!(
                "<dt><span dir=\"ltr\" lang=\"en\">{}{}</span></dt>",
                module.prefix, spec.name
            ));
            if spec.deprecated {
                out.push_str("<dd class=\"info\"><strong class=\"apihelp-deprecated\">Deprecated.</strong></dd>");
            }
            let mut d = texts
                .and_then(|t| t.get(spec.name))
                .and_then(|t| t.get("description"))
                .cloned()
                .unwrap_or(Json::Null);
            if matches!(spec.ty, ParamType::Submodules | ParamType::NoSubmodules) {
                d = texts_for.served_values(&d);
            }
            let d = d.as_str().unwrap_or("");
            let d = if d.is_empty() {
                "<span class=\"apihelp-empty\">(no description)</span>".to_string()
            } else {
                block(&self.localize(d))
            };
            out.push_str(&format!("<dd class=\"description\">{d}</dd>"));
            for info in param_help_info(self.tree, module, spec) {
                out.push_str(&format!("<dd class=\"info\">{info}</dd>"));
            }
        }
        if module.dynamic_parameters {
            if let Some(d) = self
                .texts(module)
                .and_then(|t| t.get("dynamicparameters"))
                .and_then(Json::as_str)
            {
                out.push_str(&format!(
                    "<dt>*</dt><dd class=\"description\">{}</dd>",
                    self.localize(d)
                ));
            }
        }
        out.push_str("</dl></div>");
        out
    }

    fn examples(&self, module: &Module) -> String {
        let Some(Json::Array(examples)) = self.texts(module).and_then(|t| t.get("examples")) else {
            return String::new();
        };
        if examples.is_empty() {
            return String::new();
        }
        let mut out = format!(
            "<div class=\"apihelp-block apihelp-examples\"><div class=\"apihelp-block-head\">{}:</div><dl>",
            if examples.len() == 1 {
                "Example"
            } else {
                "Examples"
            }
        );
        for ex in examples {
            let qs = ex["query"].as_str().unwrap_or("");
            let d = ex["description"].as_str().unwrap_or("");
            let link = format!("{}/api.php?{}", self.script_path, encode_query(qs));
            let sandbox = format!(
                "{}Special:ApiSandbox#{}",
                self.article_path,
                encode_query(qs)
            );
            out.push_str(&format!(
                "<dt>{}</dt><dd><a href=\"{}\" dir=\"ltr\" rel=\"nofollow\">api.php?{}</a> <a href=\"{}\"><small>[open in sandbox]</small></a></dd>",
                self.localize(d),
                escape_html(&link, Quotes::Double),
                // Text, not an attribute: the parser leaves its quotes as they are.
                escape_html(qs, Quotes::Double).replace("&quot;", "\""),
                escape_html(&sandbox, Quotes::Double)
            ));
        }
        out.push_str("</dl></div>");
        out
    }

    /// ApiHelp::fixHelpLinks: links to Special:ApiHelp/X go to X's section when it is on the
    /// page, otherwise to `api.php?action=help&modules=X`; the link trail keeps its links.
    fn fix_help_links(&self, html: &str, have: &[String]) -> String {
        let marker = format!("<a href=\"{}Special:ApiHelp/", self.article_path);
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(i) = rest.find(&marker) {
            out.push_str(&rest[..i]);
            let after = &rest[i + marker.len()..];
            let Some(end) = after.find('"') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let target = after[..end].replace("%2B", "+");
            let mut tail = &after[end + 1..];
            if tail.starts_with(" class=\"apihelp-linktrail\"") {
                out.push_str(&rest[i..i + marker.len() + end + 1]);
                rest = tail;
                continue;
            }
            if let Some(t) = tail.strip_prefix(" title=\"") {
                if let Some(j) = t.find('"') {
                    tail = &t[j + 1..];
                }
            }
            let (module, fragment) = match target.split_once('#') {
                Some((m, f)) => (m.to_string(), format!("#{f}")),
                None => (target.clone(), String::new()),
            };
            let href = if have.contains(&module) {
                if fragment.is_empty() {
                    format!("#{module}")
                } else {
                    fragment
                }
            } else {
                format!(
                    "{}/api.php?action=help&amp;modules={}{fragment}",
                    self.script_path,
                    module.replace('+', "%2B")
                )
            };
            out.push_str(&format!("<a href=\"{href}\""));
            rest = tail;
        }
        out.push_str(rest);
        out
    }
}

/// Message::parseAsBlock for a recorded description: paragraphs keep their `<p>`.
fn block(html: &str) -> String {
    if html.is_empty() || html.starts_with('<') || html.starts_with('\n') {
        html.to_string()
    } else {
        format!("<p>{html}\n</p>")
    }
}

fn help_urls(module: &Module) -> String {
    if module.help_urls.is_empty() {
        return String::new();
    }
    let mut out = String::from("<div class=\"apihelp-block apihelp-help-urls\"><ul>");
    for url in module.help_urls {
        out.push_str(&format!("<li><a href=\"{url}\" dir=\"ltr\">{url}</a></li>"));
    }
    out.push_str("</ul></div>");
    out
}

/// wfAppendQuery's encoding of an example's query string: `|` and `+` are escaped; then
/// the parser's link normalization (Parser::normalizeUrlComponent) escapes what may not
/// stand in a URL (`"`, `{`, `}`, `<`, `>`, `[`, `]`, `^`, `` ` ``, `\`).
fn encode_query(qs: &str) -> String {
    let mut out = String::with_capacity(qs.len());
    for c in qs.chars() {
        match c {
            '|' => out.push_str("%7C"),
            '+' => out.push_str("%2B"),
            ' ' => out.push('+'),
            '"' | '{' | '}' | '<' | '>' | '[' | ']' | '^' | '`' | '\\' => {
                out.push_str(&format!("%{:02X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// UserDef's `paramvalidator-help-type-user` for the allowed user types.
fn user_type_help(subtypes: &[&str]) -> String {
    let names: Vec<String> = subtypes
        .iter()
        .map(|t| {
            match *t {
                "name" => "username",
                "ip" => "IP",
                "cidr" => "IP range",
                "interwiki" => "interwiki name (e.g. \"prefix&gt;ExampleName\")",
                "id" => "user ID (e.g. \"#12345\")",
                other => other,
            }
            .to_string()
        })
        .collect();
    match names.as_slice() {
        [one] => format!("Type: user, by {one}"),
        _ => format!(
            "Type: user, by any of {}",
            crate::i18n::Lang::en().list_to_text(&names)
        ),
    }
}

/// ParamValidator::getHelpInfo for one parameter, as ApiHelp shows it.
fn param_help_info(tree: &Tree, module: &Module, spec: &ParamSpec) -> Vec<String> {
    let mut info = Vec::new();
    if spec.required {
        info.push("This parameter is required.".to_string());
    }
    let values: Option<Vec<&str>> = match spec.ty {
        ParamType::Enum(_)
        | ParamType::Submodules
        | ParamType::NoSubmodules
        | ParamType::QueryModules
        | ParamType::FormatModules => Some(tree.sorted_values(module, spec)),
        _ => None,
    };
    match (spec.ty, &values) {
        (_, Some(values)) => {
            let list = values
                .iter()
                .map(|v| {
                    if matches!(spec.ty, ParamType::Submodules) {
                        format!(
                            "<a href=\"#{}\">{}</a>",
                            escape_html(&child_path(module.path, v), Quotes::Double),
                            escape_html(v, Quotes::Double)
                        )
                    } else {
                        escape_html(v, Quotes::Double)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            if spec.multi {
                info.push(format!("Values (separate with <kbd>|</kbd> or <a href=\"#main/datatypes\">alternative</a>): {list}"));
            } else {
                info.push(format!("One of the following values: {list}"));
            }
        }
        (ParamType::Boolean, _) => {
            info.push("Type: boolean (<a href=\"#main/datatype/boolean\">details</a>)".to_string())
        }
        (ParamType::Integer, _) => info.push(if spec.multi {
            "Type: list of integers".to_string()
        } else {
            "Type: integer".to_string()
        }),
        (ParamType::User(subtypes), _) => info.push(user_type_help(subtypes)),
        _ => {}
    }
    if spec.multi {
        if values.is_none() {
            info.push(
                "Separate values with <kbd>|</kbd> or <a href=\"#main/datatypes\">alternative</a>."
                    .to_string(),
            );
        }
        if values.as_ref().is_none_or(|v| v.len() > 50) {
            info.push(
                "Maximum number of values is 50 (500 for clients that are allowed higher limits)."
                    .to_string(),
            );
        }
        if spec.all {
            info.push("To specify all values, use <kbd>*</kbd>.".to_string());
        }
    }
    match spec.default {
        Some(Default::Str("")) => {
            info.push("Default: <span class=\"apihelp-empty\">(empty)</span>".to_string())
        }
        Some(Default::Str(s)) => info.push(format!("Default: {}", escape_html(s, Quotes::Double))),
        Some(Default::Int(n)) => info.push(format!("Default: {n}")),
        None => {}
    }
    info
}

/// Linker::generateTOC.
fn generate_toc(entries: &[TocEntry]) -> String {
    let mut out = String::from("<div id=\"toc\" class=\"toc\" role=\"navigation\" aria-labelledby=\"mw-toc-heading\"><input type=\"checkbox\" role=\"button\" id=\"toctogglecheckbox\" class=\"toctogglecheckbox\" style=\"display:none\"><div class=\"toctitle\" lang=\"en\" dir=\"ltr\"><h2 id=\"mw-toc-heading\">Contents</h2><span class=\"toctogglespan\"><label class=\"toctogglelabel\" for=\"toctogglecheckbox\"></label></span></div>\n<ul>\n");
    let mut depth = 1;
    for (i, e) in entries.iter().enumerate() {
        while depth < e.level {
            out.push_str("\n<ul>\n");
            depth += 1;
        }
        while depth > e.level {
            out.push_str("</li>\n</ul>\n");
            depth -= 1;
        }
        if i > 0 && entries[i - 1].level >= e.level {
            out.push_str("</li>\n");
        }
        out.push_str(&format!(
            "<li class=\"toclevel-{}\"><a href=\"#{}\"><span class=\"tocnumber\">{}</span> <span class=\"toctext\">{}</span></a>",
            e.level,
            escape_html(&e.anchor, Quotes::Double),
            e.number,
            e.line
        ));
    }
    while depth > 1 {
        out.push_str("</li>\n</ul>\n");
        depth -= 1;
    }
    out.push_str("</li></ul></div>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_information() {
        let tree = &super::super::CORE;
        let tokens = tree.find("query+tokens").unwrap();
        assert_eq!(
            param_help_info(tree, tokens, &tokens.params[0]),
            [
                "Values (separate with <kbd>|</kbd> or <a href=\"#main/datatypes\">alternative</a>): createaccount, csrf, login, patrol, rollback, userrights, watch",
                "To specify all values, use <kbd>*</kbd>.",
                "Default: csrf"
            ]
        );
        let check = tree.find("checktoken").unwrap();
        assert_eq!(
            param_help_info(tree, check, &check.params[2]),
            ["Type: integer"]
        );
    }

    #[test]
    fn table_of_contents_nests() {
        let e = |anchor: &str, number: &str, level| TocEntry {
            anchor: anchor.into(),
            line: anchor.into(),
            number: number.into(),
            level,
        };
        let toc = generate_toc(&[e("main", "1", 1), e("login", "1.1", 2), e("json", "2", 1)]);
        assert!(toc.ends_with("<li class=\"toclevel-1\"><a href=\"#main\"><span class=\"tocnumber\">1</span> <span class=\"toctext\">main</span></a>\n<ul>\n<li class=\"toclevel-2\"><a href=\"#login\"><span class=\"tocnumber\">1.1</span> <span class=\"toctext\">login</span></a></li>\n</ul>\n</li>\n<li class=\"toclevel-1\"><a href=\"#json\"><span class=\"tocnumber\">2</span> <span class=\"toctext\">json</span></a></li></ul></div>\n"), "{toc}");
    }
}
