//! # action=query&meta=userinfo (uiprop=…, uiattachedwiki)
//!
//! - Always `id` and `name` (the client's IP for anonymous users) and `anon` when anonymous.
//! - `groups`, `implicitgroups`, `groupmemberships`, `rights` (limited by the bot password's
//!   grants in a bot-password session), `editcount`, `registrationdate`, `realname`,
//!   `email`, `hasmsg`; `blockinfo` adds nothing, as for any unblocked user.
//! - `changeablegroups` (every explicit group for holders of `userrights`), `options` (the
//!   default options: mwauth stores no preferences), `ratelimits` and
//!   `theoreticalratelimits` ($wgRateLimits' defaults; none for `noratelimit`), `acceptlang`
//!   (WebRequest::getAcceptLang), `unreadcount` (0: no watchlist), `centralids`,
//!   `attachedlocal` and, with `uiattachedwiki`, `attachedwiki` (CentralIdLookup's local
//!   provider). `latestcontrib` adds nothing (no contributions).
//! - `uiprop=*` (PARAM_ALL): every property, in the declared order.

use super::bundled_extensions::Loaded;
use super::userinfo_tables::{OptionValue, ANON_RATE_LIMITS, DEFAULT_OPTIONS, USER_RATE_LIMITS};
use crate::api::context::Context;
use crate::api::error::ApiError;
use crate::api::params_spec::{Flags, Handler, Module, ParamSpec};
use crate::api::result::BcBools;
use crate::api::result::{List, Obj, Value};
use crate::time;
use crate::user::rights;

/// UserGroupManager::listAllGroups with the default $wgGroupPermissions: the explicit groups.
const ALL_EXPLICIT_GROUPS: &[&str] = &["bot", "sysop", "interface-admin", "bureaucrat", "suppress"];

const PROPS: &[&str] = &[
    "blockinfo",
    "hasmsg",
    "groups",
    "groupmemberships",
    "implicitgroups",
    "rights",
    "changeablegroups",
    "options",
    "editcount",
    "ratelimits",
    "theoreticalratelimits",
    "email",
    "realname",
    "acceptlang",
    "registrationdate",
    "unreadcount",
    "centralids",
    "latestcontrib",
];

