//! Plural forms: `{{PLURAL:…}}` with explicit forms, and the CLDR rules that pick a form
//! for a number.

use super::catalogue::catalogue;
use super::language::Lang;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Every language's plural rules (plurals.xml overridden by plurals-mediawiki.xml), parsed
/// on first use.
fn compiled_rules() -> &'static HashMap<String, Vec<Condition>> {
    static RULES: OnceLock<HashMap<String, Vec<Condition>>> = OnceLock::new();
    RULES.get_or_init(|| {
        catalogue()
            .plural
            .iter()
            .map(|(code, rules)| {
                (
                    code.clone(),
                    rules.iter().map(|r| parse_condition(r)).collect(),
                )
            })
            .collect()
    })
}

impl Lang<'_> {
    /// Language::convertPlural (and LanguageKsh's).
    pub(super) fn convert_plural(&self, count: &str, forms: Vec<String>) -> String {
        let number = php_number(&self.parse_formatted_number(count));
        // handleExplicitPluralForms: "k=text" forms.
        let mut plain = Vec::new();
        for form in forms {
            if has_explicit_form(&form) {
                let (k, text) = form.split_once('=').unwrap_or((&form, ""));
                if k == number {
                    return text.to_string();
                }
            } else {
                plain.push(form);
            }
        }
        if plain.is_empty() {
            return String::new();
        }
        if self.chain().first() == Some(&"ksh") {
            // LanguageKsh: one, other, zero.
            while plain.len() < 3 {
                let last = plain[plain.len() - 1].clone();
                plain.push(last);
            }
            let value: f64 = number.parse().unwrap_or(f64::NAN);
            let i = if value == 1.0 {
                0
            } else if value == 0.0 {
                2
            } else {
                1
            };
            return plain.swap_remove(i);
        }
        let index = self.plural_index(&number);
        let i = index.min(plain.len() - 1);
        plain.swap_remove(i)
    }

    /// Language::getPluralRuleIndexNumber.
    pub fn plural_index(&self, number: &str) -> usize {
        // Language::getCompiledPluralRules: a language whose only form is "other" (an empty
        // rule list, e.g. ja) takes its fallbacks' rules, in the end English's.
        let rules = self
            .chain()
            .into_iter()
            .find_map(|c| compiled_rules().get(c).filter(|r| !r.is_empty()))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let Some(ops) = Operands::of(number) else {
            return rules.len();
        };
        rules
            .iter()
            .position(|r| r.eval(&ops))
            .unwrap_or(rules.len())
    }
}

/// `/\d+=/` anywhere in a plural form.
fn has_explicit_form(form: &str) -> bool {
    let b = form.as_bytes();
    (1..b.len()).any(|i| b[i] == b'=' && b[i - 1].is_ascii_digit())
}

/// CoreParserFunctions::plural's number: PHP's `settype($n, ctype_digit($n) ? 'int' :
/// 'float')`, then `strval`.
fn php_number(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        let t = s.trim_start_matches('0');
        return if t.is_empty() { "0".into() } else { t.into() };
    }
    // (float) takes the longest numeric prefix after leading whitespace, else 0.
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = t.as_bytes();
    let mut end = 0;
    if end < b.len() && (b[end] == b'-' || b[end] == b'+') {
        end += 1;
    }
    let digits_start = end;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    let mut int_digits = end - digits_start;
    if end < b.len() && b[end] == b'.' {
        let frac_start = end + 1;
        let mut e = frac_start;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        if e > frac_start || int_digits > 0 {
            int_digits += e - frac_start;
            end = e;
        }
    }
    if int_digits > 0 && end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut e = end + 1;
        if e < b.len() && (b[e] == b'-' || b[e] == b'+') {
            e += 1;
        }
        let exp_start = e;
        while e < b.len() && b[e].is_ascii_digit() {
            e += 1;
        }
        if e > exp_start {
            end = e;
        }
    }
    let value: f64 = if int_digits > 0 {
        t[..end].parse().unwrap_or(0.0)
    } else {
        0.0
    };
    if value.is_finite() && value == value.trunc() && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

// ---------------------------------------------------------------------------------------
// CLDR plural rules (CLDRPluralRuleParser\Evaluator)
// ---------------------------------------------------------------------------------------

/// The operands of a number: n (absolute value), i (integer digits), v (visible fraction
/// digits), w (the same without trailing zeros), f and t (the fraction digits as numbers).
struct Operands {
    n: f64,
    i: f64,
    v: f64,
    w: f64,
    f: f64,
    t: f64,
}

