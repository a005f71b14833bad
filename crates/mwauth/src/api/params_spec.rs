//! Declarative descriptions of the modules mwauth serves and of their parameters, as
//! MediaWiki 1.39's `getAllowedParams()` and module flags declare them: what
//! `action=paraminfo` reports and `action=help` documents.
//!
//! Each module file keeps its own `PARAMS` and `DOC` next to the code that reads the
//! parameters; ApiMain's and the format modules' live here. [`MODULES`] is the module tree
//! (main → actions and formats, query → meta modules).

use super::modules;

/// A parameter's type (ParamValidator's PARAM_TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    String,
    Boolean,
    Integer,
    Password,
    /// `user`, with its PARAM_ALLOWED_USER_TYPES (paraminfo's `subtypes`).
    User(&'static [&'static str]),
    /// An enumeration; paraminfo lists the values sorted.
    Enum(&'static [&'static str]),
    /// The names of the module's submodules in the group named like the parameter
    /// (`action`, `format`, `meta`, `prop`, `list`).
    Submodules,
    /// A fixed submodule map that mwauth leaves empty: query's and the page set's
    /// `generator` (no generator module is served).
    NoSubmodules,
    /// The names of query's submodules (paraminfo's deprecated `querymodules`).
    QueryModules,
    /// The names of the format modules (paraminfo's deprecated `formatmodules`).
    FormatModules,
}

/// PARAM_DEFAULT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    Str(&'static str),
    Int(i64),
}

/// One entry of a module's getAllowedParams(), without the module's prefix.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamType,
    pub multi: bool,
    pub required: bool,
    pub default: Option<Default>,
    pub sensitive: bool,
    pub deprecated: bool,
    /// PARAM_ALL: the `*` value meaning every value.
    pub all: bool,
    /// PARAM_SUBMODULE_PARAM_PREFIX.
    pub submodule_prefix: Option<&'static str>,
}

impl ParamSpec {
    /// A plain string parameter; the builders below change the rest.
    pub const fn new(name: &'static str, ty: ParamType) -> ParamSpec {
        ParamSpec {
            name,
            ty,
            multi: false,
            required: false,
            default: None,
            sensitive: false,
            deprecated: false,
            all: false,
            submodule_prefix: None,
        }
    }

    pub const fn string(name: &'static str) -> ParamSpec {
        ParamSpec::new(name, ParamType::String)
    }

    pub const fn boolean(name: &'static str) -> ParamSpec {
        ParamSpec::new(name, ParamType::Boolean)
    }

    pub const fn integer(name: &'static str) -> ParamSpec {
        ParamSpec::new(name, ParamType::Integer)
    }

    pub const fn enumeration(name: &'static str, values: &'static [&'static str]) -> ParamSpec {
        ParamSpec::new(name, ParamType::Enum(values))
    }

    pub const fn multi(mut self) -> ParamSpec {
        self.multi = true;
        self
    }

    pub const fn required(mut self) -> ParamSpec {
        self.required = true;
        self
    }

    pub const fn default_str(mut self, v: &'static str) -> ParamSpec {
        self.default = Some(Default::Str(v));
        self
    }

    pub const fn default_int(mut self, v: i64) -> ParamSpec {
        self.default = Some(Default::Int(v));
        self
    }

    pub const fn sensitive(mut self) -> ParamSpec {
        self.sensitive = true;
        self
    }

    pub const fn deprecated(mut self) -> ParamSpec {
        self.deprecated = true;
        self
    }

    pub const fn all(mut self) -> ParamSpec {
        self.all = true;
        self
    }

    pub const fn submodule_prefix(mut self, prefix: &'static str) -> ParamSpec {
        self.submodule_prefix = Some(prefix);
        self
    }
}

/// What paraminfo and help say about a module besides its parameters.
#[derive(Debug)]
pub struct ModuleDoc {
    pub name: &'static str,
    /// The module path (`query+tokens`); `main` for ApiMain.
    pub path: &'static str,
    pub classname: &'static str,
    /// The group it has in its parent's module manager (`action`, `format`, `meta`);
    /// `None` for main.
    pub group: Option<&'static str>,
    pub prefix: &'static str,
    /// ApiBase::getHelpFlags, in MediaWiki's order: deprecated, internal, readrights,
    /// writerights, mustbeposted.
    pub flags: &'static [&'static str],
    pub help_urls: &'static [&'static str],
    pub params: &'static [ParamSpec],
    /// ApiBase::needsToken: the `token` parameter's `tokentype`.
    pub token: Option<&'static str>,
    /// ApiBase::dynamicParameterDocumentation is set (the AuthManager modules).
    pub dynamic_parameters: bool,
}

