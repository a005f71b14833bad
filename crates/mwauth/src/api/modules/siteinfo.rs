//! # action=query&meta=siteinfo (siprop, sifilteriw, sishowalldb, sinumberingroup, siinlanguagecode)
//!
//! - Each requested `siprop` in the order given (`general` by default); unknown ones are
//!   dropped with an "Unrecognized value" warning.
//! - What MediaWiki takes from its configuration comes from mwauth's: site name, server
//!   (`Config::server`, or the request's Host as for docrefs), script path, wiki id, and the
//!   `generator`/`phpversion`/`phpsapi`/`dbtype`/`dbversion` a client may check. The
//!   namespaces are MediaWiki's English defaults with the Project namespace named after the
//!   site. `statistics` is the wiki's `site_stats` row where the user database is a wiki's
//!   own, else a fresh wiki's with the accounts counted; administrators (and `usergroups`'
//!   `number`s) are counted in `user_groups`; anything set in `Config::site_stats` wins.
//!   `usergroups` is mwauth's `$wgGroupPermissions`.
//! - Everything else is the reference wiki's (a default MediaWiki 1.39 in English), recorded
//!   in `data/siteinfo/*.json` (`record-siteinfo.py`) and given MediaWiki's array metadata
//!   here, as ApiQuerySiteinfo.php sets it, so formatversion 1 and 2, XML and PHP come out as
//!   MediaWiki writes them. `siinlanguagecode` is accepted and ignored: names stay English or
//!   autonyms.
//! - `sishowalldb` is refused (`includeAllDenied`), as with `$wgShowHostnames = false`.

use super::bundled_extensions::Loaded;
use super::siteinfo_stats::Stats;
use crate::api::context::{article_path, Context};
use crate::api::error::ApiError;
use crate::api::params_spec::{async_handler, Flags, Module, ParamSpec};
use crate::api::result::{BcBools, List, Obj, ObjKind, Value};
use crate::time;
use crate::user::rights;
use serde_json::Value as Json;
use std::sync::OnceLock;

/// ApiQuerySiteinfo's `prop` values, in its order.
pub const PROPS: &[&str] = &[
    "general",
    "namespaces",
    "namespacealiases",
    "specialpagealiases",
    "magicwords",
    "interwikimap",
    "dbrepllag",
    "statistics",
    "usergroups",
    "libraries",
    "extensions",
    "fileextensions",
    "rightsinfo",
    "restrictions",
    "languages",
    "languagevariants",
    "skins",
    "extensiontags",
    "functionhooks",
    "showhooks",
    "variables",
    "protocols",
    "defaultoptions",
    "uploaddialog",
];

/// ApiQuerySiteinfo::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::enumeration("prop", PROPS)
        .multi()
        .default_str("general"),
    ParamSpec::enumeration("filteriw", &["local", "!local"]),
    ParamSpec::boolean("showalldb"),
    ParamSpec::boolean("numberingroup"),
    ParamSpec::string("inlanguagecode"),
];

pub const MODULE: Module = Module {
    name: "siteinfo",
    path: "query+siteinfo",
    classname: "ApiQuerySiteinfo",
    group: Some("meta"),
    prefix: "si",
    flags: Flags::READ,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Siteinfo"],
    params: PARAMS,
    handler: Some(async_handler!(execute)),
    ..Module::BASE
};

