//! The lexer and parser plumbing shared by the expression languages: OpenNebula's
//! requirement and rank expressions ([`super`]) and OneFlow's elasticity expressions
//! ([`crate::elasticity::expr`]). Each grammar adds its own `impl Parser` rules.

use std::fmt;

use super::value::MAX_DEPTH;

/// A syntax error in an expression (requirement, rank or elasticity), located by column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the expression where the error was found.
    pub offset: usize,
    /// 1-based character column of `offset`.
    pub column: usize,
    /// What was expected and what was found.
    pub message: String,
    /// The expression that failed to parse (for the excerpt of the `{:#}` format).
    pub input: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl ParseError {
    pub(crate) fn new(src: &str, offset: usize, message: String) -> Self {
        ParseError {
            offset,
            column: src[..offset].chars().count() + 1,
            message,
            input: src.to_owned(),
            hint: None,
        }
    }

    /// Adds a hint on how to fix the error.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ParseError {
    /// `column 14: expected …[; hint]`; the alternate form `{:#}` adds the expression and a
    /// caret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        if f.alternate() {
            let line: String = self
                .input
                .chars()
                .map(|c| if c.is_whitespace() { ' ' } else { c })
                .collect();
            write!(f, "\n  {line}\n  {:>width$}", "^", width = self.column)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

// ---------------------------------------------------------------------------------------
// Lexer

/// Token kinds. Two-character operators are lexed whole (`==` is one token, not two `=`), so
/// each grammar accepts exactly the spellings it knows and rejects the others at their column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Name,
    Num,
    /// A string in double or single quotes (the token text includes the quotes).
    Str,
    LParen,
    RParen,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    /// `==` (OneFlow's equality).
    EqEq,
    /// `<>` (OneFlow's spelling of `!=`).
    LtGt,
    And,
    /// `&&`.
    AndAnd,
    Or,
    /// `||`.
    OrOr,
    Not,
    Plus,
    Minus,
    Star,
    Slash,
    End,
}

/// One token: its kind and byte range in the source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits an expression into tokens, skipping ASCII whitespace.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn next_token(&mut self) -> Result<Token, ParseError> {
        let b = self.src.as_bytes();
        while b.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = b.get(start) else {
            return Ok(Token {
                kind: Tok::End,
                start,
                end: start,
            });
        };
        let next = b.get(start + 1).copied();
        let followed_by_eq = next == Some(b'=');
        let (kind, len) = match c {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'&' if next == Some(b'&') => (Tok::AndAnd, 2),
            b'&' => (Tok::And, 1),
            b'|' if next == Some(b'|') => (Tok::OrOr, 2),
            b'|' => (Tok::Or, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'=' if followed_by_eq => (Tok::EqEq, 2),
            b'=' => (Tok::Eq, 1),
            b'!' if followed_by_eq => (Tok::Ne, 2),
            b'!' => (Tok::Not, 1),
            b'<' if followed_by_eq => (Tok::Le, 2),
            b'<' if next == Some(b'>') => (Tok::LtGt, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if followed_by_eq => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'@' if next == Some(b'>') => (Tok::Contains, 2),
            b'@' => {
                let msg = "unexpected character `@` (the contains operator is `@>`)";
                return Err(ParseError::new(self.src, start, msg.to_owned()));
            }
            b'"' | b'\'' => match self.src[start + 1..].find(c as char) {
                Some(i) => (Tok::Str, i + 2),
                None => {
                    let q = c as char;
                    let msg = format!("unterminated string: no closing `{q}`");
                    return Err(ParseError::new(self.src, start, msg));
                }
            },
            b'0'..=b'9' => (Tok::Num, self.number_len(start)?),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let len = b[start..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                (Tok::Name, len)
            }
            _ => {
                let ch = self.src[start..].chars().next().unwrap_or('?');
                let msg = format!("unexpected character `{ch}`");
                return Err(ParseError::new(self.src, start, msg));
            }
        };
        self.pos = start + len;
        Ok(Token {
            kind,
            start,
            end: self.pos,
        })
    }

    /// Length of the number at `start`: `digits ('.' digits)? ([eE] [+-]? digits)?`.
    fn number_len(&self, start: usize) -> Result<usize, ParseError> {
        let b = self.src.as_bytes();
        let digits = |from: usize| {
            b[from.min(b.len())..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count()
        };
        let mut i = start + digits(start);
        if b.get(i) == Some(&b'.') {
            let frac = digits(i + 1);
            if frac == 0 {
                let msg = "expected a digit after `.`".to_owned();
                return Err(ParseError::new(self.src, i + 1, msg));
            }
            i += 1 + frac;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
            let exp = digits(i + 1 + sign);
            if exp > 0 {
                i += 1 + sign + exp;
            }
        }
        Ok(i - start)
    }
}

/// A recursive-descent parser's cursor: the current token, the one before it (for messages)
/// and the nesting depth (bounded by [`MAX_DEPTH`]).
pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
    lexer: Lexer<'a>,
    pub(crate) cur: Token,
    pub(crate) prev: Option<Token>,
    pub(crate) depth: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Result<Self, ParseError> {
        let mut lexer = Lexer { src, pos: 0 };
        let cur = lexer.next_token()?;
        Ok(Parser {
            src,
            lexer,
            cur,
            prev: None,
            depth: 0,
        })
    }

    pub(crate) fn bump(&mut self) -> Result<Token, ParseError> {
        let t = self.cur;
        self.cur = self.lexer.next_token()?;
        self.prev = Some(t);
        Ok(t)
    }

    pub(crate) fn text(&self, t: Token) -> &'a str {
        &self.src[t.start..t.end]
    }

    pub(crate) fn describe(&self, t: Token) -> String {
        match t.kind {
            Tok::End => "end of input".to_owned(),
            Tok::Str => format!("string {}", self.text(t)),
            _ => format!("`{}`", self.text(t)),
        }
    }

    /// "expected `what` [after `prev`], found `cur`", at the current token.
    pub(crate) fn expected(&self, what: &str) -> ParseError {
        let found = self.describe(self.cur);
        let msg = match self.prev {
            Some(p) => format!("expected {what} after `{}`, found {found}", self.text(p)),
            None => format!("expected {what}, found {found}"),
        };
        ParseError::new(self.src, self.cur.start, msg)
    }

    pub(crate) fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let msg = format!("expression nested more than {MAX_DEPTH} levels deep");
            return Err(ParseError::new(self.src, self.cur.start, msg));
        }
        Ok(())
    }

    /// Consumes the `)` matching the `(` at `open`.
    pub(crate) fn close(&mut self, open: Token) -> Result<(), ParseError> {
        if self.cur.kind != Tok::RParen {
            let col = self.src[..open.start].chars().count() + 1;
            let found = self.describe(self.cur);
            let msg = format!("expected `)` to close the `(` at column {col}, found {found}");
            return Err(ParseError::new(self.src, self.cur.start, msg));
        }
        self.bump()?;
        Ok(())
    }

    pub(crate) fn number(&self, t: Token) -> Result<f64, ParseError> {
        self.text(t).parse().map_err(|_| {
            let msg = format!("invalid number `{}`", self.text(t));
            ParseError::new(self.src, t.start, msg)
        })
    }

    pub(crate) fn finish(&self, what: &str) -> Result<(), ParseError> {
        if self.cur.kind == Tok::End {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }
}
