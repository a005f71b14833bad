//! # action=paraminfo (modules, helpformat; deprecated querymodules, mainmodule, pagesetmodule, formatmodules)
//!
//! - Describes each module asked for by path (`login`, `query+tokens`, `main`, `json`;
//!   `X+*` and `X+**` expand to X's submodules, `*` and `**` to main's), as ApiParamInfo
//!   does: class name, path, group, prefix, source and licence, flags, help URLs, and every
//!   parameter with the type information ParamValidator gives (from each module's
//!   [`ParamSpec`](crate::api::params_spec::ParamSpec) declarations).
//! - Only the modules mwauth serves exist: main's `action`, query's `meta` and this module's
//!   `querymodules` list those, and a path to any other module gets MediaWiki's
//!   "does not have a submodule" warning.
//! - `helpformat=wikitext|html|raw` adds MediaWiki's help texts, recorded from the reference
//!   wiki (`data/paraminfo/help.json`), keeping only the served modules in the per-value
//!   lists of submodule parameters.

use super::help_texts::Texts;
use super::{child_path, Tree};
use crate::api::context::{article_path, Context};
use crate::api::error::{ApiError, ApiMessage};
use crate::api::params::{split_multi, MULTI_LIMIT};
use crate::api::params_spec::{
    self, Default, Flags, Handler, Module, ParamSpec, ParamType, PAGESET,
};
use crate::api::result::{List, Obj, ObjKind, Value};
use serde_json::Value as Json;

const HELP_FORMATS: &[&str] = &["html", "wikitext", "raw", "none"];

/// ApiParamInfo::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::string("modules").multi(),
    ParamSpec::enumeration("helpformat", HELP_FORMATS).default_str("none"),
    ParamSpec::new("querymodules", ParamType::QueryModules)
        .deprecated()
        .multi(),
    ParamSpec::string("mainmodule").deprecated(),
    ParamSpec::string("pagesetmodule").deprecated(),
    ParamSpec::new("formatmodules", ParamType::FormatModules)
        .deprecated()
        .multi(),
];

pub const MODULE: Module = Module {
    name: "paraminfo",
    path: "paraminfo",
    classname: "ApiParamInfo",
    group: Some("action"),
    prefix: "",
    flags: Flags::NONE,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Parameter_information"],
    params: PARAMS,
    handler: Some(Handler::Sync(execute)),
    ..Module::BASE
};

pub fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let modules = multi_string(ctx, "modules")?;
    let helpformat = ctx
        .single_enum("helpformat", HELP_FORMATS, Some("none"))?
        .unwrap_or_else(|| "none".into());
    let query_modules = deprecated_multi(ctx, "querymodules")?;
    let main_module = deprecated_flag(ctx, "mainmodule");
    let pageset_module = deprecated_flag(ctx, "pagesetmodule");
    let format_modules = deprecated_multi(ctx, "formatmodules")?;

    let mut paths: Vec<String> = Vec::new();
    for path in modules.unwrap_or_default() {
        let path = if path == "*" || path == "**" {
            format!("main+{path}")
        } else {
            path
        };
        let (base, recursive) = if let Some(b) = path
            .strip_suffix("+**")
            .or_else(|| path.strip_suffix(" **"))
        {
            (b, Some(true))
        } else if let Some(b) = path.strip_suffix("+*").or_else(|| path.strip_suffix(" *")) {
            (b, Some(false))
        } else {
            (path.as_str(), None)
        };
        let Some(recursive) = recursive else {
            paths.push(path.clone());
            continue;
        };
        match module_from_path(ctx.modules(), base) {
            Err(msg) => ctx.warn("paraminfo", *msg),
            Ok(module) => {
                let subs = all_submodules(ctx.modules(), module.path, recursive);
                if subs.is_empty() {
                    ctx.warn(
                        "paraminfo",
                        ApiMessage::new(
                            "badmodule",
                            "apierror-badmodule-nosubmodules",
                            &[module.path],
                        ),
                    );
                }
                paths.extend(subs);
            }
        }
    }
    for m in query_modules.iter().flatten() {
        paths.push(format!("query+{m}"));
    }
    paths.extend(format_modules.iter().flatten().cloned());
    let mut seen: Vec<String> = Vec::new();
    paths.retain(|p| {
        let new = !seen.contains(p);
        seen.push(p.clone());
        new
    });

    let texts = Texts::new(ctx, &helpformat);
    let mut groups: Vec<(&str, List)> = Vec::new();
    for path in &paths {
        let module = match module_from_path(ctx.modules(), path) {
            Ok(m) => m,
            Err(msg) => {
                ctx.warn("paraminfo", *msg);
                continue;
            }
        };
        let mut key = "modules";
        let bc_query = module.path.starts_with("query+")
            && query_modules
                .iter()
                .flatten()
                .any(|q| q.as_str() == module.name);
        if bc_query {
            key = "querymodules";
        }
        if format_modules
            .iter()
            .flatten()
            .any(|f| f.as_str() == module.name)
        {
            key = "formatmodules";
        }
        let mut item = module_info(ctx, module, &texts);
        if bc_query {
            if let Some(group) = module.group {
                item.set("querytype", group);
            }
        }
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(item),
            None => {
                let mut list = List::new("module");
                list.push(item);
                groups.push((key, list));
            }
        }
    }
    let mut res = Obj::new().kind(ObjKind::Untyped);
    res.set("helpformat", helpformat.as_str());
    for (key, list) in groups {
        res.set(key, list);
    }
    if main_module {
        res.set("mainmodule", module_info(ctx, &params_spec::MAIN, &texts));
    }
    if pageset_module {
        let mut info = module_info(ctx, &PAGESET, &texts);
        for k in ["name", "path", "group"] {
            info.remove(k);
        }
        res.set("pagesetmodule", info);
    }
    ctx.result.set("paraminfo", res);
    Ok(())
}

