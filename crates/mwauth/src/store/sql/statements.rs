//! The SQL user store's statements, written once for every dialect with numbered
//! placeholders (`?1`, `?2`, …; a number may recur) and turned into the database's own form
//! once, when the store is opened: SQLite takes them as they are, PostgreSQL as `$1`, and
//! MariaDB only understands `?` in the order of appearance, so for it the arguments are bound
//! in that order (see [`Stmt`]).

use super::{Arg, Dialect, Placeholders, Q};

/// One statement in the database's own form.
#[derive(Debug)]
pub(super) struct Stmt {
    sql: String,
    /// For [`Placeholders::InOrder`]: the argument (0-based) each `?` takes, in order.
    order: Option<Vec<usize>>,
}

impl Stmt {
    /// `sql` with `?N` placeholders, rewritten for `style`. There are no `?` in the
    /// statements' literals, so every `?` is a placeholder.
    pub(super) fn new(sql: &str, style: Placeholders) -> Stmt {
        if style == Placeholders::Numbered {
            return Stmt {
                sql: sql.to_string(),
                order: None,
            };
        }
        let mut out = String::with_capacity(sql.len());
        let mut order = Vec::new();
        let mut rest = sql;
        while let Some(at) = rest.find('?') {
            out.push_str(&rest[..at]);
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            let number = &rest[at + 1..at + 1 + digits];
            match style {
                Placeholders::Dollar => {
                    out.push('$');
                    out.push_str(number);
                }
                _ => {
                    out.push('?');
                    order.push(number.parse::<usize>().unwrap_or(1).saturating_sub(1));
                }
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_str(rest);
        Stmt {
            sql: out,
            order: (style == Placeholders::InOrder).then_some(order),
        }
    }

    pub(super) fn query<'q, D: Dialect>(&'q self, args: &[Arg<'q>]) -> Q<'q, D::DB> {
        let mut q = sqlx::query::<D::DB>(&self.sql);
        match &self.order {
            Some(order) => {
                for &i in order {
                    // An index past the arguments is a mistake in a statement above; binding
                    // NULL lets the database refuse it instead of this process panicking.
                    q = D::bind(q, args.get(i).copied().unwrap_or(Arg::OptText(None)));
                }
            }
            None => {
                for &a in args {
                    q = D::bind(q, a);
                }
            }
        }
        q
    }
}

/// The statements of one store, with its table names in.
#[derive(Debug)]
pub(super) struct Statements {
    /// The prefixed names of [`TABLES`] as they exist (the user table may be `mwuser`).
    pub(super) names: [String; 4],
    pub(super) user_by_name: Stmt,
    pub(super) user_by_id: Stmt,
    pub(super) all_users: Stmt,
    pub(super) count_users: Stmt,
    pub(super) groups_of: Stmt,
    pub(super) all_groups: Stmt,
    pub(super) insert_user: Stmt,
    pub(super) last_id: Stmt,
    pub(super) insert_actor: Stmt,
    pub(super) insert_group: Stmt,
    pub(super) set_password: Stmt,
    pub(super) set_password_and_token: Stmt,
    pub(super) set_user_token: Stmt,
    pub(super) bot_password: Stmt,
    pub(super) insert_bot_password: Stmt,
    pub(super) set_bot_password_hash: Stmt,
    pub(super) bot_passwords_of: Stmt,
    pub(super) delete_bot_password: Stmt,
    pub(super) update_bot_password: Stmt,
    pub(super) table_names: Stmt,
    /// OATHAuth's `oathauth_users` (its own DDL per dialect, see [`Dialect::OATH_TABLE`]).
    pub(super) create_oath_table: Stmt,
    pub(super) oath_user: Stmt,
    pub(super) insert_oath_user: Stmt,
    pub(super) delete_oath_user: Stmt,
    /// MediaWiki's `site_stats` (only read, where the wiki has it).
    pub(super) site_stats: Stmt,
}

impl Statements {
    /// `oath_table`, `site_stats`: the prefixed names of `oathauth_users` and `site_stats`.
    pub(super) fn new<D: Dialect>(
        names: [String; 4],
        oath_table: &str,
        site_stats: &str,
    ) -> Statements {
        let [user, groups, actor, bp] = names.each_ref().map(|n| D::quote(n));
        let oath = D::quote(oath_table);
        let site_stats = D::quote(site_stats);
        let s = |sql: String| Stmt::new(&sql, D::PLACEHOLDERS);
        let user_columns = format!(
            "user_id, user_name, user_password, user_token, {}, user_editcount",
            D::REGISTRATION
        );
        let bp_columns = "bp_user, bp_app_id, bp_password, bp_token, bp_restrictions, bp_grants";
        let live_group = format!("(ug_expiry IS NULL OR {})", D::after("ug_expiry", "?T"));
        let bp_key = |user: &str, app: &str| {
            format!("bp_user = {user} AND {}", D::text_eq("bp_app_id", app))
        };
        Statements {
            user_by_name: s(format!(
                "SELECT {user_columns} FROM {user} WHERE {}",
                D::text_eq("user_name", "?1")
            )),
            user_by_id: s(format!(
                "SELECT {user_columns} FROM {user} WHERE user_id = ?1"
            )),
            all_users: s(format!(
                "SELECT {user_columns} FROM {user} ORDER BY user_id"
            )),
            count_users: s(format!("SELECT COUNT(*) FROM {user}")),
            groups_of: s(format!(
                "SELECT ug_group FROM {groups} WHERE ug_user = ?1 AND {}",
                live_group.replace("?T", "?2")
            )),
            all_groups: s(format!(
                "SELECT ug_user, ug_group FROM {groups} WHERE {}",
                live_group.replace("?T", "?1")
            )),
            insert_user: s(format!(
                "INSERT INTO {user} (user_name, user_real_name, user_password, user_newpassword, \
                 user_email, user_touched, user_token, user_registration, user_editcount) \
                 VALUES (?1, '', ?2, '', '', {t}, ?4, {t}, 0)",
                t = D::time("?3")
            )),
            last_id: s(D::LAST_ID.to_string()),
            insert_actor: s(D::insert_ignore(&format!(
                "{actor} (actor_user, actor_name) VALUES (?1, ?2)"
            ))),
            insert_group: s(D::insert_ignore(&format!(
                "{groups} (ug_user, ug_group, ug_expiry) VALUES (?1, ?2, NULL)"
            ))),
            set_password: s(format!(
                "UPDATE {user} SET user_password = ?1, user_touched = {} WHERE user_id = ?3",
                D::time("?2")
            )),
            set_password_and_token: s(format!(
                "UPDATE {user} SET user_password = ?1, user_touched = {}, user_token = ?4 \
                 WHERE user_id = ?3",
                D::time("?2")
            )),
            set_user_token: s(format!(
                "UPDATE {user} SET user_token = ?1 WHERE user_id = ?2"
            )),
            bot_password: s(format!(
                "SELECT {bp_columns} FROM {bp} WHERE {}",
                bp_key("?1", "?2")
            )),
            insert_bot_password: s(format!(
                "INSERT INTO {bp} ({bp_columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            )),
            set_bot_password_hash: s(format!(
                "UPDATE {bp} SET bp_password = ?1 WHERE {}",
                bp_key("?2", "?3")
            )),
            bot_passwords_of: s(format!("SELECT {bp_columns} FROM {bp} WHERE bp_user = ?1")),
            delete_bot_password: s(format!("DELETE FROM {bp} WHERE {}", bp_key("?1", "?2"))),
            update_bot_password: s(format!(
                "UPDATE {bp} SET bp_grants = ?1, bp_restrictions = ?2, bp_token = ?3, \
                 bp_password = COALESCE(?4, bp_password) WHERE {}",
                bp_key("?5", "?6")
            )),
            table_names: s(D::TABLE_NAMES.to_string()),
            create_oath_table: s(D::OATH_TABLE.replace("{table}", &oath)),
            oath_user: s(format!("SELECT module, data FROM {oath} WHERE id = ?1")),
            insert_oath_user: s(format!(
                "INSERT INTO {oath} (id, module, data) VALUES (?1, ?2, ?3)"
            )),
            delete_oath_user: s(format!("DELETE FROM {oath} WHERE id = ?1")),
            site_stats: s(format!(
                "SELECT ss_total_edits, ss_good_articles, ss_total_pages, ss_users, \
                 ss_active_users, ss_images FROM {site_stats}"
            )),
            names,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_for_each_database() {
        let sql = "UPDATE t SET a = ?2, b = f(?1) WHERE c = ?10 OR d = ?1";
        let numbered = Stmt::new(sql, Placeholders::Numbered);
        assert_eq!((numbered.sql.as_str(), numbered.order), (sql, None));
        let dollar = Stmt::new(sql, Placeholders::Dollar);
        assert_eq!(
            (dollar.sql.as_str(), dollar.order),
            (
                "UPDATE t SET a = $2, b = f($1) WHERE c = $10 OR d = $1",
                None
            )
        );
        // MariaDB: plain `?`, the arguments bound in the order they appear, repeats included.
        let in_order = Stmt::new(sql, Placeholders::InOrder);
        assert_eq!(
            in_order.sql,
            "UPDATE t SET a = ?, b = f(?) WHERE c = ? OR d = ?"
        );
        assert_eq!(in_order.order, Some(vec![1, 0, 9, 0]));
    }
}