pub async fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let props = ctx.multi_enum(&MODULE, "prop")?;
    let filteriw = ctx.single_enum("sifilteriw", &["local", "!local"], None)?;
    let showalldb = ctx.params.flag("sishowalldb");
    let numberingroup = ctx.params.flag("sinumberingroup");
    let stats = if props
        .iter()
        .any(|p| *p == "statistics" || (*p == "usergroups" && numberingroup))
    {
        Some(Stats::count(ctx).await)
    } else {
        None
    };
    for prop in props {
        let value: Value = match prop {
            "general" => general(ctx).into(),
            "namespaces" => namespaces(&ctx.services.config.sitename).into(),
            "namespacealiases" => namespace_aliases().into(),
            "specialpagealiases" => Loaded::of(&ctx.services.config)
                .special_page_aliases(cached(&SPECIAL_PAGE_ALIASES, special_page_aliases)),
            "magicwords" => cached(&MAGIC_WORDS, magic_words),
            "interwikimap" => interwiki_map(filteriw.as_deref()).into(),
            "dbrepllag" => {
                if showalldb {
                    return Err(ApiError::new(
                        "includeAllDenied",
                        "apierror-siteinfo-includealldenied",
                        &[],
                    ));
                }
                // No replicas: LoadBalancer::getMaxLag's answer for a single server.
                let mut l = List::new("db");
                l.push(Obj::new().with("host", "").with("lag", -1i64));
                l.into()
            }
            "statistics" => stats.as_ref().map(Stats::obj).unwrap_or_default().into(),
            "usergroups" => usergroups(
                rights::RightsConfig::of(&ctx.services.config),
                stats.as_ref().filter(|_| numberingroup),
            )
            .into(),
            "libraries" => cached(&LIBRARIES, || {
                list_of(&data("libraries"), "library", obj_of)
            }),
            "extensions" => extensions(&ctx.services.config).into(),
            "fileextensions" => {
                let mut l = List::new("fe");
                for ext in ["png", "gif", "jpg", "jpeg", "webp"] {
                    l.push(Obj::new().with("ext", ext));
                }
                l.into()
            }
            "rightsinfo" => Obj::new().with("url", "").with("text", "").into(),
            "restrictions" => restrictions().into(),
            "languages" => cached(&LANGUAGES, || {
                list_of(&data("languages"), "lang", |o| {
                    let mut lang = obj_of(o);
                    lang.content = Some("name".into());
                    lang
                })
            }),
            "languagevariants" => cached(&LANGUAGE_VARIANTS, language_variants),
            "skins" => cached(&SKINS, || {
                list_of(&data("skins"), "skin", |o| {
                    let mut skin = obj_of(o);
                    skin.content = Some("name".into());
                    skin
                })
            }),
            "extensiontags" => cached(&EXTENSION_TAGS, || strings(&data("extensiontags"), "t")),
            "functionhooks" => cached(&FUNCTION_HOOKS, || strings(&data("functionhooks"), "h")),
            "showhooks" => Loaded::of(&ctx.services.config).show_hooks(cached(&SHOW_HOOKS, || {
                list_of(&data("showhooks"), "hook", |o| {
                    let mut hook = obj_of(o);
                    if let Some(Value::List(s)) = hook.get_mut("subscribers") {
                        s.element = "s".into();
                    }
                    hook
                })
            })),
            "variables" => cached(&VARIABLES, || strings(&data("variables"), "v")),
            "protocols" => cached(&PROTOCOLS, || strings(&data("protocols"), "p")),
            "defaultoptions" => cached(&DEFAULT_OPTIONS, || {
                let Value::Obj(o) = convert(&data("defaultoptions"), "") else {
                    return Value::Obj(Obj::new());
                };
                o.bc_bools(BcBools::All).into()
            }),
            "uploaddialog" => cached(&UPLOAD_DIALOG, || convert(&data("uploaddialog"), "")),
            _ => continue,
        };
        ctx.result.obj_mut("query", false).set(prop, value);
    }
    Ok(())
}

/// `$wgServer`: the configured one, or the request's scheme and Host.
pub fn server(ctx: &Context<'_>) -> String {
    let config = &ctx.services.config;
    if config.server.is_empty() {
        let scheme = if ctx.req.https { "https" } else { "http" };
        format!("{scheme}://{}", ctx.req.host)
    } else {
        config.server.trim_end_matches('/').to_string()
    }
}

