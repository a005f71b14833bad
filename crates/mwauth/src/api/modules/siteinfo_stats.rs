//! siteinfo's `statistics` and the `number`s of `usergroups` (SiteStats): see
//! [`super::siteinfo`].

use crate::api::context::Context;
use crate::api::result::Obj;
use crate::store::SiteStatsRow;

/// SiteStats: what `Config::site_stats` sets, else the wiki's `site_stats` row when the user
/// database has one (a wiki's own), else a fresh wiki's numbers with the accounts counted.
pub struct Stats {
    pub users: i64,
    /// Members per explicit group.
    pub groups: Vec<(String, i64)>,
    admins: Option<i64>,
    /// pages, articles, edits, images, activeusers, jobs.
    counters: [i64; 6],
}

impl Stats {
    pub async fn count(ctx: &Context<'_>) -> Stats {
        let c = &ctx.services.config.site_stats;
        let users = &ctx.services.users;
        let accounts = users.list_users().await.unwrap_or_default();
        let mut groups: Vec<(String, i64)> = Vec::new();
        for u in &accounts {
            let mut mine = u.groups.clone();
            mine.sort();
            mine.dedup();
            for g in mine {
                match groups.iter_mut().find(|(name, _)| *name == g) {
                    Some(slot) => slot.1 += 1,
                    None => groups.push((g, 1)),
                }
            }
        }
        let row = users.site_stats().await.ok().flatten();
        // A wiki's row, or what a fresh wiki's would hold (its Main Page, made by one edit).
        let wiki = row.unwrap_or(SiteStatsRow {
            pages: 1,
            edits: 1,
            users: accounts.len() as i64,
            ..SiteStatsRow::default()
        });
        Stats {
            users: c.users.unwrap_or(wiki.users),
            groups,
            admins: c.admins,
            counters: [
                c.pages.unwrap_or(wiki.pages),
                c.articles.unwrap_or(wiki.articles),
                c.edits.unwrap_or(wiki.edits),
                c.images.unwrap_or(wiki.images),
                c.activeusers.unwrap_or(wiki.active_users),
                c.jobs.unwrap_or(0),
            ],
        }
    }

    /// SiteStats::numberingroup.
    pub fn in_group(&self, group: &str) -> i64 {
        if group == "sysop" {
            if let Some(n) = self.admins {
                return n;
            }
        }
        self.groups
            .iter()
            .find(|(g, _)| g == group)
            .map_or(0, |(_, n)| *n)
    }

    pub(super) fn obj(&self) -> Obj {
        let [pages, articles, edits, images, activeusers, jobs] = self.counters;
        Obj::new()
            .with("pages", pages)
            .with("articles", articles)
            .with("edits", edits)
            .with("images", images)
            .with("users", self.users)
            .with("activeusers", activeusers)
            .with("admins", self.in_group("sysop"))
            .with("jobs", jobs)
    }
}