/// Every module mwauth serves, parents before children.
pub const MODULES: &[&ModuleDoc] = &[
    &MAIN,
    &modules::checktoken::DOC,
    &modules::clientlogin::DOC,
    &modules::createaccount::DOC,
    &modules::help::DOC,
    &modules::login::DOC,
    &modules::logout::DOC,
    &modules::paraminfo::DOC,
    &modules::query::DOC,
    &modules::authmanagerinfo::DOC,
    &modules::siteinfo::DOC,
    &modules::tokens::DOC,
    &modules::userinfo::DOC,
    &JSON,
    &JSONFM,
    &NONE,
    &PHP,
    &PHPFM,
    &RAWFM,
    &XML,
    &XMLFM,
];

/// The module at `path` (`main`, `login`, `query+tokens`).
pub fn doc(path: &str) -> Option<&'static ModuleDoc> {
    MODULES.iter().copied().find(|m| m.path == path)
}

/// The parent's path of a module path.
pub fn parent_path(path: &str) -> Option<&str> {
    if path == "main" {
        return None;
    }
    Some(path.rsplit_once('+').map_or("main", |(p, _)| p))
}

/// ApiModuleManager::getNames($group) of the module at `path`, sorted; all groups when
/// `group` is `None`.
pub fn submodule_names(path: &str, group: Option<&str>) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = MODULES
        .iter()
        .filter(|m| parent_path(m.path) == Some(path))
        .filter(|m| group.is_none() || m.group == group)
        .map(|m| m.name)
        .collect();
    names.sort_unstable();
    names
}

/// Whether the module at `path` has a module manager (ApiMain and ApiQuery).
pub fn has_submodules(path: &str) -> bool {
    matches!(path, "main" | "query")
}

/// The path of a child module: `login`, `query+tokens`.
pub fn child_path(parent: &str, name: &str) -> String {
    if parent == "main" {
        name.to_string()
    } else {
        format!("{parent}+{name}")
    }
}

const API_DATA_FORMATS: &[&str] =
    &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Data_formats"];
const FORMATVERSION: &[&str] = &["1", "2", "latest"];

/// ApiMain::getAllowedParams.
pub const MAIN_PARAMS: &[ParamSpec] = &[
    ParamSpec::new("action", ParamType::Submodules).default_str("help"),
    ParamSpec::new("format", ParamType::Submodules).default_str("jsonfm"),
    ParamSpec::integer("maxlag"),
    ParamSpec::integer("smaxage").default_int(0),
    ParamSpec::integer("maxage").default_int(0),
    ParamSpec::enumeration("assert", &["anon", "bot", "user"]),
    ParamSpec::new("assertuser", ParamType::User(&["name"])),
    ParamSpec::string("requestid"),
    ParamSpec::boolean("servedby"),
    ParamSpec::boolean("curtimestamp"),
    ParamSpec::boolean("responselanginfo"),
    ParamSpec::string("origin"),
    ParamSpec::string("uselang").default_str("user"),
    ParamSpec::string("variant"),
    ParamSpec::enumeration(
        "errorformat",
        &["plaintext", "wikitext", "html", "raw", "none", "bc"],
    )
    .default_str("bc"),
    ParamSpec::string("errorlang").default_str("uselang"),
    ParamSpec::boolean("errorsuselocal"),
];

pub const MAIN: ModuleDoc = ModuleDoc {
    name: "main",
    path: "main",
    classname: "ApiMain",
    group: None,
    prefix: "",
    flags: &[],
    help_urls: &[],
    params: MAIN_PARAMS,
    token: None,
    dynamic_parameters: false,
};

/// ApiPageSet::getAllowedParams (paraminfo's `pagesetmodule`), without generators.
pub const PAGESET_PARAMS: &[ParamSpec] = &[
    ParamSpec::string("titles").multi(),
    ParamSpec::integer("pageids").multi(),
    ParamSpec::integer("revids").multi(),
    ParamSpec::new("generator", ParamType::NoSubmodules).submodule_prefix("g"),
    ParamSpec::boolean("redirects"),
    ParamSpec::boolean("converttitles"),
];