/// `$wgServerName`: the host of `$wgServer`, without port.
fn server_name(server: &str) -> String {
    let rest = server.split_once("//").map_or(server, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("").to_string();
    }
    host.split(':').next().unwrap_or("").to_string()
}

fn general(ctx: &Context<'_>) -> Obj {
    let config = &ctx.services.config;
    let server = server(ctx);
    let article_path = article_path(config);
    let script_path = &config.script_path;
    let mut g = Obj::new()
        .bc_bools(BcBools::Keys(vec!["variantarticlepath".into()]))
        .with("mainpage", "Main Page")
        .with("base", format!("{server}{article_path}Main_Page"))
        .with("sitename", config.sitename.as_str())
        .with("mainpageisdomainroot", false)
        .with(
            "logo",
            format!("{server}{script_path}/resources/assets/change-your-logo.svg"),
        )
        .with("generator", config.generator.as_str())
        .with("phpversion", config.php_version.as_str())
        .with("phpsapi", config.php_sapi.as_str())
        .with("dbtype", config.db_type.as_str())
        .with("dbversion", config.db_version.as_str())
        .with("imagewhitelistenabled", false)
        .with("langconversion", true)
        .with("linkconversion", true)
        .with("titleconversion", true)
        .with("linkprefixcharset", "")
        .with("linkprefix", "")
        .with("linktrail", "/^([a-z]+)(.*)$/sD")
        .with(
            "legaltitlechars",
            " %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+",
        )
        .with("invalidusernamechars", "@:>")
        .with("allunicodefixes", false)
        .with("fixarabicunicode", true)
        .with("fixmalayalamunicode", true)
        .with("case", "first-letter")
        .with("lang", "en")
        .with("fallback", List::new("lang"))
        .with("rtl", false)
        .with("fallback8bitEncoding", "windows-1252")
        .with("readonly", false)
        .with("writeapi", true)
        .with("maxarticlesize", 2_097_152i64)
        .with("timezone", "UTC")
        .with("timeoffset", 0i64)
        .with("articlepath", format!("{article_path}$1"))
        .with("scriptpath", script_path.as_str())
        .with("script", format!("{script_path}/index.php"))
        .with("variantarticlepath", false)
        .with("server", server.as_str())
        .with("servername", server_name(&server))
        .with("wikiid", config.wiki_id.as_str())
        .with("time", time::ts_iso(ctx.now))
        .with("misermode", false)
        .with("uploadsenabled", false)
        .with("maxuploadsize", 104_857_600i64)
        .with("minuploadchunksize", 1024i64);
    g.set(
        "galleryoptions",
        Obj::new()
            .kind(ObjKind::Untyped)
            .with("imagesPerRow", 0i64)
            .with("imageWidth", 120i64)
            .with("imageHeight", 120i64)
            .with("captionLength", true)
            .with("showBytes", true)
            .with("showDimensions", true)
            .with("mode", "traditional"),
    );
    let mut thumbs = List::new("limit").bc_assoc();
    for n in [120i64, 150, 180, 200, 250, 300] {
        thumbs.push(n);
    }
    g.set("thumblimits", thumbs);
    let mut images = List::new("limit").bc_assoc();
    for (w, h) in [
        (320i64, 240i64),
        (640, 480),
        (800, 600),
        (1024, 768),
        (1280, 1024),
        (2560, 2048),
    ] {
        images.push(Obj::new().with("width", w).with("height", h));
    }
    g.set("imagelimits", images);
    g.set("favicon", format!("{server}/favicon.ico"));
    g.set("centralidlookupprovider", "local");
    g.set(
        "allcentralidlookupproviders",
        List::of_strings("", ["local".to_string()]),
    );
    g.set("interwikimagic", true);
    g.set(
        "magiclinks",
        Obj::new()
            .kind(ObjKind::Untyped)
            .with("ISBN", false)
            .with("PMID", false)
            .with("RFC", false),
    );
    g.set("categorycollation", "uppercase");
    g.set("nofollowlinks", true);
    g.set("nofollownsexceptions", List::new(""));
    g.set(
        "nofollowdomainexceptions",
        List::of_strings("", ["mediawiki.org".to_string()]),
    );
    g.set("externallinktarget", false);
    g
}

