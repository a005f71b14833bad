//! One file per API module, named after it. Each reads like the behaviour it implements:
//! validate, call the auth engine or the store, add to the result.

pub mod authmanager;
pub mod authmanagerinfo;
pub mod checktoken;
pub mod clientlogin;
pub mod createaccount;
pub mod help;
pub mod login;
pub mod logout;
pub mod paraminfo;
pub mod query;
pub mod siteinfo;
pub mod tokens;
pub mod userinfo;
mod userinfo_tables;

/// What the framework needs to know about a module before running it (ApiBase's
/// mustBePosted, needsToken, isWriteMode).
pub struct ModuleInfo {
    pub name: &'static str,
    pub must_be_posted: bool,
    /// The token type the framework checks before the module runs (ApiBase::needsToken).
    pub needs_token: Option<&'static str>,
    /// The parameter that carries it: `token`, or `logintoken`/`createtoken` for the
    /// AuthManager modules (their prefix + "token").
    pub token_param: &'static str,
    /// Needs the `writeapi` right.
    pub write_mode: bool,
}

/// `action` values mwauth serves, in MediaWiki's (alphabetical) order.
pub const ACTIONS: &[&ModuleInfo] = &[
    &checktoken::INFO,
    &clientlogin::INFO,
    &createaccount::INFO,
    &help::INFO,
    &login::INFO,
    &logout::INFO,
    &paraminfo::INFO,
    &query::INFO,
];

pub fn info(action: &str) -> Option<&'static ModuleInfo> {
    ACTIONS.iter().copied().find(|m| m.name == action)
}