pub const PAGESET: ModuleDoc = ModuleDoc {
    name: "query",
    path: "query",
    classname: "ApiPageSet",
    group: Some("action"),
    prefix: "",
    flags: &["readrights"],
    help_urls: &[],
    params: PAGESET_PARAMS,
    token: None,
    dynamic_parameters: false,
};

const JSON_PARAMS: &[ParamSpec] = &[
    ParamSpec::string("callback"),
    ParamSpec::boolean("utf8"),
    ParamSpec::boolean("ascii"),
    ParamSpec::enumeration("formatversion", FORMATVERSION).default_str("1"),
];
const JSONFM_PARAMS: &[ParamSpec] = &[
    ParamSpec::boolean("wrappedhtml"),
    ParamSpec::string("callback"),
    ParamSpec::boolean("utf8"),
    ParamSpec::boolean("ascii"),
    ParamSpec::enumeration("formatversion", FORMATVERSION).default_str("1"),
];
const XML_PARAMS: &[ParamSpec] = &[
    ParamSpec::string("xslt"),
    ParamSpec::boolean("includexmlnamespace"),
];
const XMLFM_PARAMS: &[ParamSpec] = &[
    ParamSpec::boolean("wrappedhtml"),
    ParamSpec::string("xslt"),
    ParamSpec::boolean("includexmlnamespace"),
];
const PHP_PARAMS: &[ParamSpec] =
    &[ParamSpec::enumeration("formatversion", FORMATVERSION).default_str("1")];
const PHPFM_PARAMS: &[ParamSpec] = &[
    ParamSpec::boolean("wrappedhtml"),
    ParamSpec::enumeration("formatversion", FORMATVERSION).default_str("1"),
];
const RAWFM_PARAMS: &[ParamSpec] = &[ParamSpec::boolean("wrappedhtml")];

const fn format_doc(
    name: &'static str,
    classname: &'static str,
    params: &'static [ParamSpec],
) -> ModuleDoc {
    ModuleDoc {
        name,
        path: name,
        classname,
        group: Some("format"),
        prefix: "",
        flags: &["readrights"],
        help_urls: API_DATA_FORMATS,
        params,
        token: None,
        dynamic_parameters: false,
    }
}

pub const JSON: ModuleDoc = format_doc("json", "ApiFormatJson", JSON_PARAMS);
pub const JSONFM: ModuleDoc = format_doc("jsonfm", "ApiFormatJson", JSONFM_PARAMS);
pub const NONE: ModuleDoc = format_doc("none", "ApiFormatNone", &[]);
pub const PHP: ModuleDoc = format_doc("php", "ApiFormatPhp", PHP_PARAMS);
pub const PHPFM: ModuleDoc = format_doc("phpfm", "ApiFormatPhp", PHPFM_PARAMS);
pub const RAWFM: ModuleDoc = format_doc("rawfm", "ApiFormatJson", RAWFM_PARAMS);
pub const XML: ModuleDoc = format_doc("xml", "ApiFormatXml", XML_PARAMS);
pub const XMLFM: ModuleDoc = format_doc("xmlfm", "ApiFormatXml", XMLFM_PARAMS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_tree() {
        assert_eq!(
            submodule_names("main", Some("action")),
            [
                "checktoken",
                "clientlogin",
                "createaccount",
                "help",
                "login",
                "logout",
                "paraminfo",
                "query"
            ]
        );
        assert_eq!(
            submodule_names("query", None),
            ["authmanagerinfo", "siteinfo", "tokens", "userinfo"]
        );
        assert_eq!(doc("query+tokens").map(|d| d.name), Some("tokens"));
        assert_eq!(parent_path("query+tokens"), Some("query"));
        assert_eq!(parent_path("login"), Some("main"));
        // Every module's path is its parent's path and its name.
        for m in MODULES.iter().filter(|m| m.path != "main") {
            let parent = parent_path(m.path).unwrap();
            assert_eq!(child_path(parent, m.name), m.path);
            assert!(doc(parent).is_some(), "{} has no parent", m.path);
        }
    }
}