/// MediaWiki's English namespaces: (id, name, canonical name, has subpages).
/// 4 and 5 are named after the site (`$wgMetaNamespace`).
const NAMESPACES: &[(i64, &str, &str, bool)] = &[
    (-2, "Media", "Media", false),
    (-1, "Special", "Special", false),
    (0, "", "", false),
    (1, "Talk", "Talk", true),
    (2, "User", "User", true),
    (3, "User talk", "User talk", true),
    (4, "$1", "Project", true),
    (5, "$1 talk", "Project talk", true),
    (6, "File", "File", false),
    (7, "File talk", "File talk", true),
    (8, "MediaWiki", "MediaWiki", true),
    (9, "MediaWiki talk", "MediaWiki talk", true),
    (10, "Template", "Template", true),
    (11, "Template talk", "Template talk", true),
    (12, "Help", "Help", true),
    (13, "Help talk", "Help talk", true),
    (14, "Category", "Category", false),
    (15, "Category talk", "Category talk", true),
];

fn namespaces(sitename: &str) -> Obj {
    // $wgMetaNamespace is the site name with spaces as underscores; names are shown with
    // spaces.
    let meta = sitename.replace('_', " ");
    let mut all = Obj::new().element("ns");
    for &(id, name, canonical, subpages) in NAMESPACES {
        let mut ns = Obj::new().with("id", id).with("case", "first-letter");
        ns.set_content("name", name.replace("$1", &meta));
        ns.set("subpages", subpages);
        if !canonical.is_empty() {
            ns.set("canonical", canonical);
        }
        ns.set("content", id == 0);
        ns.set("nonincludable", false);
        if id == 8 {
            ns.set("namespaceprotection", "editinterface");
        }
        all.set(&id.to_string(), ns);
    }
    all
}

fn namespace_aliases() -> List {
    let mut l = List::new("ns");
    for (id, alias) in [(6i64, "Image"), (7, "Image talk")] {
        let mut o = Obj::new().with("id", id);
        o.set_content("alias", alias);
        l.push(o);
    }
    l
}

fn restrictions() -> Obj {
    let list = |element: &str, values: &[&str]| {
        List::of_strings(element, values.iter().map(|s| s.to_string()))
    };
    Obj::new()
        .with("types", list("type", &["create", "edit", "move", "upload"]))
        .with("levels", list("level", &["", "autoconfirmed", "sysop"]))
        .with("cascadinglevels", list("level", &["sysop"]))
        .with("semiprotectedlevels", list("level", &["autoconfirmed"]))
}

fn usergroups(ext: rights::RightsConfig, stats: Option<&Stats>) -> List {
    let mut l = List::new("group");
    for (group, perms) in rights::group_permissions(ext) {
        let mut o = Obj::new().with("name", group).with(
            "rights",
            List::of_strings("permission", perms.iter().map(|s| s.to_string())),
        );
        if let Some(stats) = stats {
            // '*' and the automatic (autopromote) groups have no size.
            match group {
                "user" => o.set("number", stats.users),
                "*" | "autoconfirmed" => {}
                g => o.set("number", stats.in_group(g)),
            }
        }
        l.push(o);
    }
    l
}

fn extensions(config: &crate::Config) -> List {
    // The recorded license links carry the reference wiki's article path.
    let path = article_path(config);
    let mut l = match cached(&EXTENSIONS, || {
        list_of(&data("extensions"), "ext", |o| {
            let mut ext = obj_of(o);
            if let Some(Value::List(p)) = ext.get_mut("descriptionmsgparams") {
                p.element = "param".into();
            }
            ext
        })
    }) {
        Value::List(l) => Loaded::of(config).extensions(l),
        _ => List::new("ext"),
    };
    for item in &mut l.items {
        if let Value::Obj(ext) = item {
            for key in ["license", "credits"] {
                if let Some(Value::Str(link)) = ext.get_mut(key) {
                    if let Some(rest) = link.strip_prefix("/w/index.php/") {
                        *link = format!("{path}{rest}");
                    }
                }
            }
        }
    }
    l
}

