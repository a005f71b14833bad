//! Groups and rights: 1.39's default `$wgGroupPermissions`, and `$wgGrantPermissions` for
//! what a bot-password session may use of its user's rights.

use crate::config::GroupRights;

/// `$wgGroupPermissions` defaults, in MediaWiki's order (the order userinfo lists rights in).
const GROUP_PERMISSIONS: &[(&str, &[&str])] = &[
    (
        "*",
        &[
            "createaccount",
            "read",
            "edit",
            "createpage",
            "createtalk",
            "writeapi",
            "viewmywatchlist",
            "editmywatchlist",
            "viewmyprivateinfo",
            "editmyprivateinfo",
            "editmyoptions",
        ],
    ),
    (
        "user",
        &[
            "move",
            "move-subpages",
            "move-rootuserpages",
            "move-categorypages",
            "movefile",
            "read",
            "edit",
            "createpage",
            "createtalk",
            "writeapi",
            "upload",
            "reupload",
            "reupload-shared",
            "minoredit",
            "editmyusercss",
            "editmyuserjson",
            "editmyuserjs",
            "editmyuserjsredirect",
            "purge",
            "sendemail",
            "applychangetags",
            "changetags",
            "editcontentmodel",
        ],
    ),
    ("autoconfirmed", &["autoconfirmed", "editsemiprotected"]),
    (
        "bot",
        &[
            "bot",
            "autoconfirmed",
            "editsemiprotected",
            "nominornewtalk",
            "autopatrol",
            "suppressredirect",
            "apihighlimits",
            "writeapi",
        ],
    ),
    (
        "sysop",
        &[
            "block",
            "createaccount",
            "delete",
            "bigdelete",
            "deletedhistory",
            "deletedtext",
            "undelete",
            "editinterface",
            "editsitejson",
            "edituserjson",
            "import",
            "importupload",
            "move",
            "move-subpages",
            "move-rootuserpages",
            "move-categorypages",
            "patrol",
            "autopatrol",
            "protect",
            "editprotected",
            "rollback",
            "upload",
            "reupload",
            "reupload-shared",
            "unwatchedpages",
            "autoconfirmed",
            "editsemiprotected",
            "ipblock-exempt",
            "blockemail",
            "markbotedits",
            "apihighlimits",
            "browsearchive",
            "noratelimit",
            "movefile",
            "unblockself",
            "suppressredirect",
            "mergehistory",
            "managechangetags",
            "deletechangetags",
        ],
    ),
    (
        "interface-admin",
        &[
            "editinterface",
            "editsitecss",
            "editsitejson",
            "editsitejs",
            "editusercss",
            "edituserjson",
            "edituserjs",
        ],
    ),
    ("bureaucrat", &["userrights", "noratelimit"]),
    (
        "suppress",
        &[
            "hideuser",
            "suppressrevision",
            "viewsuppressed",
            "suppressionlog",
            "deleterevision",
            "deletelogentry",
        ],
    ),
];

/// The rights of `editpage`, which several grants extend (DefaultSettings.php builds them
/// from it).
const EDIT_PAGE: &[&str] = &[
    "edit",
    "minoredit",
    "applychangetags",
    "changetags",
    "editcontentmodel",
];

/// What `editinterface` adds to `editpage`, and `editsiteconfig` extends in turn.
const EDIT_INTERFACE: &[&str] = &["editinterface", "edituserjson", "editsitejson"];

