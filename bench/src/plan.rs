//! What a run is made of, as the scenarios, the virtual users and the process set-up all
//! see it: the scenarios, the accounts they log in as, and the budgets the virtual users of a
//! timed phase share.

use crate::stats::Counters;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// The bare hyper server's fixed token answer.
    Baseline,
    TokensAnon,
    TokensSession,
    UserinfoSession,
    Login,
    Logout,
    Cycle,
    Mixed,
    /// `tokens-session` at a fixed pace while other connections flood `action=login`.
    Flood,
}

impl Scenario {
    /// Whether the run brackets this scenario with baseline measurements: the ones whose
    /// rate is the server's own work (the others wait on password hashing).
    pub fn compared_with_baseline(self) -> bool {
        matches!(
            self,
            Scenario::TokensAnon
                | Scenario::TokensSession
                | Scenario::UserinfoSession
                | Scenario::Logout
        )
    }

    /// Every scenario that runs against an api.php, in report order.
    pub const API: [Scenario; 8] = [
        Scenario::TokensAnon,
        Scenario::TokensSession,
        Scenario::UserinfoSession,
        Scenario::Login,
        Scenario::Logout,
        Scenario::Cycle,
        Scenario::Mixed,
        Scenario::Flood,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Baseline => "baseline",
            Scenario::TokensAnon => "tokens-anon",
            Scenario::TokensSession => "tokens-session",
            Scenario::UserinfoSession => "userinfo-session",
            Scenario::Login => "login",
            Scenario::Logout => "logout",
            Scenario::Cycle => "cycle",
            Scenario::Mixed => "mixed",
            Scenario::Flood => "flood",
        }
    }

    pub fn parse(name: &str) -> Option<Scenario> {
        Scenario::API
            .iter()
            .chain([Scenario::Baseline].iter())
            .copied()
            .find(|s| s.name() == name)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Scenario::Baseline => "bare hyper handler, fixed token JSON",
            Scenario::TokensAnon => "GET meta=tokens, no cookies",
            Scenario::TokensSession => "GET meta=tokens, bot-password session",
            Scenario::UserinfoSession => "GET meta=userinfo, bot-password session",
            Scenario::Login => "POST action=login, bot password (login token reused)",
            Scenario::Logout => "POST action=logout + csrf, sessions made before the clock",
            Scenario::Cycle => "login token, bot login, csrf token, POST logout",
            Scenario::Mixed => "90% tokens-session, 9% cycle, 1% failed login (of operations)",
            Scenario::Flood => "tokens-session at a fixed pace during a login flood",
        }
    }
}

/// The accounts the scenarios use (the reference wiki's, by default).
#[derive(Debug, Clone)]
pub struct Accounts {
    pub user: String,
    pub password: String,
    pub bot_user: String,
    pub bot_password: String,
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts {
            user: "Alice".into(),
            password: "Alice-pass-12345".into(),
            bot_user: "Alice@testbot".into(),
            bot_password: "alicebotpasswordalicebotpass0001".into(),
        }
    }
}

/// What every virtual user of a timed phase shares: the budgets and the live counters.
pub struct Shared {
    limit: u64,
    issued: AtomicU64,
    deadline: Instant,
    pub counters: Counters,
}

impl Shared {
    pub fn new(limit: u64, seconds: f64) -> Shared {
        Shared {
            limit,
            issued: AtomicU64::new(0),
            deadline: Instant::now() + Duration::from_secs_f64(seconds),
            counters: Counters::default(),
        }
    }

    /// Reserves `n` requests of the budget; false once either budget is spent.
    pub fn take(&self, n: u64) -> bool {
        Instant::now() < self.deadline && self.issued.fetch_add(n, Ordering::Relaxed) < self.limit
    }
}
