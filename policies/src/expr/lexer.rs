//! The lexers of the expression languages: orrery's own (shared by its requirement and rank
//! expressions and OneFlow's elasticity expressions) and OpenNebula's `expr_parser.l`.

use orrery_engine::scenario::ExpressionDialect as Dialect;

use super::error::ParseError;

/// Which lexical rules split an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lexing {
    /// Two-character operators lexed whole, strings in either quote, numbers without a sign
    /// and with an optional exponent; any other character is an error.
    Orrery,
    /// OpenNebula's `expr_parser.l`: every operator one character (`!=` is `!` then `=`),
    /// strings only in double quotes, numbers `-?[0-9]+(\.[0-9]+)?` with their sign, names
    /// `[A-Za-z][A-Za-z0-9_]*`; any other character is skipped (flex echoes it).
    OpenNebula,
}

impl From<Dialect> for Lexing {
    fn from(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Orrery => Lexing::Orrery,
            Dialect::OpenNebula => Lexing::OpenNebula,
        }
    }
}

/// Token kinds. In orrery's lexing two-character operators are lexed whole (`==` is one token,
/// not two `=`), so each grammar accepts exactly the spellings it knows and rejects the others
/// at their column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Name,
    /// A number; in OpenNebula's lexing, with its leading `-` if it has one.
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
    /// `@` alone (OpenNebula's lexing; orrery's rejects it).
    At,
    /// `^` (OpenNebula's lexer returns it; no rule of its grammars takes it).
    Caret,
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

/// Splits an expression into tokens.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    lexing: Lexing,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str, lexing: Lexing) -> Self {
        let src = match lexing {
            Lexing::Orrery => src,
            // The scheduler hands flex a C string: a NUL ends it.
            Lexing::OpenNebula => src.split('\0').next().unwrap_or_default(),
        };
        Lexer {
            src,
            pos: 0,
            lexing,
        }
    }

    pub(crate) fn next_token(&mut self) -> Result<Token, ParseError> {
        let (kind, start, len) = match self.lexing {
            Lexing::Orrery => self.orrery_token()?,
            Lexing::OpenNebula => self.opennebula_token(),
        };
        self.pos = start + len;
        Ok(Token {
            kind,
            start,
            end: self.pos,
        })
    }

    /// The next token in orrery's lexing: kind, start and length; ASCII whitespace skipped.
    fn orrery_token(&mut self) -> Result<(Tok, usize, usize), ParseError> {
        let b = self.src.as_bytes();
        while b.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = b.get(start) else {
            return Ok((Tok::End, start, 0));
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
            c if c.is_ascii_alphabetic() || c == b'_' => (Tok::Name, self.name_len(start)),
            _ => {
                let ch = self.src[start..].chars().next().unwrap_or('?');
                let msg = format!("unexpected character `{ch}`");
                return Err(ParseError::new(self.src, start, msg));
            }
        };
        Ok((kind, start, len))
    }

    /// The next token in OpenNebula's lexing (`expr_parser.l`): the longest match of its
    /// rules; a character no rule matches is skipped, as flex's default rule does.
    fn opennebula_token(&mut self) -> (Tok, usize, usize) {
        let b = self.src.as_bytes();
        loop {
            let start = self.pos;
            let Some(&c) = b.get(start) else {
                return (Tok::End, start, 0);
            };
            let digit_follows = b.get(start + 1).is_some_and(u8::is_ascii_digit);
            let token = match c {
                b'-' if digit_follows => Some((Tok::Num, 1 + self.decimal_len(start + 1))),
                b'0'..=b'9' => Some((Tok::Num, self.decimal_len(start))),
                b'@' => Some((Tok::At, 1)),
                b'!' => Some((Tok::Not, 1)),
                b'&' => Some((Tok::And, 1)),
                b'|' => Some((Tok::Or, 1)),
                b'=' => Some((Tok::Eq, 1)),
                b'>' => Some((Tok::Gt, 1)),
                b'<' => Some((Tok::Lt, 1)),
                b'(' => Some((Tok::LParen, 1)),
                b')' => Some((Tok::RParen, 1)),
                b'*' => Some((Tok::Star, 1)),
                b'+' => Some((Tok::Plus, 1)),
                b'/' => Some((Tok::Slash, 1)),
                b'^' => Some((Tok::Caret, 1)),
                b'-' => Some((Tok::Minus, 1)),
                // An unterminated `"` is no token: it is skipped and what follows is lexed.
                b'"' => self.src[start + 1..].find('"').map(|i| (Tok::Str, i + 2)),
                c if c.is_ascii_alphabetic() => Some((Tok::Name, self.name_len(start))),
                _ => None,
            };
            match token {
                Some((kind, len)) => return (kind, start, len),
                None => self.pos += self.src[start..].chars().next().map_or(1, char::len_utf8),
            }
        }
    }

    /// Length of the name at `start`: ASCII letters, digits and `_`.
    fn name_len(&self, start: usize) -> usize {
        self.src.as_bytes()[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count()
    }

    /// Length of `[0-9]+(\.[0-9]+)?` at `start` (OpenNebula's INTEGER and FLOAT).
    fn decimal_len(&self, start: usize) -> usize {
        let int = self.digits(start);
        match (
            self.src.as_bytes().get(start + int),
            self.digits(start + int + 1),
        ) {
            (Some(b'.'), frac) if frac > 0 => int + 1 + frac,
            _ => int,
        }
    }

    /// Length of the number at `start`: `digits ('.' digits)? ([eE] [+-]? digits)?`.
    fn number_len(&self, start: usize) -> Result<usize, ParseError> {
        let b = self.src.as_bytes();
        let digits = |from: usize| self.digits(from);
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

    /// Number of ASCII digits from byte `from` on.
    fn digits(&self, from: usize) -> usize {
        let b = self.src.as_bytes();
        b[from.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    }
}