/// `$wgGrantPermissions` defaults: each grant's rights, as the lists they join, in order.
const GRANT_PERMISSIONS: &[(&str, &[&[&str]])] = &[
    (
        "basic",
        &[&[
            "autocreateaccount",
            "autoconfirmed",
            "autopatrol",
            "editsemiprotected",
            "ipblock-exempt",
            "nominornewtalk",
            "patrolmarks",
            "purge",
            "read",
            "writeapi",
            "unwatchedpages",
        ]],
    ),
    (
        "highvolume",
        &[&["bot", "apihighlimits", "noratelimit", "markbotedits"]],
    ),
    ("import", &[&["import", "importupload"]]),
    ("editpage", &[EDIT_PAGE]),
    ("editprotected", &[EDIT_PAGE, &["editprotected"]]),
    (
        "editmycssjs",
        &[
            EDIT_PAGE,
            &["editmyusercss", "editmyuserjson", "editmyuserjs"],
        ],
    ),
    ("editmyoptions", &[&["editmyoptions", "editmyuserjson"]]),
    ("editinterface", &[EDIT_PAGE, EDIT_INTERFACE]),
    (
        "editsiteconfig",
        &[
            EDIT_PAGE,
            EDIT_INTERFACE,
            &["editusercss", "edituserjs", "editsitecss", "editsitejs"],
        ],
    ),
    (
        "createeditmovepage",
        &[
            EDIT_PAGE,
            &[
                "createpage",
                "createtalk",
                "delete-redirect",
                "move",
                "move-rootuserpages",
                "move-subpages",
                "move-categorypages",
                "suppressredirect",
            ],
        ],
    ),
    ("uploadfile", &[&["upload", "reupload-own"]]),
    (
        "uploadeditmovefile",
        &[&[
            "upload",
            "reupload-own",
            "reupload",
            "reupload-shared",
            "upload_by_url",
            "movefile",
            "suppressredirect",
        ]],
    ),
    ("patrol", &[&["patrol"]]),
    ("rollback", &[&["rollback"]]),
    ("blockusers", &[&["block", "blockemail"]]),
    (
        "viewdeleted",
        &[&["browsearchive", "deletedhistory", "deletedtext"]],
    ),
    ("viewrestrictedlogs", &[&["suppressionlog"]]),
    (
        "delete",
        &[
            EDIT_PAGE,
            &[
                "browsearchive",
                "deletedhistory",
                "deletedtext",
                "delete",
                "bigdelete",
                "deletelogentry",
                "deleterevision",
                "undelete",
            ],
        ],
    ),
    ("oversight", &[&["suppressrevision", "viewsuppressed"]]),
    ("protect", &[EDIT_PAGE, &["editprotected", "protect"]]),
    ("viewmywatchlist", &[&["viewmywatchlist"]]),
    ("editmywatchlist", &[&["editmywatchlist"]]),
    ("sendemail", &[&["sendemail"]]),
    ("createaccount", &[&["createaccount"]]),
    ("privateinfo", &[&["viewmyprivateinfo"]]),
    ("mergehistory", &[&["mergehistory"]]),
];

/// Where rights come from beyond 1.39's defaults: the wiki's own `$wgGroupPermissions`
/// changes (`[wiki.group_permissions]`) and the bundled extensions switched on, whose
/// extension.json adds rights to groups and grants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RightsConfig<'c> {
    /// LocalSettings.php's changes, in its order.
    pub local: &'c [GroupRights],
    /// `allow_account_creation = false`: `$wgGroupPermissions['*']['createaccount'] = false`.
    pub no_account_creation: bool,
    /// OATHAuth (`[oath] enabled`).
    pub oath: bool,
    /// ConfirmEdit (`[captcha] kind` other than `none`).
    pub captcha: bool,
}

impl<'c> RightsConfig<'c> {
    pub fn of(config: &'c crate::config::Config) -> Self {
        RightsConfig {
            local: &config.group_permissions,
            no_account_creation: !config.allow_account_creation,
            oath: config.oath.enabled,
            captcha: config.captcha.kind != crate::config::CaptchaKind::None,
        }
    }

    /// The extensions' additions, in load order (OATHAuth, then ConfirmEdit, as the reference
    /// wiki's LocalSettings loads them).
    fn tables(self) -> impl Iterator<Item = &'static ExtensionRights> {
        [(self.oath, &OATHAUTH), (self.captcha, &CONFIRMEDIT)]
            .into_iter()
            .filter_map(|(on, t)| on.then_some(t))
    }
}

/// One extension's `GroupPermissions` (granted ones only) and `GrantPermissions`.
struct ExtensionRights {
    groups: &'static [(&'static str, &'static [&'static str])],
    grants: &'static [(&'static str, &'static [&'static str])],
}