fn interwiki_map(filter: Option<&str>) -> List {
    let mut l = match cached(&INTERWIKI_MAP, || {
        list_of(&data("interwikimap"), "iw", obj_of)
    }) {
        Value::List(l) => l,
        _ => List::new("iw"),
    };
    if let Some(f) = filter {
        let want_local = f == "local";
        l.items.retain(|item| match item {
            Value::Obj(o) => matches!(o.get("local"), Some(Value::Bool(true))) == want_local,
            _ => false,
        });
    }
    l
}

fn special_page_aliases() -> Value {
    list_of(&data("specialpagealiases"), "specialpage", |o| {
        let mut page = obj_of(o);
        if let Some(Value::List(a)) = page.get_mut("aliases") {
            a.element = "alias".into();
        }
        page
    })
}

fn magic_words() -> Value {
    list_of(&data("magicwords"), "magicword", |o| {
        let mut word = obj_of(o);
        if let Some(Value::List(a)) = word.get_mut("aliases") {
            a.element = "alias".into();
        }
        word
    })
}

/// `{lang: {variant: {fallbacks: [...]}}}`: both levels `kvp` keyed by `code`.
fn language_variants() -> Value {
    let mut langs = Obj::new().kind(ObjKind::Kvp("code".into())).element("lang");
    if let Json::Object(map) = data("languagevariants") {
        for (lang, variants) in map {
            let mut vs = Obj::new()
                .kind(ObjKind::Kvp("code".into()))
                .element("variant");
            if let Json::Object(vmap) = variants {
                for (v, info) in vmap {
                    let mut o = Obj::new();
                    if let Some(f) = info.get("fallbacks") {
                        let fallbacks = match convert(f, "variant") {
                            Value::List(l) => l,
                            _ => List::new("variant"),
                        };
                        o.set("fallbacks", fallbacks);
                    }
                    vs.set(&v, o);
                }
            }
            langs.set(&lang, vs);
        }
    }
    langs.into()
}

// ---------------------------------------------------------------------------------------
// The recorded data
// ---------------------------------------------------------------------------------------

static SPECIAL_PAGE_ALIASES: OnceLock<Value> = OnceLock::new();
static MAGIC_WORDS: OnceLock<Value> = OnceLock::new();
static INTERWIKI_MAP: OnceLock<Value> = OnceLock::new();
static LIBRARIES: OnceLock<Value> = OnceLock::new();
static EXTENSIONS: OnceLock<Value> = OnceLock::new();
static LANGUAGES: OnceLock<Value> = OnceLock::new();
static LANGUAGE_VARIANTS: OnceLock<Value> = OnceLock::new();
static SKINS: OnceLock<Value> = OnceLock::new();
static EXTENSION_TAGS: OnceLock<Value> = OnceLock::new();
static FUNCTION_HOOKS: OnceLock<Value> = OnceLock::new();
static SHOW_HOOKS: OnceLock<Value> = OnceLock::new();
static VARIABLES: OnceLock<Value> = OnceLock::new();
static PROTOCOLS: OnceLock<Value> = OnceLock::new();
static DEFAULT_OPTIONS: OnceLock<Value> = OnceLock::new();
static UPLOAD_DIALOG: OnceLock<Value> = OnceLock::new();

fn cached(cell: &'static OnceLock<Value>, build: impl FnOnce() -> Value) -> Value {
    cell.get_or_init(build).clone()
}