/// A multi-value string parameter: `None` when absent.
fn multi_string(ctx: &mut Context<'_>, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let Some(raw) = ctx.params.get(name).map(str::to_string) else {
        return Ok(None);
    };
    let values = split_multi(&raw);
    let limit = if ctx.has_right("apihighlimits") {
        500
    } else {
        MULTI_LIMIT
    };
    if values.len() > limit {
        return Err(ApiError::from_msg(
            ApiMessage::new(
                "toomanyvalues",
                "paramvalidator-toomanyvalues",
                &[name, &limit.to_string()],
            )
            .plaintext(),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(Some(out))
}

/// ApiBase's warning for a deprecated parameter that was given.
fn warn_deprecated(ctx: &mut Context<'_>, name: &str) {
    ctx.deprecation(
        "paraminfo",
        ApiMessage::new("deprecation", "apiwarn-deprecation-parameter", &[name]).plaintext(),
    );
}

fn deprecated_multi(
    ctx: &mut Context<'_>,
    name: &'static str,
) -> Result<Option<Vec<String>>, ApiError> {
    if ctx.params.peek(name).is_none() {
        return Ok(None);
    }
    warn_deprecated(ctx, name);
    ctx.multi_enum(&MODULE, name)
        .map(|v| Some(v.into_iter().map(str::to_string).collect()))
}

/// A deprecated string parameter used as a flag: PHP's truthiness (`""` and `"0"` are false).
fn deprecated_flag(ctx: &mut Context<'_>, name: &str) -> bool {
    let Some(v) = ctx.params.get(name).map(str::to_string) else {
        return false;
    };
    warn_deprecated(ctx, name);
    !v.is_empty() && v != "0"
}

/// ApiBase::getModuleFromPath: `main`, or names joined by `+` (or spaces, when the `+` came
/// unencoded).
pub fn module_from_path(tree: &Tree, path: &str) -> Result<&'static Module, Box<ApiMessage>> {
    if path == "main" {
        return Ok(&params_spec::MAIN);
    }
    let mut parts: Vec<&str> = path.split('+').collect();
    if parts.len() == 1 {
        parts = path.split(' ').collect();
    }
    let mut current = "main".to_string();
    for (i, name) in parts.iter().enumerate() {
        if !tree.has_submodules(&current) {
            let error_path = parts[..i].join("+");
            return Err(Box::new(ApiMessage::new(
                "badmodule",
                "apierror-badmodule-nosubmodules",
                &[&error_path],
            )));
        }
        let next = child_path(&current, name);
        if tree.find(&next).is_none() {
            let error_path = if i == 0 {
                "main".to_string()
            } else {
                parts[..i].join("+")
            };
            return Err(Box::new(ApiMessage::new(
                "badmodule",
                "apierror-badmodule-badsubmodule",
                &[&error_path, name],
            )));
        }
        current = next;
    }
    tree.find(&current).ok_or_else(|| {
        Box::new(ApiMessage::new(
            "badmodule",
            "apierror-badmodule-badsubmodule",
            &["main", path],
        ))
    })
}

/// ApiParamInfo::listAllSubmodules.
fn all_submodules(tree: &Tree, path: &str, recursive: bool) -> Vec<String> {
    let mut out = Vec::new();
    if !tree.has_submodules(path) {
        return out;
    }
    for name in tree.submodule_names(path, None) {
        let sub = child_path(path, name);
        out.push(sub.clone());
        if recursive && tree.has_submodules(&sub) {
            out.extend(all_submodules(tree, &sub, true));
        }
    }
    out
}

/// ApiParamInfo::getModuleInfo.
pub fn module_info(ctx: &Context<'_>, module: &Module, texts: &Texts) -> Obj {
    let config = &ctx.services.config;
    let (source, license_tag) = module
        .extension
        .map_or(("MediaWiki", "GPL-2.0-or-later"), |e| (e.name, e.license));
    let license = format!(
        "{}{}Special:Version/License/{source}",
        super::siteinfo::server(ctx),
        article_path(config)
    );
    let mut ret = Obj::new()
        .kind(ObjKind::Untyped)
        .with("name", module.name)
        .with("classname", module.classname)
        .with("path", module.path);
    if let Some(group) = module.group {
        ret.set("group", group);
    }
    ret.set("prefix", module.prefix);
    ret.set("source", source);
    ret.set("sourcename", source);
    ret.set("licensetag", license_tag);
    ret.set("licenselink", license);
    let help = texts.module(module);
    if let Some(d) = help.and_then(|h| h.get("description")) {
        ret.set("description", texts.value(d, "msg"));
    }
    for flag in module.flags.names() {
        ret.set(flag, true);
    }
    ret.set(
        "helpurls",
        List::of_strings("helpurl", module.help_urls.iter().map(|s| s.to_string())),
    );
    if texts.format != "none" {
        let mut examples = List::new("example");
        if let Some(Json::Array(items)) = help.and_then(|h| h.get("examples")) {
            for ex in items {
                let mut item = Obj::new().kind(ObjKind::Untyped);
                item.set("query", ex["query"].as_str().unwrap_or(""));
                if let Some(d) = ex.get("description") {
                    item.set("description", texts.value(d, "param"));
                    if d.is_string() {
                        item.subelements.push("description".into());
                    }
                }
                examples.push(item);
            }
        }
        ret.set("examples", examples);
    }
    let limit_high = ctx.has_right("apihighlimits");
    let mut params = List::new("param");
    for (i, spec) in module.all_params().enumerate() {
        let mut item = Obj::new()
            .kind(ObjKind::Untyped)
            .with("index", (i + 1) as i64)
            .with("name", spec.name);
        let phelp = help
            .and_then(|h| h.get("parameters"))
            .and_then(|p| p.get(spec.name));
        if let Some(d) = phelp.and_then(|p| p.get("description")) {
            let d = if matches!(spec.ty, ParamType::Submodules | ParamType::NoSubmodules) {
                texts.served_values(d)
            } else {
                d.clone()
            };
            item.set("description", texts.value(&d, "msg"));
        }
        param_info(ctx.modules(), &mut item, module, spec, limit_high);
        if spec.name == "token" {
            if let Some(t) = module.token {
                item.set("tokentype", t);
            }
        }
        if let Some(Json::Array(infos)) = phelp.and_then(|p| p.get("info")) {
            let mut list = List::new("i");
            for info in infos {
                let mut o = match super::siteinfo::convert(info, "v") {
                    Value::Obj(o) => o,
                    _ => Obj::new(),
                };
                o.subelements.push("text".into());
                list.push(o);
            }
            item.set("info", list);
        }
        params.push(item);
    }
    ret.set("parameters", params);
    ret.set("templatedparameters", List::new("param"));
    if module.dynamic_parameters {
        match help.and_then(|h| h.get("dynamicparameters")) {
            Some(d) if texts.format != "none" => {
                ret.set("dynamicparameters", texts.value(d, "msg"))
            }
            _ => ret.set("dynamicparameters", true),
        }
    }
    ret
}

/// ParamValidator::getParamInfo with the TypeDefs' additions, for one parameter.
fn param_info(tree: &Tree, item: &mut Obj, module: &Module, spec: &ParamSpec, high_limits: bool) {
    // EnumDef and SubmoduleDef sort the values, internal submodules last.
    let sorted = tree.sorted_values(module, spec);
    let ty: Value = match spec.ty {
        ParamType::String => "string".into(),
        ParamType::Boolean => "boolean".into(),
        ParamType::Integer => "integer".into(),
        ParamType::Password => "password".into(),
        ParamType::User(_) => "user".into(),
        ParamType::Enum(_)
        | ParamType::Submodules
        | ParamType::NoSubmodules
        | ParamType::QueryModules
        | ParamType::FormatModules => {
            List::of_strings("t", sorted.iter().map(|s| s.to_string())).into()
        }
    };
    item.set("type", ty);
    item.set("required", spec.required);
    if spec.deprecated {
        item.set("deprecated", true);
    }
    if spec.sensitive {
        item.set("sensitive", true);
    }
    match spec.default {
        Some(Default::Str(s)) => item.set("default", s),
        Some(Default::Int(n)) => item.set("default", n),
        None => {}
    }
    item.set("multi", spec.multi);
    if spec.multi {
        item.set("lowlimit", 50i64);
        item.set("highlimit", 500i64);
        item.set("limit", if high_limits { 500i64 } else { 50 });
        if spec.all {
            item.set("allspecifier", "*");
        }
    }
    match spec.ty {
        ParamType::Submodules => {
            // `assoc` so that a group mwauth serves no module of (query's `prop`, `list`) is
            // `{}`, as clients expect of this map, not PHP's `[]` for an empty array.
            let mut map = Obj::new();
            for name in &sorted {
                map.set(name, child_path(module.path, name));
            }
            item.set("submodules", map);
            let internal: Vec<String> = sorted
                .iter()
                .filter(|v| tree.is_internal(&child_path(module.path, v)))
                .map(|v| v.to_string())
                .collect();
            if !internal.is_empty() {
                item.set("internalvalues", List::of_strings("", internal));
            }
        }
        ParamType::NoSubmodules => {
            // An empty map would be `[]` in PHP, but MediaWiki always has submodules here
            // and clients (pywikibot) take the map for an object: `{}`.
            item.set("submodules", Obj::new());
        }
        ParamType::User(subtypes) => {
            item.set(
                "subtypes",
                List::of_strings("", subtypes.iter().map(|s| s.to_string())),
            );
        }
        _ => {}
    }
    if let Some(prefix) = spec.submodule_prefix {
        item.set("submoduleparamprefix", prefix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_as_mediawiki_resolves_them() {
        let tree = &super::super::CORE;
        assert_eq!(
            module_from_path(tree, "query+tokens").unwrap().classname,
            "ApiQueryTokens"
        );
        assert_eq!(
            module_from_path(tree, "query tokens").unwrap().path,
            "query+tokens"
        );
        assert_eq!(module_from_path(tree, "main").unwrap().path, "main");
        let e = module_from_path(tree, "bogus").unwrap_err();
        assert_eq!(
            e.text(),
            "The module \"main\" does not have a submodule \"bogus\"."
        );
        let e = module_from_path(tree, "query+foo").unwrap_err();
        assert_eq!(
            e.text(),
            "The module \"query\" does not have a submodule \"foo\"."
        );
        let e = module_from_path(tree, "query+tokens+x").unwrap_err();
        assert_eq!(e.text(), "The module \"query+tokens\" has no submodules.");
        assert_eq!(
            all_submodules(tree, "main", false).len(),
            tree.actions.len() + params_spec::FORMATS.len()
        );
    }

    #[test]
    fn empty_submodule_maps_are_objects() {
        use crate::api::format::json::{write, JsonStyle};
        // query serves no prop module: pywikibot reads `submodules` as a map even then.
        let tree = &super::super::CORE;
        let query = tree.find("query").unwrap();
        let mut item = Obj::new().kind(ObjKind::Untyped);
        param_info(tree, &mut item, query, &query.params[0], false);
        let fv2 = JsonStyle {
            formatversion: 2,
            ascii: false,
            pretty: false,
        };
        assert_eq!(
            write(&item, fv2),
            r#"{"type":[],"required":false,"multi":true,"lowlimit":50,"highlimit":500,"limit":50,"submodules":{}}"#
        );
        let mut meta = Obj::new().kind(ObjKind::Untyped);
        param_info(tree, &mut meta, query, &query.params[2], true);
        assert!(write(&meta, fv2).contains(r#""limit":500,"submodules":{"authmanagerinfo":"query+authmanagerinfo","siteinfo":"query+siteinfo","tokens":"query+tokens","userinfo":"query+userinfo"}"#));
    }
}
