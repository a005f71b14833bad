//! Groups and rights: 1.39's default `$wgGroupPermissions`, and `$wgGrantPermissions` for
//! what a bot-password session may use of its user's rights.

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

/// The bundled extensions switched on, whose extension.json adds rights to groups and grants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extensions {
    /// OATHAuth (`[oath] enabled`).
    pub oath: bool,
    /// ConfirmEdit (`[captcha] kind` other than `none`).
    pub captcha: bool,
}

impl Extensions {
    pub fn of(config: &crate::config::Config) -> Self {
        Extensions {
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

/// Merges extension tables into a default one as ExtensionRegistry does for
/// `$wgGroupPermissions` and `$wgGrantPermissions` (wfArrayPlus2d): an extension's rights
/// come after the group's own, a group or grant the defaults lack comes last.
fn merged(
    mut out: Vec<(&'static str, Vec<&'static str>)>,
    extra: impl Iterator<Item = &'static [(&'static str, &'static [&'static str])]>,
) -> Vec<(&'static str, Vec<&'static str>)> {
    for table in extra {
        for (g, rs) in table {
            let i = match out.iter().position(|(name, _)| name == g) {
                Some(i) => i,
                None => {
                    out.push((g, Vec::new()));
                    out.len() - 1
                }
            };
            for r in *rs {
                if !out[i].1.contains(r) {
                    out[i].1.push(r);
                }
            }
        }
    }
    out
}

/// `$wgGroupPermissions`: each group with its rights, in MediaWiki's order (siteinfo's
/// `usergroups`), with the rights of the extensions switched on.
pub fn group_permissions(ext: Extensions) -> Vec<(&'static str, Vec<&'static str>)> {
    merged(
        GROUP_PERMISSIONS
            .iter()
            .map(|(g, rs)| (*g, rs.to_vec()))
            .collect(),
        ext.tables().map(|t| t.groups),
    )
}

/// `$wgGrantPermissions` with the rights of the extensions switched on.
fn grant_permissions(ext: Extensions) -> Vec<(&'static str, Vec<&'static str>)> {
    merged(grants().collect(), ext.tables().map(|t| t.grants))
}

/// Groups a user may be put in with `mwauth user create --groups`.
pub fn is_known_group(group: &str) -> bool {
    GROUP_PERMISSIONS.iter().any(|(g, _)| *g == group)
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
pub fn rights(groups: &[String], grants: Option<&[String]>, ext: Extensions) -> Vec<String> {
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
            rights(&groups, Some(&grants), Extensions::default()),
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
        assert_eq!(rights(&groups, None, Extensions::default()).len(), 11);
    }

    #[test]
    fn explicit_groups_come_before_autoconfirmed() {
        let g = effective_groups(1, &["sysop".to_string(), "bureaucrat".to_string()]);
        assert_eq!(g, ["*", "user", "sysop", "bureaucrat", "autoconfirmed"]);
        assert!(rights(&g, None, Extensions::default()).contains(&"userrights".to_string()));
        assert!(!is_known_group("user"));
        assert!(is_known_group("sysop"));
    }

    #[test]
    fn extensions_append_their_rights_after_the_defaults() {
        let ext = Extensions {
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
        assert!(!rights(&g, None, Extensions::default()).contains(&"skipcaptcha".to_string()));
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
}
