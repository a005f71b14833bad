//! PHP's `serialize()` / `unserialize()` format, as MediaWiki's session records use it
//! (`RedisBagOStuff` stores it as is, `SqlBagOStuff` deflated).
//!
//! The tree keeps what mwauth reads (null, bool, int, float, byte strings, ordered arrays with
//! int or string keys) and carries what it does not understand so that a rewritten record
//! gives PHP back exactly what PHP wrote:
//! - objects (`O:`) keep their class name and properties in order;
//! - custom-serialized objects (`C:`) and enums (`E:`) are kept as their raw bytes;
//! - floats keep the text PHP wrote; a float made here is written as PHP 8 writes it
//!   (`serialize_precision = -1`: the shortest text that reads back to the same double);
//! - references (`r:` same object, `R:` PHP reference) point at a value by its position in
//!   the serialization, which moves when mwauth adds or removes a value before it. They are
//!   kept as the path of keys to their target and renumbered on writing.
//!
//! Input that is not a whole, well-formed serialization is an [`Error`], never a panic.

use std::collections::HashMap;

/// Deeper nesting than this is refused (PHP has no such limit, but a session record has a
/// handful of levels, and the parser recurses).
const MAX_DEPTH: usize = 128;

/// An array key: PHP keeps integer-like keys as integers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Int(i64),
    Str(Vec<u8>),
}

impl Key {
    pub fn str(s: &str) -> Key {
        Key::Str(s.as_bytes().to_vec())
    }

    fn is(&self, name: &str) -> bool {
        matches!(self, Key::Str(k) if k == name.as_bytes())
    }
}

/// A float and, when it was read, the exact text PHP wrote for it.
#[derive(Debug, Clone)]
pub struct Float {
    pub value: f64,
    text: Option<Box<[u8]>>,
}

impl Float {
    pub fn new(value: f64) -> Float {
        Float { value, text: None }
    }
}

impl PartialEq for Float {
    fn eq(&self, other: &Float) -> bool {
        self.value.to_bits() == other.value.to_bits() || self.text_bytes() == other.text_bytes()
    }
}

impl Float {
    fn text_bytes(&self) -> Vec<u8> {
        match &self.text {
            Some(t) => t.to_vec(),
            None => float_text(self.value).into_bytes(),
        }
    }
}

/// One step down a tree: a key, and how many earlier entries of the same container had that
/// key (PHP's arrays cannot repeat a key, but a serialization can).
pub type PathStep = (Key, u32);

/// A reference to an earlier value: `r:` (the same object again) or `R:` (a PHP reference).
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// `R:` rather than `r:`.
    pub php_reference: bool,
    /// The keys from the top of the tree down to the target (empty: the top itself).
    pub target: Vec<PathStep>,
    /// The position PHP wrote; used when the target no longer exists.
    slot: u64,
}

/// One value of the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(Float),
    /// PHP strings are bytes.
    Str(Vec<u8>),
    Array(Vec<(Key, Value)>),
    Object {
        class: Vec<u8>,
        properties: Vec<(Key, Value)>,
    },
    /// `C:` and `E:` values, byte for byte.
    Raw(Vec<u8>),
    Reference(Reference),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(s.as_bytes().to_vec())
    }

    /// The entries of an array (not of an object).
    pub fn entries(&self) -> Option<&[(Key, Value)]> {
        match self {
            Value::Array(e) => Some(e),
            _ => None,
        }
    }

    pub fn entries_mut(&mut self) -> Option<&mut Vec<(Key, Value)>> {
        match self {
            Value::Array(e) => Some(e),
            _ => None,
        }
    }

    /// The value under a string key of an array; as PHP reads a repeated key, the last wins.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries()?
            .iter()
            .rev()
            .find(|(k, _)| k.is(key))
            .map(|(_, v)| v)
    }

    /// Sets a string key of an array: in place when present (every copy of a repeated key),
    /// appended otherwise, as PHP's `$a[$key] = …` does. Does nothing on a non-array.
    pub fn set(&mut self, key: &str, value: Value) {
        let Some(entries) = self.entries_mut() else {
            return;
        };
        let mut found = false;
        for (k, v) in entries.iter_mut() {
            if k.is(key) {
                *v = value.clone();
                found = true;
            }
        }
        if !found {
            entries.push((Key::str(key), value));
        }
    }

    /// Removes a string key of an array; returns whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        let Some(entries) = self.entries_mut() else {
            return false;
        };
        let before = entries.len();
        entries.retain(|(k, _)| !k.is(key));
        entries.len() != before
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A string value that is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => std::str::from_utf8(s).ok(),
            _ => None,
        }
    }
}

