//! The parser plumbing shared by the expression languages: orrery's and OpenNebula's
//! requirement and rank expressions ([`super`]) and OneFlow's elasticity expressions
//! ([`crate::elasticity::expr`]). Each grammar adds its own `impl Parser` rules.

use super::error::ParseError;
use super::lexer::{Lexer, Lexing, Token};
use super::value::MAX_DEPTH;

pub(crate) use super::lexer::Tok;

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
    /// A parser of `src` in orrery's lexing.
    pub(crate) fn new(src: &'a str) -> Result<Self, ParseError> {
        Self::with_lexing(src, Lexing::Orrery)
    }

    pub(crate) fn with_lexing(src: &'a str, lexing: Lexing) -> Result<Self, ParseError> {
        let mut lexer = Lexer::new(src, lexing);
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

    /// The text of the string token `t` without its quotes.
    pub(crate) fn unquoted(&self, t: Token) -> &'a str {
        &self.src[t.start + 1..t.end - 1]
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

    /// Consumes a prefix (`!`, `-`) and parses what it applies to, one level deeper.
    pub(crate) fn prefixed<T>(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        self.enter()?;
        self.bump()?;
        let t = inner(self)?;
        self.depth -= 1;
        Ok(t)
    }

    /// `(`, `inner`, `)`, one level deeper.
    pub(crate) fn parenthesised<T>(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        self.enter()?;
        let open = self.bump()?;
        let t = inner(self)?;
        self.close(open)?;
        self.depth -= 1;
        Ok(t)
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
