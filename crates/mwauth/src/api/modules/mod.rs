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
use super::error::ApiError;
use super::params_spec::{Handler, Module, ParamSpec, ParamType, FORMATS, MAIN};

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
