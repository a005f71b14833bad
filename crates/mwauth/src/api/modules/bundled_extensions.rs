//! What the bundled extensions (OATHAuth, ConfirmEdit) add to the answers of core modules:
//! their `$wgRateLimits` in `meta=userinfo`, and the static parts of `meta=siteinfo`. The recorded
//! `extensions`, `specialpagealiases` and `showhooks` (`data/siteinfo/`) are those of the
//! reference wiki with OATHAuth, ConfirmEdit and QuestyCaptcha loaded; a wiki without one of
//! them lists neither it, nor its special pages, nor its hook handlers. With all three taken
//! out they are exactly what the default wiki answers (checked when they were recorded).

use crate::api::result::{List, Value};
use crate::config::{CaptchaKind, Config};

/// The extensions a wiki with this configuration loads.
#[derive(Debug, Clone, Copy)]
pub struct Loaded {
    oath: bool,
    confirm_edit: bool,
    questy: bool,
}

impl Loaded {
    pub fn of(config: &Config) -> Loaded {
        Loaded {
            oath: config.oath.enabled,
            confirm_edit: config.captcha.kind != CaptchaKind::None,
            questy: config.captcha.kind == CaptchaKind::Questy,
        }
    }

    /// `extensions`: one entry per extension (QuestyCaptcha has its own extension.json).
    fn keeps_extension(self, name: &str) -> bool {
        match name {
            "OATHAuth" => self.oath,
            "ConfirmEdit" => self.confirm_edit,
            "QuestyCaptcha" => self.questy,
            _ => true,
        }
    }

    /// `specialpagealiases`: the special pages each extension.json registers.
    fn keeps_special_page(self, name: &str) -> bool {
        match name {
            "OATHManage" | "DisableOATHForUser" | "VerifyOATHForUser" => self.oath,
            "Captcha" => self.confirm_edit,
            _ => true,
        }
    }

    /// `showhooks`: a handler belongs to the extension whose namespace it is in.
    fn keeps_subscriber(self, handler: &str) -> bool {
        if handler.contains("\\Extension\\OATHAuth\\") {
            self.oath
        } else if handler.contains("\\Extension\\ConfirmEdit\\") {
            self.confirm_edit
        } else {
            true
        }
    }

    /// The extensions' `$wgRateLimits` that ApiQueryUserInfo::getRateLimits lists, after the
    /// core ones and in load order (OATHAuth's `badoath`, ConfirmEdit's `badcaptcha`): for an
    /// anonymous client the `ip` category, for a registered user `user` (OATHAuth's
    /// `user-global` and ConfirmEdit's `newbie` are not listed for an autoconfirmed user), as
    /// the reference wiki answers.
    pub fn rate_limits(
        self,
        anon: bool,
    ) -> impl Iterator<Item = (&'static str, &'static str, i64, i64)> {
        let oath = (self.oath && !anon).then_some(("badoath", "user", 10, 60));
        let captcha = self.confirm_edit.then_some(if anon {
            ("badcaptcha", "ip", 15, 60)
        } else {
            ("badcaptcha", "user", 30, 60)
        });
        oath.into_iter().chain(captcha)
    }

    pub fn extensions(self, mut list: List) -> List {
        list.items
            .retain(|item| self.keeps_extension(&text_of(item, "name")));
        list
    }

    pub fn special_page_aliases(self, value: Value) -> Value {
        match value {
            Value::List(mut list) => {
                list.items
                    .retain(|item| self.keeps_special_page(&text_of(item, "realname")));
                Value::List(list)
            }
            other => other,
        }
    }

    /// Hooks keep the handlers of loaded extensions; a hook left with none is not listed.
    pub fn show_hooks(self, value: Value) -> Value {
        let Value::List(mut list) = value else {
            return value;
        };
        list.items.retain_mut(|item| {
            let Value::Obj(hook) = item else {
                return true;
            };
            let Some(Value::List(subscribers)) = hook.get_mut("subscribers") else {
                return true;
            };
            subscribers.items.retain(|s| match s {
                Value::Str(handler) => self.keeps_subscriber(handler),
                _ => true,
            });
            !subscribers.items.is_empty()
        });
        Value::List(list)
    }
}

fn text_of(item: &Value, key: &str) -> String {
    match item {
        Value::Obj(o) => match o.get(key) {
            Some(Value::Str(s)) => s.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}