/// OATHAuth 0.5.0's extension.json.
const OATHAUTH: ExtensionRights = ExtensionRights {
    groups: &[
        ("user", &["oathauth-enable"]),
        (
            "sysop",
            &[
                "oathauth-disable-for-user",
                "oathauth-verify-user",
                "oathauth-view-log",
            ],
        ),
    ],
    grants: &[("oath", &["oathauth-api-all", "oathauth-verify-user"])],
};

/// ConfirmEdit 1.6.0's extension.json.
const CONFIRMEDIT: ExtensionRights = ExtensionRights {
    groups: &[("bot", &["skipcaptcha"]), ("sysop", &["skipcaptcha"])],
    grants: &[("basic", &["skipcaptcha"])],
};

/// A permissions array as MediaWiki keeps it: each group (or grant) with its rights, in
/// order, each right granted (true) or not (false: the key is there, the right is not).
type Table<'c> = Vec<(&'c str, Vec<(&'c str, bool)>)>;

/// All granted: a table as the defaults write it.
fn table_of<'c>(rows: impl Iterator<Item = (&'c str, Vec<&'c str>)>) -> Table<'c> {
    rows.map(|(g, rs)| (g, rs.into_iter().map(|r| (r, true)).collect()))
        .collect()
}

/// The rights of `name`, a new entry at the end when the table has none.
fn entry<'t, 'c>(table: &'t mut Table<'c>, name: &'c str) -> &'t mut Vec<(&'c str, bool)> {
    let i = match table.iter().position(|(g, _)| *g == name) {
        Some(i) => i,
        None => {
            table.push((name, Vec::new()));
            table.len() - 1
        }
    };
    &mut table[i].1
}

/// Merges extension tables in as ExtensionRegistry does for `$wgGroupPermissions` and
/// `$wgGrantPermissions` (wfArrayPlus2d): only keys the array lacks are added, an
/// extension's rights after the group's own, a group or grant it lacks last; a key the wiki
/// set to false stays false.
fn plus_2d(
    table: &mut Table<'_>,
    extra: impl Iterator<Item = &'static [(&'static str, &'static [&'static str])]>,
) {
    for ext in extra {
        for (g, rs) in ext {
            let rights = entry(table, g);
            for r in *rs {
                if !rights.iter().any(|(have, _)| have == r) {
                    rights.push((r, true));
                }
            }
        }
    }
}

/// Each group or grant with the rights it grants.
fn granted(table: Table<'_>) -> Vec<(&str, Vec<&str>)> {
    table
        .into_iter()
        .map(|(g, rs)| {
            (
                g,
                rs.into_iter()
                    .filter(|(_, on)| *on)
                    .map(|(r, _)| r)
                    .collect(),
            )
        })
        .collect()
}

/// `$wgGroupPermissions`: each group with its rights, in MediaWiki's order (siteinfo's
/// `usergroups`). The defaults, then LocalSettings.php's assignments (a right set to true
/// joins the end of its group, unless the group has it; false keeps the key but grants
/// nothing), then the extensions' ([`plus_2d`]), so a right LocalSettings took away stays
/// away. A group whose rights are all false is still listed, with none.
pub fn group_permissions<'c>(cfg: RightsConfig<'c>) -> Vec<(&'c str, Vec<&'c str>)> {
    let mut table = table_of(GROUP_PERMISSIONS.iter().map(|(g, rs)| (*g, rs.to_vec())));
    for local in cfg.local {
        let rights = entry(&mut table, &local.group);
        for (right, on) in &local.rights {
            match rights.iter_mut().find(|(r, _)| r == right) {
                Some(e) => e.1 = *on,
                None => rights.push((right, *on)),
            }
        }
    }
    if cfg.no_account_creation {
        for (right, on) in entry(&mut table, "*") {
            if *right == "createaccount" {
                *on = false;
            }
        }
    }
    plus_2d(&mut table, cfg.tables().map(|t| t.groups));
    granted(table)
}

