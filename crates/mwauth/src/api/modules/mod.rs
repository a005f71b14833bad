//! One file per API module, named after it. Each reads like the behaviour it implements:
//! validate, call the auth engine or the store, add to the result; and each declares itself
//! once, as its `MODULE`.
//!
//! The lists below are the module tree (main → [`ACTIONS`] and the printers, query →
//! [`META`]): ApiMain routes by them, and paraminfo and help describe them.

pub mod authmanager;
pub mod authmanagerinfo;
mod bundled_extensions;
pub mod checktoken;
pub mod clientlogin;
pub mod createaccount;
pub mod help;
pub mod help_texts;
pub mod login;
pub mod logout;
pub mod oath;
pub mod oathvalidate;
pub mod paraminfo;
pub mod query;
pub mod siteinfo;
mod siteinfo_stats;
pub mod tokens;
pub mod userinfo;
mod userinfo_tables;

use super::context::Context;
use super::error::{ApiError, ApiMessage};
use super::params::{split_multi_iter, validate_multi_enum, MultiEnum, MULTI_LIMIT};
use super::params_spec::{Default, Handler, Module, ParamSpec, ParamType, FORMATS, MAIN};
use super::result::{List, Obj};
use crate::config::Config;
use crate::i18n::Param;

/// ParamValidator's `PARAM_ISMULTI_LIMIT2`: the limit for users with `apihighlimits`.
const MULTI_LIMIT_HIGH: usize = 500;

/// `action` values mwauth serves, in MediaWiki's (alphabetical) order, then those of the
/// extensions loaded, which come after the core modules in MediaWiki's module manager.
macro_rules! actions {
    ($($extension:expr),*) => {
        &[
            &checktoken::MODULE,
            &clientlogin::MODULE,
            &createaccount::MODULE,
            &help::MODULE,
            &login::MODULE,
            &logout::MODULE,
            &paraminfo::MODULE,
            &query::MODULE,
            $($extension),*
        ]
    };
}

const ACTIONS: &[&Module] = actions!();
/// With OATHAuth loaded: its `action=oathvalidate`.
const ACTIONS_OATH: &[&Module] = actions!(&oathvalidate::MODULE);

/// query's `meta` modules mwauth serves, in alphabetical order.
const META: &[&Module] = &[
    &authmanagerinfo::MODULE,
    &siteinfo::MODULE,
    &tokens::MODULE,
    &userinfo::MODULE,
];

/// With OATHAuth loaded: its `meta=oath` after the core ones.
const META_OATH: &[&Module] = &[
    &authmanagerinfo::MODULE,
    &siteinfo::MODULE,
    &tokens::MODULE,
    &userinfo::MODULE,
    &oath::MODULE,
];

/// One module manager's group: parent path, group name, its modules and their names.
type Group = (
    &'static str,
    &'static str,
    &'static [&'static Module],
    &'static [&'static str],
);

/// The module tree below main as one configuration has it: which modules exist depends on
/// the extensions loaded (OATHAuth adds `oathvalidate` and `meta=oath`), as MediaWiki's
/// module managers are filled from `$wgAPIModules` and `$wgAPIMetaModules`.
#[derive(Debug)]
pub struct Tree {
    /// `action` values, in the module manager's order.
    pub actions: &'static [&'static Module],
    /// query's `meta` modules, in the module manager's order.
    pub meta: &'static [&'static Module],
    groups: [Group; 3],
}

/// A tree of `action` and `meta` lists (consts, so their names are computed at compile
/// time).
macro_rules! tree {
    ($actions:ident, $meta:ident) => {
        Tree {
            actions: $actions,
            meta: $meta,
            groups: [
                (
                    "main",
                    "action",
                    $actions,
                    &names::<{ $actions.len() }>($actions),
                ),
                (
                    "main",
                    "format",
                    FORMATS,
                    &names::<{ FORMATS.len() }>(FORMATS),
                ),
                ("query", "meta", $meta, &names::<{ $meta.len() }>($meta)),
            ],
        }
    };
}

/// The tree without extensions.
static CORE: Tree = tree!(ACTIONS, META);
/// The tree with OATHAuth loaded.
static WITH_OATH: Tree = tree!(ACTIONS_OATH, META_OATH);

/// The module tree of a configuration.
pub fn tree(config: &Config) -> &'static Tree {
    if config.oath.enabled {
        &WITH_OATH
    } else {
        &CORE
    }
}

/// The names of a list of modules, for the parameters whose values they are.
const fn names<const N: usize>(modules: &[&Module]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = modules[i].name;
        i += 1;
    }
    out
}

