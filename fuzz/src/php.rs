//! A strict reader of PHP's serialize() format for the values ApiFormatPhp writes: strings
//! (`s:LEN:"…";`, LEN in bytes), integers, booleans and arrays. Anything else, a wrong length
//! or trailing bytes is an error, as it is for PHP's unserialize().

#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Int(i64),
    Str(Vec<u8>),
}

impl Key {
    /// The key PHP stores for a string key: a canonical decimal integer becomes an integer.
    pub fn of(k: &str) -> Key {
        let canonical = k == "0"
            || (k
                .strip_prefix('-')
                .unwrap_or(k)
                .starts_with(|c: char| ('1'..='9').contains(&c))
                && k.strip_prefix('-')
                    .unwrap_or(k)
                    .bytes()
                    .all(|b| b.is_ascii_digit()));
        match k.parse::<i64>() {
            Ok(n) if canonical => Key::Int(n),
            _ => Key::Str(k.as_bytes().to_vec()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Php {
    Str(Vec<u8>),
    Int(i64),
    Bool(bool),
    Null,
    /// `d:…;`: userinfo's Accept-Language q values, authmanager's remember-me days.
    Float(f64),
    Array(Vec<(Key, Php)>),
}

pub fn unserialize(input: &[u8]) -> Result<Php, String> {
    let mut r = Reader { s: input, at: 0 };
    let v = r.value(0)?;
    if r.at != input.len() {
        return Err(format!("trailing bytes at {}", r.at));
    }
    Ok(v)
}

struct Reader<'a> {
    s: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.s.get(self.at) == Some(&b) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at {}", b as char, self.at))
        }
    }

    fn until(&mut self, end: u8) -> Result<&[u8], String> {
        let start = self.at;
        let len = self.s[start..]
            .iter()
            .position(|&b| b == end)
            .ok_or_else(|| format!("unterminated at {start}"))?;
        self.at = start + len + 1;
        Ok(&self.s[start..start + len])
    }

    fn int(&mut self, end: u8) -> Result<i64, String> {
        let digits = self.until(end)?;
        let text = std::str::from_utf8(digits).map_err(|e| e.to_string())?;
        text.parse::<i64>().map_err(|e| format!("{text:?}: {e}"))
    }

    fn string(&mut self) -> Result<Vec<u8>, String> {
        let len = usize::try_from(self.int(b':')?).map_err(|e| e.to_string())?;
        self.expect(b'"')?;
        let end = self.at.checked_add(len).filter(|&e| e <= self.s.len());
        let end = end.ok_or("string runs past the end")?;
        let bytes = self.s[self.at..end].to_vec();
        self.at = end;
        self.expect(b'"')?;
        self.expect(b';')?;
        Ok(bytes)
    }

    fn key(&mut self) -> Result<Key, String> {
        let tag = *self.s.get(self.at).ok_or("missing key")?;
        self.at += 1;
        self.expect(b':')?;
        match tag {
            b'i' => Ok(Key::Int(self.int(b';')?)),
            b's' => Ok(Key::Str(self.string()?)),
            _ => Err(format!("bad key tag {:?}", tag as char)),
        }
    }

    fn value(&mut self, depth: u32) -> Result<Php, String> {
        if depth > 512 {
            return Err("too deep".into());
        }
        let tag = *self.s.get(self.at).ok_or("missing value")?;
        self.at += 1;
        if tag == b'N' {
            self.expect(b';')?;
            return Ok(Php::Null);
        }
        self.expect(b':')?;
        match tag {
            b's' => Ok(Php::Str(self.string()?)),
            b'i' => Ok(Php::Int(self.int(b';')?)),
            b'd' => {
                let text = self.until(b';')?;
                let text = std::str::from_utf8(text).map_err(|e| e.to_string())?;
                text.parse::<f64>()
                    .map(Php::Float)
                    .map_err(|e| format!("{text:?}: {e}"))
            }
            b'b' => match self.int(b';')? {
                0 => Ok(Php::Bool(false)),
                1 => Ok(Php::Bool(true)),
                n => Err(format!("bad boolean {n}")),
            },
            b'a' => {
                let n = self.int(b':')?;
                self.expect(b'{')?;
                let mut items = Vec::new();
                for _ in 0..n {
                    let k = self.key()?;
                    let v = self.value(depth + 1)?;
                    items.push((k, v));
                }
                self.expect(b'}')?;
                Ok(Php::Array(items))
            }
            _ => Err(format!("bad value tag {:?}", tag as char)),
        }
    }
}
