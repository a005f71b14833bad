//! What a module declares: its parameters as MediaWiki 1.39's `getAllowedParams()` gives
//! them, its flags, its token and its handler. ApiMain routes by it, the framework marks its
//! parameters used and validates them by it, `action=paraminfo` reports it and
//! `action=help` documents it.
//!
//! Each module file declares its own `MODULE` next to the code that reads the parameters;
//! ApiMain's, the page set's and the format modules' live here. The lists of them, and the
//! module tree they form, are in [`super::modules`].

use super::context::Context;
use super::error::ApiError;
use futures_util::future::BoxFuture;
use std::borrow::Cow;

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

/// ApiBase::isReadMode, isWriteMode and mustBePosted: what ApiMain checks before a module
/// runs, and the flags paraminfo and help show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// ApiBase::isInternal: listed after the others, marked in paraminfo and help.
    pub internal: bool,
    pub read: bool,
    /// Needs the `writeapi` right.
    pub write: bool,
    pub must_be_posted: bool,
}

impl Flags {
    pub const NONE: Flags = Flags {
        internal: false,
        read: false,
        write: false,
        must_be_posted: false,
    };
    pub const READ: Flags = Flags {
        read: true,
        ..Flags::NONE
    };
    pub const POSTED: Flags = Flags {
        must_be_posted: true,
        ..Flags::NONE
    };
    pub const WRITE_POSTED: Flags = Flags {
        write: true,
        must_be_posted: true,
        ..Flags::NONE
    };

    /// ApiBase::getHelpFlags, in MediaWiki's order (no module mwauth serves is deprecated).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        [
            ("internal", self.internal),
            ("readrights", self.read),
            ("writerights", self.write),
            ("mustbeposted", self.must_be_posted),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
    }
}

/// An extension's name and licence, as its extension.json gives them (ApiParamInfo's
/// `source` and `licensetag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension {
    pub name: &'static str,
    pub license: &'static str,
}

/// OATHAuth 0.5.0's extension.json: its name and licence.
pub const OATHAUTH: Extension = Extension {
    name: "OATHAuth",
    license: "GPL-2.0-or-later AND GPL-3.0-or-later",
};

/// How a module runs (ApiBase::execute).
#[derive(Debug, Clone, Copy)]
pub enum Handler {
    /// Runs without waiting: no future is made, so the token and userinfo paths allocate
    /// nothing for it.
    Sync(fn(&mut Context<'_>) -> Result<(), ApiError>),
    /// Waits on a store or the hashing pool. Its future is boxed: one allocation beside a
    /// store round trip or a password hash.
    Async(for<'c, 'a> fn(&'c mut Context<'a>) -> BoxFuture<'c, Result<(), ApiError>>),
    /// ApiQuery: runs the meta modules its `meta` parameter names, each by its own handler
    /// (see `modules::query`), awaited in place rather than boxed.
    Query,
}

/// One module of the tree mwauth serves: everything the router, paraminfo, help and the
/// unused-parameter warning need to know of it. Each module file exports one as `MODULE`.
#[derive(Debug)]
pub struct Module {
    pub name: &'static str,
    /// The module path (`query+tokens`); `main` for ApiMain.
    pub path: &'static str,
    pub classname: &'static str,
    /// The group it has in its parent's module manager (`action`, `format`, `meta`);
    /// `None` for main.
    pub group: Option<&'static str>,
    pub prefix: &'static str,
    /// The extension that adds the module (its paraminfo `source` and licence); `None` for
    /// MediaWiki's own.
    pub extension: Option<Extension>,
    pub flags: Flags,
    pub help_urls: &'static [&'static str],
    /// getAllowedParams, without the token parameter (see [`Module::token`]).
    pub params: &'static [ParamSpec],
    /// ApiBase::needsToken: the token type ApiMain checks before the module runs. Its
    /// parameter, `<prefix>token`, is the one ApiBase::getFinalParams adds after the rest.
    pub token: Option<&'static str>,
    /// ApiBase::dynamicParameterDocumentation is set (the AuthManager modules).
    pub dynamic_parameters: bool,
    /// `None` for the modules that are not run as actions or meta modules: main, the page
    /// set and the printers, whose parameters ApiMain reads itself.
    pub handler: Option<Handler>,
}

impl Module {
    /// What a declaration leaves out (`..Module::BASE`): no token, no dynamic parameters,
    /// no parameters, no handler.
    pub const BASE: Module = Module {
        name: "",
        path: "",
        classname: "",
        group: None,
        prefix: "",
        extension: None,
        flags: Flags::NONE,
        help_urls: &[],
        params: &[],
        token: None,
        dynamic_parameters: false,
        handler: None,
    };
}

/// [`Handler::Async`] for a module's `async fn execute(ctx)`: the boxing wrapper that every
/// waiting module needs, written once.
macro_rules! async_handler {
    ($execute:path) => {
        $crate::api::params_spec::Handler::Async({
            fn boxed<'c>(
                ctx: &'c mut $crate::api::context::Context<'_>,
            ) -> futures_util::future::BoxFuture<'c, Result<(), $crate::api::error::ApiError>>
            {
                Box::pin($execute(ctx))
            }
            boxed
        })
    };
}
pub(crate) use async_handler;

/// The parameter ApiBase::getFinalParams adds to a module that needs a token.
pub const TOKEN_PARAM: ParamSpec = ParamSpec::string("token").required().sensitive();

impl Module {
    /// ApiBase::getFinalParams: the declared parameters, then the token's.
    pub fn all_params(&self) -> impl Iterator<Item = &'static ParamSpec> {
        let params: &'static [ParamSpec] = self.params;
        params.iter().chain(self.token.map(|_| &TOKEN_PARAM))
    }

