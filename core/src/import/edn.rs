//! A small EDN reader: the subset Jepsen and Knossos histories use (nil,
//! booleans, integers, floats, strings, characters, keywords, symbols, lists,
//! vectors, maps, sets, tagged values, comments and `#_` discards).
//!
//! Written here rather than taken from a crate so that every error names its
//! line and no input, however malformed, can panic or overflow the stack
//! (nesting is bounded; property tests feed it arbitrary bytes).

use crate::ParseError;

/// How deep collections may nest before the reader refuses the input.
const MAX_DEPTH: usize = 100;

/// An EDN value.
#[derive(Clone, Debug, PartialEq)]
pub enum Edn {
    /// `nil`
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A character such as `\a`.
    Char(char),
    /// A keyword, without its colon.
    Keyword(String),
    /// A symbol.
    Symbol(String),
    /// `( ... )` or `[ ... ]`
    Seq(Vec<Edn>),
    /// `#{ ... }`
    Set(Vec<Edn>),
    /// `{ ... }` with the line it starts on.
    Map(Vec<(Edn, Edn)>, usize),
    /// `#tag value`
    Tagged(String, Box<Edn>),
}

impl Edn {
    /// The name of a keyword, symbol or string.
    pub fn as_name(&self) -> Option<&str> {
        match self {
            Edn::Keyword(s) | Edn::Symbol(s) | Edn::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up a keyword key in a map.
    pub fn get(&self, keyword: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries, _) => entries
                .iter()
                .find(|(k, _)| matches!(k, Edn::Keyword(name) if name == keyword))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Converts to a history value: keywords and symbols become strings,
    /// sets and lists become arrays, tags are dropped.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Edn::Nil => Value::Null,
            Edn::Bool(b) => Value::Bool(*b),
            Edn::Int(i) => Value::from(*i),
            Edn::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => Value::String(s.clone()),
            Edn::Char(c) => Value::String(c.to_string()),
            Edn::Seq(items) | Edn::Set(items) => {
                Value::Array(items.iter().map(Edn::to_value).collect())
            }
            Edn::Map(entries, _) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_name()
                                .map_or_else(|| k.to_value().to_string(), str::to_owned),
                            v.to_value(),
                        )
                    })
                    .collect(),
            ),
            Edn::Tagged(_, inner) => inner.to_value(),
        }
    }

    /// A short description for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Edn::Nil => "nil",
            Edn::Bool(_) => "a boolean",
            Edn::Int(_) => "an integer",
            Edn::Float(_) => "a float",
            Edn::Str(_) => "a string",
            Edn::Char(_) => "a character",
            Edn::Keyword(_) => "a keyword",
            Edn::Symbol(_) => "a symbol",
            Edn::Seq(_) => "a vector",
            Edn::Set(_) => "a set",
            Edn::Map(..) => "a map",
            Edn::Tagged(..) => "a tagged value",
        }
    }
}