pub fn execute(ctx: &mut Context<'_>) -> Result<(), ApiError> {
    let props = ctx.multi_enum(&MODULE, "prop")?;
    let has = |p: &str| props.contains(&p);
    let mut info = Obj::new()
        .with("id", ctx.user_id())
        .with("name", ctx.user_name());
    if ctx.is_anon() {
        info.set("anon", true);
    }
    if has("hasmsg") {
        info.set("messages", false);
    }
    if has("groups") {
        info.set("groups", List::of_strings("g", ctx.groups()));
    }
    if has("groupmemberships") {
        let mut list = List::new("groupmembership");
        let mut groups = ctx.user().map(|u| u.groups.clone()).unwrap_or_default();
        // In the order the database lists them: by name.
        groups.sort();
        groups.dedup();
        for g in groups {
            list.push(Obj::new().with("group", g).with("expiry", "infinity"));
        }
        info.set("groupmemberships", list);
    }
    if has("implicitgroups") {
        let implicit = rights::effective_groups(ctx.user_id(), &[]);
        info.set("implicitgroups", List::of_strings("g", implicit));
    }
    if has("rights") {
        info.set("rights", List::of_strings("r", ctx.rights()));
    }
    if has("changeablegroups") {
        // $wgAddGroups and $wgRemoveGroups are empty by default: only `userrights` changes
        // groups, all of them.
        let all = || {
            let names = if ctx.has_right("userrights") {
                ALL_EXPLICIT_GROUPS
            } else {
                &[]
            };
            List::of_strings("g", names.iter().map(|g| g.to_string()))
        };
        let changeable = Obj::new()
            .with("add", all())
            .with("remove", all())
            .with("add-self", List::new("g"))
            .with("remove-self", List::new("g"));
        info.set("changeablegroups", changeable);
    }
    if has("options") {
        let mut options = Obj::new().bc_bools(BcBools::All);
        for (key, value) in DEFAULT_OPTIONS {
            match value {
                OptionValue::Int(n) => options.set(key, *n),
                OptionValue::Str(s) => options.set(key, *s),
                OptionValue::Bool(b) => options.set(key, *b),
            }
        }
        info.set("options", options);
    }
    if has("editcount") {
        info.set("editcount", ctx.user().map_or(0, |u| u.editcount as i64));
    }
    if has("ratelimits") {
        let limits = if ctx.has_right("noratelimit") {
            Obj::new()
        } else {
            rate_limits(ctx.is_anon(), Loaded::of(&ctx.services.config))
        };
        info.set("ratelimits", limits);
    }
    if has("theoreticalratelimits") {
        let loaded = Loaded::of(&ctx.services.config);
        info.set("theoreticalratelimits", rate_limits(ctx.is_anon(), loaded));
    }
    // Anonymous users have a real name too: the empty one.
    if has("realname") {
        info.set("realname", "");
    }
    if has("email") && ctx.has_right("viewmyprivateinfo") {
        info.set("email", "");
    }
    if has("registrationdate") {
        if let Some(iso) = ctx.user().and_then(|u| time::mw_to_iso(&u.registration)) {
            info.set("registrationdate", iso);
        }
    }
    if has("acceptlang") {
        let mut langs = List::new("lang");
        for (code, q) in accept_lang(ctx.req.header("accept-language").unwrap_or("")) {
            let mut entry = Obj::new().with("q", q);
            entry.set_content("code", code);
            langs.push(entry);
        }
        info.set("acceptlang", langs);
    }
    if has("unreadcount") {
        info.set("unreadcount", 0i64);
    }
    if has("centralids") {
        info.set("centralids", Obj::new().with("local", ctx.user_id()));
        info.set("attachedlocal", Obj::new().with("local", !ctx.is_anon()));
        // LocalIdLookup::isAttached: a user is attached to this wiki only (no shared
        // user tables); PHP's truthiness decides whether `uiattachedwiki` was given.
        let (anon, config) = (ctx.is_anon(), &ctx.services.config);
        let wiki = ctx.params.get("uiattachedwiki").unwrap_or("");
        if !wiki.is_empty() && wiki != "0" {
            let attached = !anon && wiki == config.wiki_id;
            info.set("attachedwiki", Obj::new().with("local", attached));
        }
    }
    ctx.result.obj_mut("query", false).set("userinfo", info);
    Ok(())
}

/// ApiQueryUserInfo::getRateLimits: action → category → hits and seconds.
fn rate_limits(anon: bool, loaded: Loaded) -> Obj {
    let table = if anon {
        ANON_RATE_LIMITS
    } else {
        USER_RATE_LIMITS
    };
    let mut out = Obj::new();
    for (action, category, hits, seconds) in table.iter().copied().chain(loaded.rate_limits(anon)) {
        let limit = Obj::new().with("hits", hits).with("seconds", seconds);
        out.obj_mut(action, false).set(category, limit);
    }
    out
}