/// `$wgGrantPermissions` with the rights of the extensions switched on.
fn grant_permissions(ext: RightsConfig) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut table = table_of(grants());
    plus_2d(&mut table, ext.tables().map(|t| t.grants));
    granted(table)
}

/// Groups a user may be put in with `mwauth user create --groups`: those of
/// `$wgGroupPermissions` but the implicit ones.
pub fn is_known_group(group: &str, cfg: RightsConfig) -> bool {
    group_permissions(cfg).iter().any(|(g, _)| *g == group)
        && !matches!(group, "*" | "user" | "autoconfirmed")
}

pub fn is_known_grant(grant: &str) -> bool {
    GRANT_PERMISSIONS.iter().any(|(g, _)| *g == grant)
}

/// GrantsInfo::getValidGrants with each grant's rights (getRightsByGrant), in
/// `$wgGrantPermissions` order: what Special:BotPasswords offers.
pub fn grants() -> impl Iterator<Item = (&'static str, Vec<&'static str>)> {
    GRANT_PERMISSIONS
        .iter()
        .map(|(g, lists)| (*g, lists.concat()))
}

/// GrantsInfo::getHiddenGrants (`$wgGrantPermissionGroups` "hidden"): grants every bot
/// password has, which Special:BotPasswords shows ticked and does not let one untick.
pub const HIDDEN_GRANTS: &[&str] = &["basic"];