impl Tree {
    /// The `action` module named `name`.
    pub fn action(&self, name: &str) -> Option<&'static Module> {
        self.actions.iter().copied().find(|m| m.name == name)
    }

    /// The `meta` module named `name`.
    pub fn meta_module(&self, name: &str) -> Option<&'static Module> {
        self.meta.iter().copied().find(|m| m.name == name)
    }

    /// The module at `path` (`main`, `login`, `query+tokens`, `json`).
    pub fn find(&self, path: &str) -> Option<&'static Module> {
        if path == "main" {
            return Some(&MAIN);
        }
        let (parent, name) = path.rsplit_once('+').unwrap_or(("main", path));
        self.children(parent)
            .flat_map(|list| list.iter().copied())
            .find(|m| m.name == name)
    }

    /// The lists of submodules of the module at `path`.
    fn children<'s>(
        &'s self,
        path: &'s str,
    ) -> impl Iterator<Item = &'static [&'static Module]> + 's {
        self.groups
            .iter()
            .filter(move |(parent, ..)| *parent == path)
            .map(|(_, _, modules, _)| *modules)
    }

    /// The names of the submodules in one group of the module at `path`, in their list's
    /// order.
    fn group_names(&self, path: &str, group: &str) -> &'static [&'static str] {
        self.groups
            .iter()
            .find(|(parent, g, ..)| *parent == path && *g == group)
            .map_or(&[], |(_, _, _, names)| *names)
    }

    /// The values an enum-like parameter of `module` allows, as its type declares them
    /// (EnumDef::getEnumValues; SubmoduleDef's are the submodules' names).
    pub fn enum_values(&self, module: &Module, spec: &ParamSpec) -> &'static [&'static str] {
        match spec.ty {
            ParamType::Enum(values) => values,
            ParamType::Submodules => self.group_names(module.path, spec.name),
            ParamType::QueryModules => self.group_names("query", "meta"),
            ParamType::FormatModules => self.group_names("main", "format"),
            _ => &[],
        }
    }

    /// The values of an enum-like parameter as paraminfo and help list them: sorted, and
    /// for submodules the internal ones last (SubmoduleDef::sortEnumValues).
    pub fn sorted_values(&self, module: &Module, spec: &ParamSpec) -> Vec<&'static str> {
        let mut values = self.enum_values(module, spec).to_vec();
        if matches!(spec.ty, ParamType::Submodules) {
            values.sort_by_key(|v| (self.is_internal(&child_path(module.path, v)), *v));
        } else {
            values.sort_unstable();
        }
        values
    }

    /// Whether the module at `path` is internal (ApiBase::isInternal).
    pub fn is_internal(&self, path: &str) -> bool {
        self.find(path).is_some_and(|m| m.flags.internal)
    }

    /// ApiModuleManager::getNames($group) of the module at `path`, sorted; all groups when
    /// `group` is `None`.
    pub fn submodule_names(&self, path: &str, group: Option<&str>) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .children(path)
            .flat_map(|list| list.iter())
            .filter(|m| group.is_none() || m.group == group)
            .map(|m| m.name)
            .collect();
        names.sort_unstable();
        names
    }

    /// Whether the module at `path` has a module manager (ApiMain and ApiQuery).
    pub fn has_submodules(&self, path: &str) -> bool {
        self.children(path).next().is_some()
    }
}

/// Runs an action module (ApiMain::executeAction): its declared parameters count as used,
/// as ApiMain::setupModule's extractRequestParams makes them, whether or not the module
/// reads them.
pub async fn run(ctx: &mut Context<'_>, module: &'static Module) -> Result<(), ApiError> {
    match module.handler {
        Some(Handler::Query) => {
            ctx.mark_declared(module);
            query::execute(ctx).await
        }
        _ => run_leaf(ctx, module).await,
    }
}

/// Runs a module without submodules: an action, or a meta module from query (whose
/// parameters ApiQuery extracts just before running it).
pub(super) async fn run_leaf(
    ctx: &mut Context<'_>,
    module: &'static Module,
) -> Result<(), ApiError> {
    ctx.mark_declared(module);
    match module.handler {
        Some(Handler::Sync(execute)) => execute(ctx),
        Some(Handler::Async(execute)) => execute(ctx).await,
        // Main, the printers and query are never run this way.
        Some(Handler::Query) | None => Ok(()),
    }
}