/// Why bytes are not a PHP serialization.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a PHP serialization: {what} at byte {at}")]
pub struct Error {
    pub at: usize,
    pub what: &'static str,
}

/// PHP's `unserialize()` of a whole input (trailing bytes are an error).
pub fn unserialize(input: &[u8]) -> Result<Value, Error> {
    let mut p = Parser {
        input,
        pos: 0,
        slots: 0,
        paths: None,
        path: Vec::new(),
        saw_reference: false,
    };
    let mut value = p.value(0)?;
    if p.pos != input.len() {
        return Err(p.error("trailing bytes"));
    }
    if p.saw_reference {
        // Rare: parse again, noting where every value sits, to turn positions into paths.
        let mut p = Parser {
            input,
            pos: 0,
            slots: 0,
            paths: Some(Vec::new()),
            path: Vec::new(),
            saw_reference: false,
        };
        value = p.value(0)?;
    }
    Ok(value)
}

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

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    /// Values read so far: PHP numbers every value but `R:` from 1, in reading order.
    slots: u64,
    /// On the second pass: the path of every slot (index = slot - 1).
    paths: Option<Vec<Vec<PathStep>>>,
    path: Vec<PathStep>,
    saw_reference: bool,
}

impl Parser<'_> {
    fn error(&self, what: &'static str) -> Error {
        Error { at: self.pos, what }
    }

    fn take(&mut self, byte: u8, what: &'static str) -> Result<(), Error> {
        if self.input.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    /// The text up to (not including) `end`, which is consumed.
    fn until(&mut self, end: u8) -> Result<&[u8], Error> {
        let rest = &self.input[self.pos..];
        let len = rest
            .iter()
            .position(|&b| b == end)
            .ok_or_else(|| self.error("unterminated value"))?;
        self.pos += len + 1;
        Ok(&rest[..len])
    }

    /// An integer as unserialize reads one: an optional sign and decimal digits.
    fn int_until(&mut self, end: u8) -> Result<i64, Error> {
        let start = self.pos;
        let text = self.until(end)?;
        let digits = text
            .strip_prefix(b"-")
            .or(text.strip_prefix(b"+"))
            .unwrap_or(text);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(Error {
                at: start,
                what: "bad integer",
            });
        }
        std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse::<i64>().ok())
            .ok_or(Error {
                at: start,
                what: "integer out of range",
            })
    }

    fn length_until(&mut self, end: u8) -> Result<usize, Error> {
        let start = self.pos;
        let n = self.int_until(end)?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.input.len())
            .ok_or(Error {
                at: start,
                what: "bad length",
            })
    }

    /// `len:"bytes"` (the quotes and the bytes), without the leading type letter and colon.
    fn quoted(&mut self) -> Result<&[u8], Error> {
        let len = self.length_until(b':')?;
        self.take(b'"', "expected '\"'")?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.input.len())
            .ok_or_else(|| self.error("string runs past the end"))?;
        let bytes = &self.input[self.pos..end];
        self.pos = end;
        self.take(b'"', "string longer than its length")?;
        Ok(bytes)
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        let start = self.pos;
        let kind = *self
            .input
            .get(self.pos)
            .ok_or_else(|| self.error("unexpected end"))?;
        if kind == b'N' {
            self.pos += 1;
            self.take(b';', "expected ';'")?;
            self.count_slot();
            return Ok(Value::Null);
        }
        self.pos += 1;
        self.take(b':', "expected ':'")?;
        if kind != b'R' {
            self.count_slot();
        }
        let value = match kind {
            b'b' => match self.until(b';')? {
                b"0" => Value::Bool(false),
                b"1" => Value::Bool(true),
                _ => {
                    return Err(Error {
                        at: start,
                        what: "bad boolean",
                    })
                }
            },
            b'i' => Value::Int(self.int_until(b';')?),
            b'd' => {
                let text = self.until(b';')?;
                let value = parse_php_float(text).ok_or(Error {
                    at: start,
                    what: "bad float",
                })?;
                Value::Float(Float {
                    value,
                    text: Some(text.into()),
                })
            }
            b's' => {
                let bytes = self.quoted()?.to_vec();
                self.take(b';', "expected ';'")?;
                Value::Str(bytes)
            }
            b'a' => {
                let n = self.length_until(b':')?;
                self.take(b'{', "expected '{'")?;
                let entries = self.entries(n, depth)?;
                self.take(b'}', "expected '}'")?;
                Value::Array(entries)
            }
            b'O' => {
                let class = self.quoted()?.to_vec();
                self.take(b':', "expected ':'")?;
                let n = self.length_until(b':')?;
                self.take(b'{', "expected '{'")?;
                let properties = self.entries(n, depth)?;
                self.take(b'}', "expected '}'")?;
                Value::Object { class, properties }
            }
            b'C' => {
                self.quoted()?;
                self.take(b':', "expected ':'")?;
                let len = self.length_until(b':')?;
                self.take(b'{', "expected '{'")?;
                self.pos = self
                    .pos
                    .checked_add(len)
                    .filter(|&e| e <= self.input.len())
                    .ok_or_else(|| self.error("payload runs past the end"))?;
                self.take(b'}', "payload longer than its length")?;
                Value::Raw(self.input[start..self.pos].to_vec())
            }
            b'E' => {
                let name = self.quoted()?;
                if !name.contains(&b':') {
                    return Err(Error {
                        at: start,
                        what: "bad enum case",
                    });
                }
                self.take(b';', "expected ';'")?;
                Value::Raw(self.input[start..self.pos].to_vec())
            }
            b'r' | b'R' => {
                // An `r:` took a position of its own just above; it must name an earlier one.
                let earlier = if kind == b'R' {
                    self.slots
                } else {
                    self.slots - 1
                };
                let slot = self.int_until(b';')?;
                let slot = u64::try_from(slot)
                    .ok()
                    .filter(|&s| s >= 1 && s <= earlier)
                    .ok_or(Error {
                        at: start,
                        what: "reference to no earlier value",
                    })?;
                self.saw_reference = true;
                let target = match &self.paths {
                    Some(paths) => paths[(slot - 1) as usize].clone(),
                    None => Vec::new(),
                };
                Value::Reference(Reference {
                    php_reference: kind == b'R',
                    target,
                    slot,
                })
            }
            _ => {
                return Err(Error {
                    at: start,
                    what: "unknown type",
                })
            }
        };
        Ok(value)
    }

    fn count_slot(&mut self) {
        self.slots += 1;
        if let Some(paths) = &mut self.paths {
            paths.push(self.path.clone());
        }
    }

    fn entries(&mut self, n: usize, depth: usize) -> Result<Vec<(Key, Value)>, Error> {
        // Each entry takes at least 4 bytes ("i:0;" + "N;"), so a claimed count cannot make
        // the vector larger than the input.
        let mut entries = Vec::with_capacity(n.min(self.input.len() / 4));
        for _ in 0..n {
            let start = self.pos;
            let key = match self.input.get(self.pos) {
                Some(b'i') => {
                    self.pos += 1;
                    self.take(b':', "expected ':'")?;
                    Key::Int(self.int_until(b';')?)
                }
                Some(b's') => {
                    self.pos += 1;
                    self.take(b':', "expected ':'")?;
                    let k = self.quoted()?.to_vec();
                    self.take(b';', "expected ';'")?;
                    Key::Str(k)
                }
                _ => {
                    return Err(Error {
                        at: start,
                        what: "bad array key",
                    })
                }
            };
            let tracking = self.paths.is_some();
            if tracking {
                let step = repeats(&entries, &key);
                self.path.push((key.clone(), step));
            }
            let value = self.value(depth + 1);
            if tracking {
                self.path.pop();
            }
            entries.push((key, value?));
        }
        Ok(entries)
    }
}