/// UserGroupManager::getUserEffectiveGroups: `*`, then for a registered user `user`, the
/// explicit groups and the automatic `autoconfirmed` ($wgAutoConfirmAge and
/// $wgAutoConfirmCount are 0 by default, so every account qualifies).
pub fn effective_groups(user_id: u32, explicit: &[String]) -> Vec<String> {
    let mut groups = vec!["*".to_string()];
    if user_id != 0 {
        groups.push("user".into());
        for g in explicit {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        if !groups.iter().any(|g| g == "autoconfirmed") {
            groups.push("autoconfirmed".into());
        }
    }
    groups
}

/// The rights of a set of groups, first occurrence first. A bot-password session only keeps
/// the rights its grants allow (`grants = Some(..)`).
pub fn rights(groups: &[String], grants: Option<&[String]>, ext: RightsConfig) -> Vec<String> {
    let table = group_permissions(ext);
    let mut out: Vec<String> = Vec::new();
    for g in groups {
        if let Some((_, rs)) = table.iter().find(|(name, _)| name == g) {
            for r in rs {
                if !out.iter().any(|x| x == r) {
                    out.push((*r).to_string());
                }
            }
        }
    }
    if let Some(grants) = grants {
        let table = grant_permissions(ext);
        out.retain(|r| {
            grants.iter().any(|grant| {
                table
                    .iter()
                    .any(|(name, rs)| name == grant && rs.contains(&r.as_str()))
            })
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_grants_list_the_rights_of_what_they_extend_first() {
        let rights = |grant: &str| grants().find(|(g, _)| *g == grant).map(|(_, r)| r);
        assert_eq!(
            rights("editsiteconfig").unwrap(),
            [
                "edit",
                "minoredit",
                "applychangetags",
                "changetags",
                "editcontentmodel",
                "editinterface",
                "edituserjson",
                "editsitejson",
                "editusercss",
                "edituserjs",
                "editsitecss",
                "editsitejs",
            ]
        );
        assert_eq!(
            rights("protect").unwrap()[4..],
            ["editcontentmodel", "editprotected", "protect"]
        );
        assert_eq!(grants().count(), 26);
    }

    #[test]
    fn bot_password_with_basic_and_highvolume_sees_what_mediawiki_shows() {
        let groups = effective_groups(3, &[]);
        assert_eq!(groups, ["*", "user", "autoconfirmed"]);
        let grants = vec!["basic".to_string(), "highvolume".to_string()];
        assert_eq!(
            rights(&groups, Some(&grants), RightsConfig::default()),
            [
                "read",
                "writeapi",
                "purge",
                "autoconfirmed",
                "editsemiprotected"
            ]
        );
    }

    #[test]
    fn anonymous_has_only_star_rights() {
        let groups = effective_groups(0, &["sysop".to_string()]);
        assert_eq!(groups, ["*"]);
        assert_eq!(rights(&groups, None, RightsConfig::default()).len(), 11);
    }

    #[test]
    fn explicit_groups_come_before_autoconfirmed() {
        let g = effective_groups(1, &["sysop".to_string(), "bureaucrat".to_string()]);
        assert_eq!(g, ["*", "user", "sysop", "bureaucrat", "autoconfirmed"]);
        assert!(rights(&g, None, RightsConfig::default()).contains(&"userrights".to_string()));
        assert!(!is_known_group("user", RightsConfig::default()));
        assert!(is_known_group("sysop", RightsConfig::default()));
    }

    #[test]
    fn extensions_append_their_rights_after_the_defaults() {
        let ext = RightsConfig {
            local: &[],
            no_account_creation: false,
            oath: true,
            captcha: true,
        };
        let g = effective_groups(1, &["sysop".to_string()]);
        let r = rights(&g, None, ext);
        let tail: Vec<&str> = r.iter().rev().take(5).rev().map(String::as_str).collect();
        assert_eq!(
            tail,
            [
                "deletechangetags",
                "oathauth-disable-for-user",
                "oathauth-verify-user",
                "oathauth-view-log",
                "skipcaptcha"
            ]
        );
        assert!(!rights(&g, None, RightsConfig::default()).contains(&"skipcaptcha".to_string()));
        // The basic grant lets a bot password skip captchas; no default grant gives OATH rights.
        let basic = vec!["basic".to_string()];
        let bot = rights(
            &effective_groups(3, &["bot".to_string()]),
            Some(&basic),
            ext,
        );
        assert!(bot.contains(&"skipcaptcha".to_string()));
        assert_eq!(group_permissions(ext).len(), GROUP_PERMISSIONS.len());
    }

    /// LocalSettings.php's `$wgGroupPermissions` lines beside OATHAuth and ConfirmEdit, and
    /// what the reference wiki then lists in siteinfo's usergroups (recorded in the fixture):
    /// a right set true joins the end of its group before the extensions' rights, false takes
    /// a default or an extension's right away for good, new groups come last, a group with no
    /// right granted is still listed.
    #[test]
    fn local_settings_change_groups_as_mediawiki_does() {
        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/group-permissions-localsettings.json"
        ))
        .unwrap();
        let mut local: Vec<GroupRights> = Vec::new();
        for line in fixture["localsettings"].as_array().unwrap() {
            // $wgGroupPermissions['GROUP']['RIGHT'] = true;
            let parts: Vec<&str> = line.as_str().unwrap().split('\'').collect();
            let (group, right, on) = (parts[1], parts[3], parts[4].contains("true"));
            match local.iter_mut().find(|g| g.group == group) {
                Some(g) => g.rights.push((right.to_string(), on)),
                None => local.push(GroupRights {
                    group: group.to_string(),
                    rights: vec![(right.to_string(), on)],
                }),
            }
        }
        let cfg = RightsConfig {
            local: &local,
            no_account_creation: false,
            oath: true,
            captcha: true,
        };
        let ours: Vec<(String, Vec<String>)> = group_permissions(cfg)
            .into_iter()
            .map(|(g, rs)| (g.to_string(), rs.iter().map(|r| r.to_string()).collect()))
            .collect();
        let theirs: Vec<(String, Vec<String>)> = fixture["usergroups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let rights = g["rights"].as_array().unwrap();
                let rights = rights.iter().map(|r| r.as_str().unwrap().to_string());
                (g["name"].as_str().unwrap().to_string(), rights.collect())
            })
            .collect();
        assert_eq!(ours, theirs);
        assert!(is_known_group("newgroup", cfg));
        // allow_account_creation = false says the same as the line for '*' createaccount.
        let star = |cfg| group_permissions(cfg)[0].1.contains(&"createaccount");
        assert!(star(RightsConfig::default()));
        assert!(!star(RightsConfig {
            no_account_creation: true,
            ..RightsConfig::default()
        }));
        assert!(!is_known_group("newgroup", RightsConfig::default()));
    }
}