/// How the framework reads a module's parameters by its declaration (ApiBase's
/// extractRequestParams and getParameter); these need the module tree, so they live beside it.
impl Context<'_> {
    /// The module tree this server's configuration has.
    pub fn modules(&self) -> &'static Tree {
        tree(&self.services.config)
    }

    /// The framework's reading of a module's declared parameters (ApiBase's
    /// extractRequestParams): each counts as used, so none is reported as unrecognized,
    /// whether or not the module reads it.
    pub fn mark_declared(&mut self, module: &Module) {
        for spec in module.all_params() {
            self.params.mark_used(module.prefix, spec.name);
        }
    }

    /// `module`'s multi-value enum parameter `name` (without the prefix), as its declaration
    /// says: absent, its default; `*` alone, every allowed value when it is declared with
    /// PARAM_ALL; otherwise the allowed values given, in the order given, each once, with a
    /// warning about unknown ones.
    pub fn multi_enum(
        &mut self,
        module: &Module,
        name: &'static str,
    ) -> Result<Vec<&'static str>, ApiError> {
        let spec = module.param(name);
        let tree = self.modules();
        let allowed = spec.map_or(&[][..], |s| tree.enum_values(module, s));
        let Some(raw) = self
            .params
            .get_prefixed(module.prefix, name)
            .map(str::to_string)
        else {
            return Ok(match spec.and_then(|s| s.default) {
                Some(Default::Str(d)) => split_multi_iter(d).collect(),
                _ => Vec::new(),
            });
        };
        // MediaWiki warns about a cleaned value as it reads it, before judging the values.
        self.warn_badutf8(module.path);
        let all = spec.is_some_and(|s| s.all);
        match validate_multi_enum(&raw, allowed, all, MULTI_LIMIT) {
            MultiEnum::All => Ok(allowed.to_vec()),
            MultiEnum::TooMany(_) => Err(ApiError::from_msg(
                ApiMessage::new("toomanyvalues", "paramvalidator-toomanyvalues", &[])
                    .plaintext()
                    .with_data(
                        Obj::new()
                            .with("limit", MULTI_LIMIT as i64)
                            .with("lowlimit", MULTI_LIMIT as i64)
                            .with("highlimit", MULTI_LIMIT_HIGH as i64),
                    )
                    .with_params(vec![
                        Param::Plaintext(module.param_name(name).into_owned()),
                        Param::Num(MULTI_LIMIT as i64),
                    ]),
            )),
            MultiEnum::Values(good, bad) => {
                if !bad.is_empty() {
                    let msg = unrecognized_values(&module.param_name(name), &raw, &bad);
                    self.warn(module.path, msg);
                }
                Ok(good)
            }
        }
    }
}

/// ParamValidator's warning about the unrecognized values of a multi-value parameter.
fn unrecognized_values(name: &str, raw: &str, bad: &[&str]) -> ApiMessage {
    let data = Obj::new().with(
        "values",
        List::of_strings("v", bad.iter().map(|v| v.to_string())),
    );
    let items = bad
        .iter()
        .map(|v| Param::Plaintext(v.to_string()))
        .collect();
    ApiMessage::new(
        "unrecognizedvalues",
        "paramvalidator-unrecognizedvalues",
        &[],
    )
    .plaintext()
    .with_params(vec![
        Param::Plaintext(name.to_string()),
        Param::Plaintext(raw.to_string()),
        Param::list(items),
        Param::Num(bad.len() as i64),
    ])
    .with_data(data)
}

/// The parent's path of a module path.
pub fn parent_path(path: &str) -> Option<&str> {
    if path == "main" {
        return None;
    }
    Some(path.rsplit_once('+').map_or("main", |(p, _)| p))
}

/// The path of a child module: `login`, `query+tokens`.
pub fn child_path(parent: &str, name: &str) -> String {
    if parent == "main" {
        name.to_string()
    } else {
        format!("{parent}+{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_tree() {
        let tree = &CORE;
        assert_eq!(
            tree.submodule_names("main", Some("action")),
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
            tree.submodule_names("query", None),
            ["authmanagerinfo", "siteinfo", "tokens", "userinfo"]
        );
        assert_eq!(tree.find("query+tokens").map(|d| d.name), Some("tokens"));
        assert_eq!(
            tree.find("json").map(|d| d.classname),
            Some("ApiFormatJson")
        );
        assert!(tree.find("query+json").is_none() && tree.find("tokens").is_none());
        assert!(tree.find("oathvalidate").is_none() && tree.find("query+oath").is_none());
        assert_eq!(parent_path("query+tokens"), Some("query"));
        assert_eq!(parent_path("login"), Some("main"));
        // Every module's path is its parent's path and its name.
        for tree in [&CORE, &WITH_OATH] {
            for parent in ["main", "query"] {
                for m in tree.children(parent).flat_map(|l| l.iter()) {
                    assert_eq!(child_path(parent, m.name), m.path);
                    assert_eq!(tree.find(m.path).map(|f| f.path), Some(m.path));
                }
            }
        }
    }

    #[test]
    fn oathauth_adds_its_modules_last() {
        let tree = &WITH_OATH;
        assert_eq!(tree.actions.last().map(|m| m.name), Some("oathvalidate"));
        assert_eq!(tree.meta.last().map(|m| m.name), Some("oath"));
        let main = tree.find("main").unwrap();
        let action = main.param("action").unwrap();
        // Internal modules sort after the others (SubmoduleDef::sortEnumValues).
        let sorted = tree.sorted_values(main, action);
        assert_eq!(sorted.first(), Some(&"checktoken"));
        assert_eq!(sorted.last(), Some(&"oathvalidate"));
    }

    #[test]
    fn only_actions_and_meta_modules_have_handlers() {
        for m in WITH_OATH.actions.iter().chain(WITH_OATH.meta) {
            assert!(m.handler.is_some(), "{} has no handler", m.path);
        }
        assert!(FORMATS.iter().all(|m| m.handler.is_none()));
    }
}