    /// The declared parameter `name` (without the prefix).
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.all_params().find(|p| p.name == name)
    }

    /// A parameter's name in the request: the module's prefix and its name.
    pub fn param_name(&self, name: &'static str) -> Cow<'static, str> {
        if self.prefix.is_empty() {
            Cow::Borrowed(name)
        } else {
            Cow::Owned(format!("{}{name}", self.prefix))
        }
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

pub const MAIN: Module = Module {
    name: "main",
    path: "main",
    classname: "ApiMain",
    group: None,
    prefix: "",
    flags: Flags::NONE,
    help_urls: &[],
    params: MAIN_PARAMS,
    handler: None,
    ..Module::BASE
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

/// Two parameter lists as one, in a `const` (`N` is the sum of their lengths).
pub const fn concat<const N: usize>(a: &[ParamSpec], b: &[ParamSpec]) -> [ParamSpec; N] {
    let mut out = [ParamSpec::string(""); N];
    let mut i = 0;
    while i < N {
        out[i] = if i < a.len() { a[i] } else { b[i - a.len()] };
        i += 1;
    }
    out
}

pub const PAGESET: Module = Module {
    name: "query",
    path: "query",
    classname: "ApiPageSet",
    group: Some("action"),
    prefix: "",
    flags: Flags::READ,
    help_urls: &[],
    params: PAGESET_PARAMS,
    handler: None,
    ..Module::BASE
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

const fn printer(
    name: &'static str,
    classname: &'static str,
    params: &'static [ParamSpec],
) -> Module {
    Module {
        name,
        path: name,
        classname,
        group: Some("format"),
        prefix: "",
        extension: None,
        flags: Flags::READ,
        help_urls: API_DATA_FORMATS,
        params,
        token: None,
        dynamic_parameters: false,
        handler: None,
    }
}

pub const JSON: Module = printer("json", "ApiFormatJson", JSON_PARAMS);
pub const JSONFM: Module = printer("jsonfm", "ApiFormatJson", JSONFM_PARAMS);
pub const NONE: Module = printer("none", "ApiFormatNone", &[]);
pub const PHP: Module = printer("php", "ApiFormatPhp", PHP_PARAMS);
pub const PHPFM: Module = printer("phpfm", "ApiFormatPhp", PHPFM_PARAMS);
pub const RAWFM: Module = printer("rawfm", "ApiFormatJson", RAWFM_PARAMS);
pub const XML: Module = printer("xml", "ApiFormatXml", XML_PARAMS);
pub const XMLFM: Module = printer("xmlfm", "ApiFormatXml", XMLFM_PARAMS);

/// The printers, in ApiMain::$Formats' order.
pub const FORMATS: &[&Module] = &[&JSON, &JSONFM, &PHP, &PHPFM, &XML, &XMLFM, &RAWFM, &NONE];