/// Reads EDN forms one after another, each with the line it starts on.
pub struct EdnReader<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> EdnReader<'a> {
    /// A reader over `text`.
    pub fn new(text: &'a str) -> EdnReader<'a> {
        EdnReader {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The next top-level form and its starting line, or `None` at the end.
    pub fn next_form(&mut self) -> Result<Option<(Edn, usize)>, ParseError> {
        self.skip_blank();
        if self.pos >= self.text.len() {
            return Ok(None);
        }
        let line = self.line;
        let form = self.read(0)?;
        Ok(Some((form, line)))
    }

    /// Reads every form in `text`.
    pub fn read_all(text: &str) -> Result<Vec<(Edn, usize)>, ParseError> {
        let mut reader = EdnReader::new(text);
        let mut forms = Vec::new();
        while let Some(form) = reader.next_form()? {
            forms.push(form);
        }
        Ok(forms)
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(self.line, message)
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b',' => {
                    self.bump();
                }
                b';' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.bump();
                    }
                }
                _ => break,
            }
        }
    }

    fn read(&mut self, depth: usize) -> Result<Edn, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("collections nested deeper than {MAX_DEPTH} levels")));
        }
        self.skip_blank();
        let Some(c) = self.peek() else {
            return Err(
                self.error("unexpected end of input: a value is missing (is a bracket unclosed?)")
            );
        };
        match c {
            b'(' | b'[' => {
                let line = self.line;
                self.bump();
                let close = if c == b'(' { b')' } else { b']' };
                Ok(Edn::Seq(self.read_until(close, depth, line)?))
            }
            b'{' => {
                let line = self.line;
                self.bump();
                let items = self.read_until(b'}', depth, line)?;
                pairs(items, line).map(|entries| Edn::Map(entries, line))
            }
            b'#' => self.read_dispatch(depth),
            b'"' => self.read_string(),
            b'\\' => self.read_char(),
            b':' => {
                self.bump();
                let name = self.read_token();
                if name.is_empty() {
                    return Err(self.error("a keyword needs a name after its colon"));
                }
                Ok(Edn::Keyword(name))
            }
            b')' | b']' | b'}' => {
                Err(self.error(format!("unexpected `{}` with nothing open", c as char)))
            }
            _ => self.read_atom(),
        }
    }

    fn read_until(
        &mut self,
        close: u8,
        depth: usize,
        opened: usize,
    ) -> Result<Vec<Edn>, ParseError> {
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            match self.peek() {
                None => {
                    return Err(self.error(format!(
                        "`{}` opened on line {opened} is never closed",
                        opening(close)
                    )));
                }
                Some(c) if c == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(b')' | b']' | b'}') => {
                    let c = self.peek().unwrap_or(b' ') as char;
                    return Err(self.error(format!(
                        "`{c}` closes `{}` opened on line {opened}",
                        opening(close)
                    )));
                }
                Some(_) => {
                    if let Some(item) = self.read_item(depth + 1)? {
                        items.push(item);
                    }
                }
            }
        }
    }

    /// Reads one element, or nothing for a `#_` discard.
    fn read_item(&mut self, depth: usize) -> Result<Option<Edn>, ParseError> {
        if self.text[self.pos..].starts_with(b"#_") {
            self.pos += 2;
            self.read(depth)?;
            return Ok(None);
        }
        self.read(depth).map(Some)
    }

    fn read_dispatch(&mut self, depth: usize) -> Result<Edn, ParseError> {
        self.bump();
        match self.peek() {
            Some(b'{') => {
                let line = self.line;
                self.bump();
                Ok(Edn::Set(self.read_until(b'}', depth, line)?))
            }
            Some(b'_') => {
                self.bump();
                self.read(depth + 1)?;
                self.read(depth + 1)
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let tag = self.read_token();
                let inner = self.read(depth + 1)?;
                Ok(Edn::Tagged(tag, Box::new(inner)))
            }
            _ => {
                Err(self
                    .error("`#` must start a set `#{`, a discard `#_` or a tag such as `#inst`"))
            }
        }
    }

    fn read_string(&mut self) -> Result<Edn, ParseError> {
        let start_line = self.line;
        self.bump();
        let mut bytes = Vec::new();
        loop {
            match self.bump() {
                None => {
                    return Err(ParseError::new(
                        start_line,
                        "string is never closed (missing `\"`)",
                    ))
                }
                Some(b'"') => break,
                Some(b'\\') => match self.bump() {
                    Some(b'n') => bytes.push(b'\n'),
                    Some(b't') => bytes.push(b'\t'),
                    Some(b'r') => bytes.push(b'\r'),
                    Some(b'"') => bytes.push(b'"'),
                    Some(b'\\') => bytes.push(b'\\'),
                    Some(b'u') => {
                        let hex: Vec<u8> = (0..4).filter_map(|_| self.bump()).collect();
                        let code = std::str::from_utf8(&hex)
                            .ok()
                            .and_then(|h| u32::from_str_radix(h, 16).ok());
                        let ch = code
                            .and_then(char::from_u32)
                            .ok_or_else(|| self.error("bad \\u escape in string"))?;
                        bytes.extend_from_slice(ch.to_string().as_bytes());
                    }
                    _ => {
                        return Err(self.error(
                            "unknown escape in string (allowed: \\n \\t \\r \\\" \\\\ \\uXXXX)",
                        ))
                    }
                },
                Some(c) => bytes.push(c),
            }
        }
        String::from_utf8(bytes)
            .map(Edn::Str)
            .map_err(|_| self.error("string is not valid UTF-8"))
    }

    fn read_char(&mut self) -> Result<Edn, ParseError> {
        self.bump();
        let token = self.read_token();
        let c = match token.as_str() {
            "newline" => '\n',
            "space" => ' ',
            "tab" => '\t',
            "return" => '\r',
            t if t.chars().count() == 1 => t.chars().next().unwrap_or(' '),
            "" => match self.bump() {
                Some(c) if c.is_ascii() => c as char,
                _ => return Err(self.error("a character literal needs a character after `\\`")),
            },
            t => return Err(self.error(format!("unknown character literal `\\{t}`"))),
        };
        Ok(Edn::Char(c))
    }

    fn read_token(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| !is_delimiter(c)) {
            self.bump();
        }
        String::from_utf8_lossy(&self.text[start..self.pos]).into_owned()
    }

    fn read_atom(&mut self) -> Result<Edn, ParseError> {
        let token = self.read_token();
        if token.is_empty() {
            let c = self.bump().unwrap_or(b' ');
            return Err(self.error(format!("unexpected character `{}`", c.escape_ascii())));
        }
        Ok(match token.as_str() {
            "nil" => Edn::Nil,
            "true" => Edn::Bool(true),
            "false" => Edn::Bool(false),
            t if looks_numeric(t) => self.read_number(t)?,
            t => Edn::Symbol(t.to_owned()),
        })
    }

    fn read_number(&self, token: &str) -> Result<Edn, ParseError> {
        let digits = token.strip_suffix('N').unwrap_or(token);
        if let Ok(i) = digits.parse::<i64>() {
            return Ok(Edn::Int(i));
        }
        let float = token.strip_suffix('M').unwrap_or(token);
        match float.parse::<f64>() {
            Ok(f)
                if f.is_finite()
                    && !digits
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '-' || c == '+') =>
            {
                Ok(Edn::Float(f))
            }
            _ => Err(self.error(format!(
                "`{token}` is not a number faultline can read (integers must fit in 64 bits)"
            ))),
        }
    }
}

