//! The sections a wiki's extensions and rights make: `[wiki.group_permissions]`, `[oath]`,
//! `[captcha]`.

use super::{quoted, strings, toml_key, toml_value, Toml};
use mwauth::user::rights::{group_permissions, RightsConfig};
use serde_json::Value;

/// `[wiki.group_permissions]`: what `$wgGroupPermissions` has that 1.39's defaults plus the
/// loaded extensions' do not (a right whose value differs, a group that is not a default).
pub(super) fn permissions(out: &mut Toml) {
    let cfg = RightsConfig {
        oath: out.get("wgOATHAuthWindowRadius").is_some(),
        captcha: out.get("wgCaptchaClass").is_some(),
        ..Default::default()
    };
    let defaults = group_permissions(cfg);
    let Some(Value::Object(groups)) = out.get("wgGroupPermissions").cloned() else {
        return;
    };
    out.comment("from $wgGroupPermissions: what differs from MediaWiki 1.39's defaults and the");
    out.comment("loaded extensions'");
    for (group, rights) in &groups {
        let default = defaults.iter().find(|(g, _)| g == group).map(|(_, r)| r);
        let mut changed: Vec<(String, bool)> = Vec::new();
        let rights: Vec<(String, bool)> = match rights {
            Value::Object(o) => o
                .iter()
                .map(|(r, v)| (r.clone(), v.as_bool().unwrap_or(false)))
                .collect(),
            _ => Vec::new(),
        };
        for (right, on) in &rights {
            let was = default.is_some_and(|d| d.contains(&right.as_str()));
            if default.is_none() || was != *on {
                changed.push((right.clone(), *on));
            }
        }
        // A default right the group no longer lists (the whole group replaced).
        for right in default.into_iter().flatten() {
            if !rights.iter().any(|(r, _)| r == right) {
                changed.push((right.to_string(), false));
            }
        }
        if default.is_none() || !changed.is_empty() {
            let inner: Vec<String> = changed
                .iter()
                .map(|(r, on)| format!("{} = {on}", toml_key(r)))
                .collect();
            out.line(format!("{} = {{ {} }}", toml_key(group), inner.join(", ")));
        }
    }
    for (group, _) in &defaults {
        if !groups.contains_key(*group) {
            out.cannot(
                &format!("group \"{group}\" removed from $wgGroupPermissions"),
                "mwauth lists every default group; its rights are taken away above",
            );
        }
    }
    if out.get("wgRevokePermissions").is_some_and(|v| {
        !strings(Some(v)).is_empty() || v.as_object().is_some_and(|o| !o.is_empty())
    }) {
        out.cannot(
            "$wgRevokePermissions",
            "mwauth has no revoked rights; set them false above",
        );
    }
}

/// `[oath]` when OATHAuth is loaded (its settings are registered only then).
pub(super) fn oath(out: &mut Toml) {
    let Some(radius) = out.int("wgOATHAuthWindowRadius") else {
        return;
    };
    out.section("oath");
    out.set(
        "enabled",
        true,
        "wfLoadExtension( 'OATHAuth' ) ($wgOATHAuthWindowRadius is set)",
    );
    out.set("window_radius", radius, "$wgOATHAuthWindowRadius");
    let groups = strings(out.get("wgOATHRequiredForGroups"));
    out.set("required_for_groups", groups, "$wgOATHRequiredForGroups");
    let rights = strings(out.get("wgOATHExclusiveRights"));
    out.set("exclusive_rights", rights, "$wgOATHExclusiveRights");
}

/// `[captcha]` when ConfirmEdit is loaded.
pub(super) fn captcha(out: &mut Toml) {
    let Some(class) = out
        .get("wgCaptchaClass")
        .and_then(Value::as_str)
        .map(String::from)
    else {
        return;
    };
    out.section("captcha");
    let kind = match class.as_str() {
        "QuestyCaptcha" => "questy",
        "SimpleCaptcha" => "simple",
        other => {
            return out.cannot(
                &format!("$wgCaptchaClass = \"{other}\""),
                "mwauth asks QuestyCaptcha and SimpleCaptcha only; leave the wiki's logins \
                 and account creations to PHP",
            );
        }
    };
    out.set("kind", kind, "$wgCaptchaClass");
    if kind == "questy" {
        questions(out);
    }
    let mut on = Vec::new();
    let mut others = Vec::new();
    if let Some(Value::Object(triggers)) = out.get("wgCaptchaTriggers") {
        for (action, v) in triggers {
            // ConfirmEdit 1.6 accepts a bool or ['trigger' => bool, …].
            let set = v
                .as_bool()
                .or_else(|| v["trigger"].as_bool())
                .unwrap_or(false);
            match action.as_str() {
                "createaccount" | "badlogin" | "badloginperuser" if set => on.push(action.clone()),
                "createaccount" | "badlogin" | "badloginperuser" => {}
                _ if set => others.push(action.clone()),
                _ => {}
            }
        }
    }
    out.set("triggers", on, "$wgCaptchaTriggers");
    if !others.is_empty() {
        out.comment(&format!(
            "$wgCaptchaTriggers {}: PHP's (edits, e-mail), not mwauth's",
            others.join(", ")
        ));
    }
    if let Some(n) = out.int("wgCaptchaBadLoginAttempts") {
        out.set("bad_login_attempts", n, "$wgCaptchaBadLoginAttempts");
    }
    if let Some(n) = out.int("wgCaptchaBadLoginPerUserAttempts") {
        out.set(
            "bad_login_per_user_attempts",
            n,
            "$wgCaptchaBadLoginPerUserAttempts",
        );
    }
    let ips = strings(out.get("wgCaptchaWhitelistIP"));
    out.set("whitelist_ip", ips, "$wgCaptchaWhitelistIP");
}

/// `$wgCaptchaQuestions`: `question => answer(s)`, or a list of `['question' => …,
/// 'answer' => …]`.
fn questions(out: &mut Toml) {
    let mut entries: Vec<(String, Value)> = Vec::new();
    match out.get("wgCaptchaQuestions") {
        Some(Value::Object(o)) if o.values().all(|v| !v.is_object()) => {
            entries.extend(o.iter().map(|(q, a)| (q.clone(), a.clone())));
        }
        Some(Value::Object(o)) => entries.extend(pairs(o.values())),
        Some(Value::Array(a)) => entries.extend(pairs(a.iter())),
        _ => {}
    }
    let inner: Vec<String> = entries
        .iter()
        .map(|(q, a)| {
            let answers = match a {
                Value::Array(_) | Value::Object(_) => toml::Value::from(strings(Some(a))),
                other => toml::Value::from(match other {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                }),
            };
            format!("{} = {}", quoted(q), toml_value(&answers))
        })
        .collect();
    out.line("# from $wgCaptchaQuestions");
    out.line(format!("questions = {{ {} }}", inner.join(", ")));
}

fn pairs<'v>(items: impl Iterator<Item = &'v Value>) -> Vec<(String, Value)> {
    items
        .filter_map(|e| Some((e["question"].as_str()?.to_string(), e["answer"].clone())))
        .collect()
}