/// WebRequest::getAcceptLang: the `Accept-Language` entries in lower case, by q value
/// (highest first, then in the order given), without those of q=0; every q a PHP float
/// (1.0 when not given).
fn accept_lang(header: &str) -> Vec<(String, Value)> {
    let header = header.to_ascii_lowercase();
    let bytes = header.as_bytes();
    let mut found: Vec<(String, Option<f64>)> = Vec::new();
    let mut i = 0;
    // preg_match_all with /([a-z]{1,8}(-[a-z]{1,8})*|\*)\s*(;\s*q\s*=\s*(1(\.0{0,3})?|0(\.[0-9]{0,3})?)?)?/
    while i < bytes.len() {
        let Some((code_end, code)) = lang_code(bytes, i) else {
            i += 1;
            continue;
        };
        let mut j = code_end;
        let mut q = None;
        let mut k = skip_space(bytes, j);
        if bytes.get(k) == Some(&b';') {
            k = skip_space(bytes, k + 1);
            if bytes.get(k) == Some(&b'q') {
                let mut m = skip_space(bytes, k + 1);
                if bytes.get(m) == Some(&b'=') {
                    m = skip_space(bytes, m + 1);
                    j = m;
                    if let Some((end, text)) = q_value(bytes, m) {
                        j = end;
                        q = Some(text.parse::<f64>().unwrap_or(0.0));
                    }
                } else {
                    j = skip_space(bytes, code_end);
                }
            } else {
                j = skip_space(bytes, code_end);
            }
        } else {
            j = k;
        }
        found.push((code, q));
        i = j.max(code_end);
    }
    // `$langs[$code] = $q` for each entry whose q is not 0 (a repeated code keeps its first
    // place and takes the later value), then arsort(SORT_NUMERIC), stable since PHP 8.
    let mut langs: Vec<(String, f64)> = Vec::new();
    for (code, q) in found {
        let q = q.unwrap_or(1.0);
        if q == 0.0 {
            continue;
        }
        match langs.iter_mut().find(|(c, _)| *c == code) {
            Some(slot) => slot.1 = q,
            None => langs.push((code, q)),
        }
    }
    langs.sort_by(|a, b| b.1.total_cmp(&a.1));
    langs
        .into_iter()
        .map(|(code, q)| (code, Value::Float(q)))
        .collect()
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    i
}

/// `[a-z]{1,8}(-[a-z]{1,8})*` or `*` at `i`: its end and text.
fn lang_code(b: &[u8], i: usize) -> Option<(usize, String)> {
    if b.get(i) == Some(&b'*') {
        return Some((i + 1, "*".to_string()));
    }
    let letters = |from: usize| {
        let mut e = from;
        while e < b.len() && e - from < 8 && b[e].is_ascii_lowercase() {
            e += 1;
        }
        e
    };
    let mut end = letters(i);
    if end == i {
        return None;
    }
    while b.get(end) == Some(&b'-') {
        let next = letters(end + 1);
        if next == end + 1 {
            break;
        }
        end = next;
    }
    Some((end, String::from_utf8_lossy(&b[i..end]).into_owned()))
}

/// `1(\.0{0,3})?|0(\.[0-9]{0,3})?` at `i`: its end and text.
fn q_value(b: &[u8], i: usize) -> Option<(usize, &str)> {
    let first = *b.get(i)?;
    if first != b'0' && first != b'1' {
        return None;
    }
    let mut end = i + 1;
    if b.get(end) == Some(&b'.') {
        end += 1;
        let digit = |c: u8| {
            if first == b'1' {
                c == b'0'
            } else {
                c.is_ascii_digit()
            }
        };
        let start = end;
        while end < b.len() && end - start < 3 && digit(b[end]) {
            end += 1;
        }
    }
    std::str::from_utf8(&b[i..end]).ok().map(|t| (end, t))
}

/// ApiQueryUserInfo::getAllowedParams.
const PARAMS: &[ParamSpec] = &[
    ParamSpec::enumeration("prop", PROPS).multi().all(),
    ParamSpec::string("attachedwiki"),
];

pub const MODULE: Module = Module {
    name: "userinfo",
    path: "query+userinfo",
    classname: "ApiQueryUserInfo",
    group: Some("meta"),
    prefix: "ui",
    flags: Flags::READ,
    help_urls: &["https://www.mediawiki.org/wiki/Special:MyLanguage/API:Userinfo"],
    params: PARAMS,
    handler: Some(Handler::Sync(execute)),
    ..Module::BASE
};
