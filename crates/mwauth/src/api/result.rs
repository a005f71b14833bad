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

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Obj(Obj),
    List(List),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Obj {
    pub entries: Vec<(String, Value)>,
    /// The key whose value is this object's content (META_CONTENT).
    pub content: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct List {
    pub items: Vec<Value>,
    /// Tag name of each item in XML.
    pub element: String,
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
}

impl List {
    pub fn new(element: &str) -> List {
        List {
            items: Vec::new(),
            element: element.to_string(),
        }
    }

    pub fn of_strings(element: &str, items: impl IntoIterator<Item = String>) -> List {
        List {
            items: items.into_iter().map(Value::Str).collect(),
            element: element.to_string(),
        }
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
