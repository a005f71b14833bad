//! Writing: PHP's `serialize()`, with floats as PHP 8 writes them.

use super::{Key, PathStep, Value};
use std::collections::HashMap;

/// PHP's `serialize()` of a tree.
pub fn serialize(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    serialize_into(value, &mut out);
    out
}

/// [`serialize`], appending to `out`.
pub fn serialize_into(value: &Value, out: &mut Vec<u8>) {
    let mut w = Writer {
        out,
        slot: 0,
        targets: None,
        path: Vec::new(),
    };
    if contains_reference(value) {
        w.targets = Some(HashMap::new());
        collect_targets(value, w.targets.as_mut().expect("just set"));
    }
    w.value(value);
}

/// A double as PHP 8 writes it with `serialize_precision = -1` (php_gcvt, mode 0): the
/// shortest digits that read back to the same double; plain notation while the decimal
/// exponent is within -4..=16, else `d.dddE±x`; `NAN`, `INF`, `-INF`.
pub fn float_text(value: f64) -> String {
    if value.is_nan() {
        return "NAN".into();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-INF" } else { "INF" }.into();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: "d.ddde-x".
    let sci = format!("{:e}", value.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    // php_gcvt's `decpt`: the value is 0.DIGITS × 10^decpt.
    let decpt = exp + 1;
    let mut out = String::with_capacity(24);
    if value.is_sign_negative() {
        out.push('-');
    }
    if if decpt < 0 { decpt < -3 } else { decpt > 17 } {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        out.push('.');
        out.push_str(if rest.is_empty() { "0" } else { rest });
        out.push('E');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&exp.abs().to_string());
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in decpt..0 {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let decpt = decpt as usize;
        if digits.len() <= decpt {
            out.push_str(&digits);
            for _ in digits.len()..decpt {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..decpt]);
            out.push('.');
            out.push_str(&digits[decpt..]);
        }
    }
    out
}

/// How many of `earlier` have `key`.
pub(super) fn repeats(earlier: &[(Key, Value)], key: &Key) -> u32 {
    earlier.iter().filter(|(k, _)| k == key).count() as u32
}

fn contains_reference(value: &Value) -> bool {
    match value {
        Value::Reference(_) => true,
        Value::Array(e) | Value::Object { properties: e, .. } => {
            e.iter().any(|(_, v)| contains_reference(v))
        }
        _ => false,
    }
}

/// The paths that references point at (their new positions are filled in while writing).
fn collect_targets(value: &Value, targets: &mut HashMap<Vec<PathStep>, u64>) {
    match value {
        Value::Reference(r) => {
            targets.insert(r.target.clone(), 0);
        }
        Value::Array(e) | Value::Object { properties: e, .. } => {
            for (_, v) in e {
                collect_targets(v, targets);
            }
        }
        _ => {}
    }
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    slot: u64,
    /// Reference targets and the position each got in this serialization (0: not written).
    targets: Option<HashMap<Vec<PathStep>, u64>>,
    path: Vec<PathStep>,
}

impl Writer<'_> {
    fn number(&mut self, n: impl itoa::Integer) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    fn quoted(&mut self, bytes: &[u8]) {
        self.number(bytes.len());
        self.out.extend_from_slice(b":\"");
        self.out.extend_from_slice(bytes);
        self.out.push(b'"');
    }

    fn value(&mut self, value: &Value) {
        if !matches!(value, Value::Reference(r) if r.php_reference) {
            self.slot += 1;
            if let Some(targets) = &mut self.targets {
                if let Some(slot) = targets.get_mut(&self.path) {
                    if *slot == 0 {
                        *slot = self.slot;
                    }
                }
            }
        }
        match value {
            Value::Null => self.out.extend_from_slice(b"N;"),
            Value::Bool(b) => self
                .out
                .extend_from_slice(if *b { b"b:1;" } else { b"b:0;" }),
            Value::Int(i) => {
                self.out.extend_from_slice(b"i:");
                self.number(*i);
                self.out.push(b';');
            }
            Value::Float(f) => {
                self.out.extend_from_slice(b"d:");
                match &f.text {
                    Some(t) => self.out.extend_from_slice(t),
                    None => self.out.extend_from_slice(float_text(f.value).as_bytes()),
                }
                self.out.push(b';');
            }
            Value::Str(s) => {
                self.out.extend_from_slice(b"s:");
                self.quoted(s);
                self.out.push(b';');
            }
            Value::Array(entries) => {
                self.out.extend_from_slice(b"a:");
                self.entries(entries);
            }
            Value::Object { class, properties } => {
                self.out.extend_from_slice(b"O:");
                self.quoted(class);
                self.out.push(b':');
                self.entries(properties);
            }
            Value::Raw(raw) => self.out.extend_from_slice(raw),
            Value::Reference(r) => {
                let slot = self
                    .targets
                    .as_ref()
                    .and_then(|t| t.get(&r.target).copied())
                    .filter(|&s| s != 0)
                    .unwrap_or(r.slot);
                self.out
                    .extend_from_slice(if r.php_reference { b"R:" } else { b"r:" });
                self.number(slot);
                self.out.push(b';');
            }
        }
    }

    fn entries(&mut self, entries: &[(Key, Value)]) {
        self.number(entries.len());
        self.out.extend_from_slice(b":{");
        for (i, (key, value)) in entries.iter().enumerate() {
            match key {
                Key::Int(i) => {
                    self.out.extend_from_slice(b"i:");
                    self.number(*i);
                    self.out.push(b';');
                }
                Key::Str(s) => {
                    self.out.extend_from_slice(b"s:");
                    self.quoted(s);
                    self.out.push(b';');
                }
            }
            let tracking = self.targets.is_some();
            if tracking {
                let step = repeats(&entries[..i], key);
                self.path.push((key.clone(), step));
            }
            self.value(value);
            if tracking {
                self.path.pop();
            }
        }
        self.out.push(b'}');
    }
}
