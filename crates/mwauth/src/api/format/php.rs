//! ApiFormatPhp: PHP's serialize() of the result (formatversion 1 transformations unless
//! formatversion 2 is asked for).

use crate::api::result::{Obj, Value};

pub fn write(root: &Obj, formatversion: u8) -> String {
    let mut out = String::new();
    write_obj(&mut out, root, formatversion);
    out
}

fn write_obj(out: &mut String, o: &Obj, fv: u8) {
    let items = super::members(o, fv < 2);
    out.push_str(&format!("a:{}:{{", items.len()));
    for (k, v, keep) in items {
        write_key(out, k);
        match v {
            Value::Bool(b) if keep => out.push_str(if *b { "b:1;" } else { "b:0;" }),
            _ => write_value(out, v, fv),
        }
    }
    out.push('}');
}

/// PHP turns decimal-integer string keys into integer keys.
fn write_key(out: &mut String, k: &str) {
    let is_int = !k.is_empty()
        && (k == "0" || (!k.starts_with('0') && !k.starts_with("-0")))
        && k.strip_prefix('-')
            .unwrap_or(k)
            .bytes()
            .all(|b| b.is_ascii_digit())
        && k.parse::<i64>().is_ok();
    if is_int {
        out.push_str(&format!("i:{k};"));
    } else {
        write_str(out, k);
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push_str(&format!("s:{}:\"{}\";", s.len(), s));
}

fn write_value(out: &mut String, v: &Value, fv: u8) {
    match v {
        Value::Str(s) => write_str(out, s),
        Value::Int(n) => out.push_str(&format!("i:{n};")),
        Value::Float(n) => out.push_str(&format!("d:{};", crate::api::result::php_float_text(*n))),
        Value::Bool(b) if fv >= 2 => out.push_str(if *b { "b:1;" } else { "b:0;" }),
        Value::Bool(_) => write_str(out, ""),
        Value::Null => out.push_str("N;"),
        Value::Obj(o) => write_obj(out, o, fv),
        Value::List(l) => {
            out.push_str(&format!("a:{}:{{", l.items.len()));
            for (i, item) in l.items.iter().enumerate() {
                out.push_str(&format!("i:{i};"));
                write_value(out, item, fv);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_like_php() {
        let root = Obj::new().with("batchcomplete", true).with(
            "query",
            Obj::new().with("tokens", Obj::new().with("csrftoken", "+\\")),
        );
        assert_eq!(
            write(&root, 1),
            r#"a:2:{s:13:"batchcomplete";s:0:"";s:5:"query";a:1:{s:6:"tokens";a:1:{s:9:"csrftoken";s:2:"+\";}}}"#
        );
        assert_eq!(
            write(&Obj::new().with("é", 3i64).with("7", true), 2),
            r#"a:2:{s:2:"é";i:3;i:7;b:1;}"#
        );
    }

    #[test]
    fn bc_bools_stay_booleans_in_formatversion_1() {
        use crate::api::result::BcBools;
        let o = Obj::new()
            .bc_bools(BcBools::Keys(vec!["v".into()]))
            .with("v", false)
            .with("w", false)
            .with("t", true);
        assert_eq!(write(&o, 1), r#"a:2:{s:1:"v";b:0;s:1:"t";s:0:"";}"#);
        assert_eq!(
            write(&o, 2),
            r#"a:3:{s:1:"v";b:0;s:1:"w";b:0;s:1:"t";b:1;}"#
        );
    }
}