/// A recorded siprop (formatversion 2 JSON, which keeps every boolean and the key order).
fn data(prop: &str) -> Json {
    let text = match prop {
        "specialpagealiases" => include_str!("../../../data/siteinfo/specialpagealiases.json"),
        "magicwords" => include_str!("../../../data/siteinfo/magicwords.json"),
        "interwikimap" => include_str!("../../../data/siteinfo/interwikimap.json"),
        "libraries" => include_str!("../../../data/siteinfo/libraries.json"),
        "extensions" => include_str!("../../../data/siteinfo/extensions.json"),
        "languages" => include_str!("../../../data/siteinfo/languages.json"),
        "languagevariants" => include_str!("../../../data/siteinfo/languagevariants.json"),
        "skins" => include_str!("../../../data/siteinfo/skins.json"),
        "extensiontags" => include_str!("../../../data/siteinfo/extensiontags.json"),
        "functionhooks" => include_str!("../../../data/siteinfo/functionhooks.json"),
        "showhooks" => include_str!("../../../data/siteinfo/showhooks.json"),
        "variables" => include_str!("../../../data/siteinfo/variables.json"),
        "protocols" => include_str!("../../../data/siteinfo/protocols.json"),
        "defaultoptions" => include_str!("../../../data/siteinfo/defaultoptions.json"),
        "uploaddialog" => include_str!("../../../data/siteinfo/uploaddialog.json"),
        _ => "null",
    };
    serde_json::from_str(text).unwrap_or(Json::Null)
}

/// JSON as a result value without metadata: objects untyped (as a PHP array from
/// configuration), lists with the given element name.
pub fn convert(v: &Json, element: &str) -> Value {
    match v {
        Json::Null => Value::Str(String::new()),
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Str(n.to_string())),
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::List(List {
            items: items.iter().map(|x| convert(x, "")).collect(),
            element: element.to_string(),
            bc_assoc: false,
        }),
        Json::Object(map) => {
            let mut o = Obj::new().kind(ObjKind::Untyped);
            for (k, x) in map {
                o.set(k, convert(x, ""));
            }
            Value::Obj(o)
        }
    }
}

/// A JSON object as a (non-empty, so `assoc`) result object.
fn obj_of(v: &Json) -> Obj {
    match convert(v, "") {
        Value::Obj(o) => o.kind(ObjKind::Assoc),
        _ => Obj::new(),
    }
}

fn list_of(v: &Json, element: &str, item: impl Fn(&Json) -> Obj) -> Value {
    let mut l = List::new(element);
    if let Json::Array(items) = v {
        for x in items {
            l.push(item(x));
        }
    }
    l.into()
}

fn strings(v: &Json, element: &str) -> Value {
    convert(v, element)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::format::json::{write, JsonStyle};

    fn fv(n: u8) -> JsonStyle {
        JsonStyle::compact(n)
    }

    #[test]
    fn every_recorded_siprop_parses() {
        for prop in PROPS {
            let v = data(prop);
            let computed = [
                "general",
                "namespaces",
                "namespacealiases",
                "dbrepllag",
                "statistics",
                "usergroups",
                "fileextensions",
                "rightsinfo",
                "restrictions",
            ];
            assert_eq!(v.is_null(), computed.contains(prop), "{prop}");
        }
    }

    #[test]
    fn namespaces_name_the_project_after_the_site() {
        let ns = namespaces("Oracle Wiki");
        let json = write(&Obj::new().with("namespaces", ns), fv(1));
        assert!(json.contains(
            r#""4":{"id":4,"case":"first-letter","subpages":"","canonical":"Project","*":"Oracle Wiki"}"#
        ));
        assert!(json.contains(r#""0":{"id":0,"case":"first-letter","content":"","*":""}"#));
    }

    #[test]
    fn server_name_drops_scheme_and_port() {
        assert_eq!(server_name("http://127.0.0.1:8180"), "127.0.0.1");
        assert_eq!(server_name("https://wiki.example.org"), "wiki.example.org");
        assert_eq!(server_name("//[::1]:80"), "::1");
    }
}
