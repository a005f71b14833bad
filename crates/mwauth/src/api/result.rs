//! ApiResult: an ordered tree with the metadata MediaWiki's formatters need.
//!
//! Three pieces of MediaWiki's metadata matter to the modules mwauth serves:
//! - booleans, which formatversion 1 writes as `""` (true) or leaves out (false);
//! - a content key (META_CONTENT): in formatversion 1 its value moves to `*` at the end of
//!   the object, in XML it becomes the element's text;
//! - list element names (META_INDEXED_TAG_NAME), the tag XML gives each list item.
//!
//! `add_on_top` reproduces ApiResult::ADD_ON_TOP, which MediaWiki uses for `warnings` and
//! `batchcomplete`; it is why `warnings` sometimes comes before `batchcomplete` and
//! sometimes after.
//!
//! The rest of MediaWiki's array metadata, for the modules that describe the wiki
//! (siteinfo, paraminfo), where the formats disagree on a value's shape:
//! - [`ObjKind`]: `assoc` (an object everywhere, mwauth's default), an untyped PHP array
//!   (empty → `[]` in JSON, e.g. general.magiclinks once formatversion 1 has dropped its
//!   false booleans), `kvp` (an object in JSON and PHP, a list of `<tag key="…">` in XML);
//! - [`List::bc_assoc`], `BCassoc`: a list in formatversion 1, an object with keys `"0"`,
//!   `"1"`… in formatversion 2, items with `_idx` in XML (general.thumblimits);
//! - [`Obj::element`]: META_INDEXED_TAG_NAME of an object with integer keys, which XML
//!   writes as indexed `<tag _idx="…">` children (siteinfo namespaces);
//! - [`BcBools`], META_BC_BOOLS: booleans that formatversion 1 keeps as `true`/`false`;
//! - [`Obj::subelements`], META_SUBELEMENTS: scalars XML writes as child elements.

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    /// A PHP float (Accept-Language q values).
    Float(f64),
    Bool(bool),
    /// PHP's null (an anonymous user's name in a raw message's parameters).
    Null,
    Obj(Obj),
    List(List),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Obj {
    pub entries: Vec<(String, Value)>,
    /// The key whose value is this object's content (META_CONTENT).
    pub content: Option<String>,
    /// META_TYPE.
    pub kind: ObjKind,
    /// META_INDEXED_TAG_NAME: the XML tag of entries with integer keys (`_v` when unset).
    pub element: Option<String>,
    /// META_BC_BOOLS.
    pub bc_bools: BcBools,
    /// META_SUBELEMENTS: keys whose scalar values XML writes as elements, not attributes.
    pub subelements: Vec<String>,
}

/// An object's META_TYPE.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ObjKind {
    /// `assoc`: an object in every format, also when empty.
    #[default]
    Assoc,
    /// No META_TYPE: PHP decides by the keys. An array with no keys left (or keys 0…n-1)
    /// is a JSON list.
    Untyped,
    /// `kvp` with its META_KVP_KEY_NAME: an object in JSON and PHP; in XML each entry is an
    /// indexed element carrying its key in this attribute (ArmorKVP).
    Kvp(String),
}

/// META_BC_BOOLS: which booleans formatversion 1 keeps as booleans instead of turning true
/// into `""` and dropping false.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum BcBools {
    #[default]
    None,
    All,
    Keys(Vec<String>),
}