/// What `unserialize` accepts after `d:`: a decimal number with optional fraction and
/// exponent, `NAN`, `INF` and `-INF`.
fn parse_php_float(text: &[u8]) -> Option<f64> {
    match text {
        b"NAN" => return Some(f64::NAN),
        b"INF" => return Some(f64::INFINITY),
        b"-INF" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let ok = !text.is_empty()
        && text
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && text.iter().any(u8::is_ascii_digit);
    if !ok {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse::<f64>().ok()
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
fn repeats(earlier: &[(Key, Value)], key: &Key) -> u32 {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(bytes: &[u8]) {
        let v = unserialize(bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)));
        assert_eq!(
            String::from_utf8_lossy(&serialize(&v)),
            String::from_utf8_lossy(bytes)
        );
    }

    #[test]
    fn php_scalars_and_arrays_round_trip() {
        for s in [
            &b"N;"[..],
            b"b:1;",
            b"i:-9223372036854775808;",
            b"d:0.1;",
            b"s:0:\"\";",
            b"s:5:\"a\"b;}\";",
            b"a:0:{}",
            b"a:2:{i:-3;b:0;s:1:\"k\";a:1:{i:0;N;}}",
        ] {
            round_trip(s);
        }
    }

    #[test]
    fn php_float_text_is_php_8s_shortest_form() {
        // Each pair as PHP 8.2 `serialize()` writes it (php -r 'echo serialize(X);').
        for (v, text) in [
            (0.1, "0.1"),
            (-1.5e-7, "-1.5E-7"),
            (1e100, "1.0E+100"),
            (3.0, "3"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1e25, "1.0E+25"),
            (123456789012345678.0, "1.2345678901234568E+17"),
            (1e16, "10000000000000000"),
            (1.5e16, "15000000000000000"),
            (1e17, "1.0E+17"),
            (1e18, "1.0E+18"),
            (0.0001, "0.0001"),
            (0.00001, "1.0E-5"),
            (1796677167.452241, "1796677167.452241"),
            (f64::INFINITY, "INF"),
            (f64::NEG_INFINITY, "-INF"),
            (f64::NAN, "NAN"),
        ] {
            assert_eq!(float_text(v), text, "{v:e}");
        }
    }

    #[test]
    fn php_unknown_values_are_kept_byte_for_byte() {
        round_trip(b"a:3:{i:0;O:3:\"Ext\":1:{s:4:\"\0*\0b\";d:2.50;}i:1;C:6:\"Legacy\":3:{a}}}i:2;E:11:\"Suit:Hearts\";}");
    }

    #[test]
    fn php_references_follow_their_target_when_values_move() {
        // $o = new stdClass; ['x' => 1, 'o' => $o, 'again' => $o]
        let bytes = b"a:3:{s:1:\"x\";i:1;s:1:\"o\";O:8:\"stdClass\":0:{}s:5:\"again\";r:3;}";
        let mut v = unserialize(bytes).unwrap();
        assert_eq!(serialize(&v), bytes);
        // One value fewer before the object: the reference must now name slot 2.
        v.remove("x");
        assert_eq!(
            serialize(&v),
            b"a:2:{s:1:\"o\";O:8:\"stdClass\":0:{}s:5:\"again\";r:2;}"
        );
        // An array of two before it: slot 5.
        v.entries_mut().unwrap().insert(
            0,
            (
                Key::str("y"),
                Value::Array(vec![(Key::Int(0), Value::Null)]),
            ),
        );
        assert_eq!(
            String::from_utf8_lossy(&serialize(&v)),
            "a:3:{s:1:\"y\";a:1:{i:0;N;}s:1:\"o\";O:8:\"stdClass\":0:{}s:5:\"again\";r:4;}"
        );
    }

    #[test]
    fn php_corrupt_input_is_an_error() {
        for bad in [
            &b""[..],
            b"N",
            b"i:;",
            b"i:1",
            b"i:99999999999999999999;",
            b"b:2;",
            b"s:5:\"abc\";",
            b"s:-1:\"\";",
            b"s:3:\"abc\"",
            b"a:2:{i:0;N;}",
            b"a:1:{d:0.5;N;}",
            b"r:1;",
            b"a:1:{i:0;r:5;}",
            b"d:abc;",
            b"C:1:\"X\":10:{}",
            b"E:3:\"abc\";",
            b"x:1;",
            b"N;N;",
            b"a:18446744073709551615:{}",
        ] {
            assert!(
                unserialize(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = "a:1:{i:0;".repeat(200) + "N;" + &"}".repeat(200);
        assert!(unserialize(deep.as_bytes()).is_err());
    }

    #[test]
    fn php_get_set_remove_work_like_php_arrays() {
        let mut v = unserialize(b"a:2:{s:1:\"a\";i:1;s:1:\"b\";i:2;}").unwrap();
        v.set("a", Value::Int(5));
        v.set("c", Value::str("x"));
        assert!(v.remove("b"));
        assert_eq!(v.get("a").and_then(Value::as_int), Some(5));
        assert_eq!(serialize(&v), b"a:2:{s:1:\"a\";i:5;s:1:\"c\";s:1:\"x\";}");
    }

    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = Key> {
        prop_oneof![
            any::<i64>().prop_map(Key::Int),
            prop::collection::vec(any::<u8>(), 0..6).prop_map(Key::Str),
        ]
    }

    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<f64>().prop_map(|f| Value::Float(Float::new(f))),
            prop::collection::vec(any::<u8>(), 0..12).prop_map(Value::Str),
            Just(Value::Raw(b"E:11:\"Suit:Hearts\";".to_vec())),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec((key(), inner.clone()), 0..5).prop_map(Value::Array),
                (
                    prop::collection::vec(any::<u8>(), 1..6),
                    prop::collection::vec((key(), inner), 0..3)
                )
                    .prop_map(|(class, properties)| Value::Object { class, properties }),
            ]
        })
    }

    proptest! {
        #[test]
        fn php_serialization_reads_back_to_the_same_bytes(v in tree()) {
            let bytes = serialize(&v);
            let back = unserialize(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(serialize(&back), bytes);
        }

        #[test]
        fn php_unserialize_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(v) = unserialize(&bytes) {
                let again = serialize(&v);
                prop_assert_eq!(unserialize(&again).map(|v| serialize(&v)), Ok(again));
            }
        }
    }
}