fn looks_numeric(token: &str) -> bool {
    let rest = token.strip_prefix(['-', '+']).unwrap_or(token);
    rest.starts_with(|c: char| c.is_ascii_digit())
}

fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\r' | b'\n' | b',' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'"' | b';'
    )
}

fn opening(close: u8) -> char {
    match close {
        b')' => '(',
        b']' => '[',
        _ => '{',
    }
}

fn pairs(items: Vec<Edn>, line: usize) -> Result<Vec<(Edn, Edn)>, ParseError> {
    if items.len() % 2 != 0 {
        return Err(ParseError::new(
            line,
            "map has a key without a value (odd number of forms)",
        ));
    }
    let mut entries = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        entries.push((k, v));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one(text: &str) -> Edn {
        EdnReader::read_all(text).unwrap().remove(0).0
    }

    #[test]
    fn reads_the_forms_histories_use() {
        assert_eq!(one("nil"), Edn::Nil);
        assert_eq!(one("-42"), Edn::Int(-42));
        assert_eq!(one("7N"), Edn::Int(7));
        assert_eq!(one("1.5"), Edn::Float(1.5));
        assert_eq!(one(r#""a \"b\"\n""#), Edn::Str("a \"b\"\n".into()));
        assert_eq!(one(":timed-out"), Edn::Keyword("timed-out".into()));
        assert_eq!(
            one("[1 2, 3]"),
            Edn::Seq(vec![Edn::Int(1), Edn::Int(2), Edn::Int(3)])
        );
        assert_eq!(one("#{:a}"), Edn::Set(vec![Edn::Keyword("a".into())]));
        assert_eq!(
            one("[1 #_ 2 3] ; comment"),
            Edn::Seq(vec![Edn::Int(1), Edn::Int(3)])
        );
        let map = one("{:process 3, :type :ok}");
        assert_eq!(map.get("process"), Some(&Edn::Int(3)));
        assert_eq!(one("#inst \"2020\"").to_value(), serde_json::json!("2020"));
        assert_eq!(one(r"\a"), Edn::Char('a'));
    }

    #[test]
    fn reports_the_line_of_a_problem() {
        let err = EdnReader::read_all("{:a 1}\n{:b [1 2}\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("closes `[`"), "{err}");
        assert_eq!(EdnReader::read_all("\n\n\"abc").unwrap_err().line, 3);
        assert!(EdnReader::read_all("99999999999999999999999").is_err());
    }

    #[test]
    fn refuses_deep_nesting_instead_of_overflowing() {
        let deep = "[".repeat(100_000);
        assert!(EdnReader::read_all(&deep)
            .unwrap_err()
            .message
            .contains("nested deeper"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn never_panics_on_arbitrary_text(text in "[\\[\\]{}()#_:\\\\\" ;,a-z0-9.\\-+\n]{0,64}") {
            let _ = EdnReader::read_all(&text);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = EdnReader::read_all(&String::from_utf8_lossy(&bytes));
        }
    }
}