impl BcBools {
    pub fn keeps(&self, key: &str) -> bool {
        match self {
            BcBools::None => false,
            BcBools::All => true,
            BcBools::Keys(keys) => keys.iter().any(|k| k == key),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct List {
    pub items: Vec<Value>,
    /// Tag name of each item in XML.
    pub element: String,
    /// META_TYPE `BCassoc`: a list in formatversion 1, an object keyed `"0"`, `"1"`… in
    /// formatversion 2, and items with an `_idx` attribute in XML.
    pub bc_assoc: bool,
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Int(i64::from(n))
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Float(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Obj> for Value {
    fn from(o: Obj) -> Self {
        Value::Obj(o)
    }
}
impl From<List> for Value {
    fn from(l: List) -> Self {
        Value::List(l)
    }
}

impl Obj {
    pub fn new() -> Obj {
        Obj::default()
    }

    /// Builder form of `set`.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Obj {
        self.set(key, value);
        self
    }

    /// Sets `key`, replacing its value in place or appending it.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        let value = value.into();
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
        } else {
            self.entries.push((key.to_string(), value));
        }
    }

    /// ADD_ON_TOP: a new key goes first; an existing key keeps its place.
    pub fn set_on_top(&mut self, key: &str, value: impl Into<Value>) {
        let value = value.into();
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
        } else {
            self.entries.insert(0, (key.to_string(), value));
        }
    }

    /// Sets the content value (ApiResult::addContentValue).
    pub fn set_content(&mut self, key: &str, text: impl Into<String>) {
        self.set(key, Value::Str(text.into()));
        self.content = Some(key.to_string());
    }

    pub fn content_obj(key: &str, text: impl Into<String>) -> Obj {
        let mut o = Obj::new();
        o.set_content(key, text);
        o
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The object under `key`, created (at the end, or on top) when missing.
    pub fn obj_mut(&mut self, key: &str, on_top: bool) -> &mut Obj {
        if !matches!(self.get(key), Some(Value::Obj(_))) {
            if on_top {
                self.set_on_top(key, Obj::new());
            } else {
                self.set(key, Obj::new());
            }
        }
        match self.get_mut(key) {
            Some(Value::Obj(o)) => o,
            _ => unreachable!("just inserted an object"),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Builder: META_TYPE.
    pub fn kind(mut self, kind: ObjKind) -> Obj {
        self.kind = kind;
        self
    }

    /// Builder: META_INDEXED_TAG_NAME for integer keys.
    pub fn element(mut self, element: &str) -> Obj {
        self.element = Some(element.to_string());
        self
    }

    /// Builder: META_BC_BOOLS.
    pub fn bc_bools(mut self, bools: BcBools) -> Obj {
        self.bc_bools = bools;
        self
    }
}

/// Whether PHP would turn this array key into an integer (a decimal integer without
/// leading zeros or `+`, within i64).
/// A float as PHP writes it into text (echo, XML attributes): the shortest form that reads
/// back, `1` for 1.0.
pub fn php_float_text(n: f64) -> String {
    if n.is_finite() {
        format!("{n}")
    } else if n.is_nan() {
        "NAN".to_string()
    } else if n > 0.0 {
        "INF".to_string()
    } else {
        "-INF".to_string()
    }
}

pub fn is_int_key(k: &str) -> bool {
    let digits = k.strip_prefix('-').unwrap_or(k);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && k != "-0"
        && k.parse::<i64>().is_ok()
}

impl List {
    pub fn new(element: &str) -> List {
        List {
            items: Vec::new(),
            element: element.to_string(),
            bc_assoc: false,
        }
    }

    pub fn of_strings(element: &str, items: impl IntoIterator<Item = String>) -> List {
        List {
            items: items.into_iter().map(Value::Str).collect(),
            element: element.to_string(),
            bc_assoc: false,
        }
    }

    /// Builder: META_TYPE `BCassoc`.
    pub fn bc_assoc(mut self) -> List {
        self.bc_assoc = true;
        self
    }

    pub fn push(&mut self, v: impl Into<Value>) {
        self.items.push(v.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_on_top_puts_new_keys_first_and_keeps_old_places() {
        let mut root = Obj::new();
        root.set("query", Obj::new());
        root.obj_mut("warnings", true);
        root.set_on_top("batchcomplete", true);
        let keys: Vec<_> = root.entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["batchcomplete", "warnings", "query"]);
        root.set_on_top("query", 1i64);
        assert_eq!(root.entries[2].0, "query");
    }
}
