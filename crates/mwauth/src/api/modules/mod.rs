//! One file per API module, named after it. Each reads like the behaviour it implements:
//! validate, call the auth engine or the store, add to the result; and each declares itself
//! once, as its `MODULE`.
//!
//! The lists below are the module tree (main → [`ACTIONS`] and the printers, query →
//! [`META`]): ApiMain routes by them, and paraminfo and help describe them.

pub mod authmanager;
pub mod authmanagerinfo;
pub mod checktoken;
pub mod clientlogin;
pub mod createaccount;
pub mod help;
pub mod help_texts;
pub mod login;
pub mod logout;
pub mod paraminfo;
pub mod query;
pub mod siteinfo;
pub mod tokens;
pub mod userinfo;
mod userinfo_tables;

use super::context::Context;
use super::error::{ApiError, ApiMessage};
use super::params::{split_multi_iter, validate_multi_enum, MultiEnum, MULTI_LIMIT};
use super::params_spec::{Default, Handler, Module, ParamSpec, ParamType, FORMATS, MAIN};
use super::result::{List, Obj};
use crate::i18n::Param;

/// ParamValidator's `PARAM_ISMULTI_LIMIT2`: the limit for users with `apihighlimits`.
const MULTI_LIMIT_HIGH: usize = 500;

/// `action` values mwauth serves, in MediaWiki's (alphabetical) order.
pub const ACTIONS: &[&Module] = &[
    &checktoken::MODULE,
    &clientlogin::MODULE,
    &createaccount::MODULE,
    &help::MODULE,
    &login::MODULE,
    &logout::MODULE,
    &paraminfo::MODULE,
    &query::MODULE,
];

/// query's `meta` modules mwauth serves, in alphabetical order.
pub const META: &[&Module] = &[
    &authmanagerinfo::MODULE,
    &siteinfo::MODULE,
    &tokens::MODULE,
    &userinfo::MODULE,
];

/// The module tree below main: each module manager's groups (parent path, group), their
/// modules and the modules' names.
const GROUPS: &[(&str, &str, &[&Module], &[&str])] = &[
    (
        "main",
        "action",
        ACTIONS,
        &names::<{ ACTIONS.len() }>(ACTIONS),
    ),
    (
        "main",
        "format",
        FORMATS,
        &names::<{ FORMATS.len() }>(FORMATS),
    ),
    ("query", "meta", META, &names::<{ META.len() }>(META)),
];

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

/// The `action` module named `name`.
pub fn action(name: &str) -> Option<&'static Module> {
    ACTIONS.iter().copied().find(|m| m.name == name)
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

/// The module at `path` (`main`, `login`, `query+tokens`, `json`).
pub fn find(path: &str) -> Option<&'static Module> {
    if path == "main" {
        return Some(&MAIN);
    }
    let (parent, name) = path.rsplit_once('+').unwrap_or(("main", path));
    children(parent)
        .flat_map(|list| list.iter().copied())
        .find(|m| m.name == name)
}

/// The lists of submodules of the module at `path`.
fn children(path: &str) -> impl Iterator<Item = &'static [&'static Module]> + '_ {
    GROUPS
        .iter()
        .filter(move |(parent, ..)| *parent == path)
        .map(|(_, _, modules, _)| *modules)
}

/// The names of the submodules in one group of the module at `path`, in their list's order.
fn group_names(path: &str, group: &str) -> &'static [&'static str] {
    GROUPS
        .iter()
        .find(|(parent, g, ..)| *parent == path && *g == group)
        .map_or(&[], |(_, _, _, names)| *names)
}

/// The values an enum-like parameter of `module` allows, as its type declares them
/// (EnumDef::getEnumValues; SubmoduleDef's are the submodules' names).
pub fn enum_values(module: &Module, spec: &ParamSpec) -> &'static [&'static str] {
    match spec.ty {
        ParamType::Enum(values) => values,
        ParamType::Submodules => group_names(module.path, spec.name),
        ParamType::QueryModules => group_names("query", "meta"),
        ParamType::FormatModules => group_names("main", "format"),
        _ => &[],
    }
}

/// How the framework reads a module's parameters by its declaration (ApiBase's
/// extractRequestParams and getParameter); these need the module tree, so they live beside it.
impl Context<'_> {
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
        let allowed = spec.map_or(&[][..], |s| enum_values(module, s));
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

/// ApiModuleManager::getNames($group) of the module at `path`, sorted; all groups when
/// `group` is `None`.
pub fn submodule_names(path: &str, group: Option<&str>) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = children(path)
        .flat_map(|list| list.iter())
        .filter(|m| group.is_none() || m.group == group)
        .map(|m| m.name)
        .collect();
    names.sort_unstable();
    names
}

/// Whether the module at `path` has a module manager (ApiMain and ApiQuery).
pub fn has_submodules(path: &str) -> bool {
    children(path).next().is_some()
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
        assert_eq!(find("query+tokens").map(|d| d.name), Some("tokens"));
        assert_eq!(find("json").map(|d| d.classname), Some("ApiFormatJson"));
        assert!(find("query+json").is_none() && find("tokens").is_none());
        assert_eq!(parent_path("query+tokens"), Some("query"));
        assert_eq!(parent_path("login"), Some("main"));
        // Every module's path is its parent's path and its name.
        for parent in ["main", "query"] {
            for m in children(parent).flat_map(|l| l.iter()) {
                assert_eq!(child_path(parent, m.name), m.path);
                assert_eq!(find(m.path).map(|f| f.path), Some(m.path));
            }
        }
    }

    #[test]
    fn only_actions_and_meta_modules_have_handlers() {
        for m in ACTIONS.iter().chain(META) {
            assert!(m.handler.is_some(), "{} has no handler", m.path);
        }
        assert!(FORMATS.iter().all(|m| m.handler.is_none()));
    }
}