impl Operands {
    /// `^-?(([0-9]+)(?:\.([0-9]+))?)$`, else no operands (the "other" form).
    fn of(number: &str) -> Option<Operands> {
        let abs = number.strip_prefix('-').unwrap_or(number);
        let (int, frac) = match abs.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (abs, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        if !digits(int) || frac.is_some_and(|f| !digits(f)) {
            return None;
        }
        let num = |s: &str| s.parse::<f64>().unwrap_or(0.0);
        Some(match frac {
            None => Operands {
                n: num(int),
                i: num(int),
                v: 0.0,
                w: 0.0,
                f: 0.0,
                t: 0.0,
            },
            Some(f) => {
                let trimmed = f.trim_end_matches('0');
                Operands {
                    n: num(abs),
                    i: num(int),
                    v: f.len() as f64,
                    w: trimmed.len() as f64,
                    f: num(f),
                    t: if trimmed.is_empty() {
                        0.0
                    } else {
                        num(trimmed)
                    },
                }
            }
        })
    }

    fn get(&self, name: char) -> f64 {
        match name {
            'n' => self.n,
            'i' => self.i,
            'v' => self.v,
            'w' => self.w,
            'f' => self.f,
            't' => self.t,
            _ => 0.0,
        }
    }
}

/// One relation: `operand [mod m] (=|!=|in|not in|within|not within|is|is not) ranges`.
#[derive(Debug)]
struct Relation {
    operand: char,
    modulus: Option<f64>,
    negate: bool,
    /// `within` allows non-integers inside a range.
    within: bool,
    ranges: Vec<(f64, f64)>,
}

impl Relation {
    fn eval(&self, ops: &Operands) -> bool {
        let mut x = ops.get(self.operand);
        if let Some(m) = self.modulus {
            x %= m;
        }
        let hit = self.ranges.iter().any(|&(lo, hi)| {
            if lo == hi {
                x == lo
            } else {
                (self.within || x.floor() == x) && x >= lo && x <= hi
            }
        });
        hit != self.negate
    }
}

/// `or` of `and`s of relations; an empty condition never matches.
#[derive(Debug)]
struct Condition(Vec<Vec<Relation>>);

impl Condition {
    fn eval(&self, ops: &Operands) -> bool {
        self.0.iter().any(|and| and.iter().all(|r| r.eval(ops)))
    }
}

fn parse_condition(rule: &str) -> Condition {
    let ors = rule
        .split(" or ")
        .filter_map(|and| {
            and.split(" and ")
                .map(parse_relation)
                .collect::<Option<Vec<Relation>>>()
        })
        .filter(|and| !and.is_empty())
        .collect();
    Condition(ors)
}

fn parse_relation(text: &str) -> Option<Relation> {
    let tokens: Vec<&str> = text
        .split_whitespace()
        .flat_map(|t| {
            // "n%10=1" style without spaces: split around the operators.
            split_operators(t)
        })
        .collect();
    let mut it = tokens.into_iter().peekable();
    let operand = it.next()?.chars().next()?;
    let mut modulus = None;
    if matches!(it.peek(), Some(&"%") | Some(&"mod")) {
        it.next();
        modulus = Some(it.next()?.parse().ok()?);
    }
    let (negate, within) = match it.next()? {
        "=" | "in" => (false, false),
        "!=" => (true, false),
        "is" => {
            if it.peek() == Some(&"not") {
                it.next();
                (true, false)
            } else {
                (false, false)
            }
        }
        "not" => match it.next()? {
            "in" => (true, false),
            "within" => (true, true),
            _ => return None,
        },
        "within" => (false, true),
        _ => return None,
    };
    let list: String = it.collect();
    let mut ranges = Vec::new();
    for part in list.split(',') {
        let (lo, hi) = part.split_once("..").unwrap_or((part, part));
        ranges.push((lo.parse().ok()?, hi.parse().ok()?));
    }
    Some(Relation {
        operand,
        modulus,
        negate,
        within,
        ranges,
    })
}

fn split_operators(token: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = token.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let op_len = if b[i..].starts_with(b"!=") {
            2
        } else if b[i] == b'=' || b[i] == b'%' {
            1
        } else {
            0
        };
        if op_len > 0 {
            if start < i {
                out.push(&token[start..i]);
            }
            out.push(&token[i..i + op_len]);
            i += op_len;
            start = i;
        } else {
            i += 1;
        }
    }
    if start < b.len() {
        out.push(&token[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::test_support::lang;

    #[test]
    fn plural_rules() {
        let ru = lang("ru");
        let idx = |l: &Lang, n: &str| l.plural_index(n);
        assert_eq!(
            [1, 2, 5, 11, 21, 22, 25].map(|n| idx(&ru, &n.to_string())),
            [0, 1, 2, 2, 0, 1, 2]
        );
        assert_eq!(idx(&ru, "1.5"), 3);
        let ar = lang("ar");
        assert_eq!(
            [0, 1, 2, 3, 11, 100].map(|n| idx(&ar, &n.to_string())),
            [0, 1, 2, 3, 4, 5]
        );
        let en = lang("en");
        assert_eq!([idx(&en, "1"), idx(&en, "1.0"), idx(&en, "0")], [0, 1, 1]);
        assert_eq!(idx(&lang("fr"), "0"), 0);
        assert_eq!(idx(&lang("de-at"), "1"), 0);
        assert_eq!(
            ru.convert_plural("1", vec!["0=none".into(), "a".into(), "b".into()]),
            "a"
        );
        assert_eq!(
            ru.convert_plural("0", vec!["0=none".into(), "a".into(), "b".into()]),
            "none"
        );
        assert_eq!(php_number("007"), "7");
        assert_eq!(php_number("2.0"), "2");
        assert_eq!(php_number("abc"), "0");
        assert_eq!(php_number(" 3 apples"), "3");
    }
}
