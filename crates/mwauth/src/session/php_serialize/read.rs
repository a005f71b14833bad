//! Reading: PHP's `unserialize()`.

use super::{Error, Float, Key, PathStep, Reference, Value, MAX_DEPTH};

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
                let step = super::repeats(&entries, &key);
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
