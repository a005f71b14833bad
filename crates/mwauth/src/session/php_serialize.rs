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

mod read;
mod write;

pub use read::unserialize;
use write::repeats;
pub use write::{float_text, serialize, serialize_into};

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

#[cfg(test)]
#[path = "php_serialize_tests.rs"]
mod tests;
