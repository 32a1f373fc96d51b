//! OpenNebula's comparisons (`expr_bool.y`) and how its scheduler reads a host's attributes
//! (`ObjectXML::search`): by exact name, each value as `std::istringstream` reads it.

use std::borrow::Cow;

use super::cnum::{atof, atoi, read_float, read_int};
use super::error::ParseError;
use super::glob::{wildcard, Glob};
use super::lexer::Token;
use super::syntax::{Parser, Tok};
use super::value::{Attributes, Value};

/// One comparison of `expr_bool.y`: an attribute on the left, a literal on the right.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Test {
    /// `NAME op INTEGER` or `NAME op FLOAT`: the host's value read as that type.
    Number { name: String, op: Op, value: Number },
    /// `NAME = STRING`, `!=` or `@>` (no other `op`): an `fnmatch` pattern; `None` for `""`,
    /// which nothing matches (not even with `!=`).
    Pattern {
        name: String,
        op: Op,
        pattern: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    /// `@>`: any element of the (vector) attribute.
    Contains,
}

/// A number literal: `INTEGER` (`atoi`) or `FLOAT` (`atof`, kept as a `float`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Int(i32),
    Float(f32),
}

impl Parser<'_> {
    /// `STRING op value`: the comparisons of `expr_bool.y`.
    pub(crate) fn opennebula_test(&mut self) -> Result<Test, ParseError> {
        let name = self.attribute_name("a comparison, `!` or `(`")?;
        let op = match self.cur.kind {
            Tok::Eq => Op::Eq,
            Tok::Gt => Op::Gt,
            Tok::Lt => Op::Lt,
            Tok::Not => self.second(Tok::Eq, "`=`", Op::Ne)?,
            Tok::At => self.second(Tok::Gt, "`>`", Op::Contains)?,
            _ => return Err(self.expected("a comparison operator (`=`, `!=`, `>`, `<` or `@>`)")),
        };
        self.bump()?;
        let t = self.cur;
        let test = match t.kind {
            Tok::Num => Test::Number {
                name,
                op,
                value: self.opennebula_number(t),
            },
            Tok::Name | Tok::Str if matches!(op, Op::Gt | Op::Lt) => {
                return Err(self
                    .expected("a number")
                    .hint("OpenNebula's `>` and `<` compare numbers only"))
            }
            Tok::Name | Tok::Str => {
                let text = match t.kind {
                    Tok::Str => self.unquoted(t),
                    _ => self.text(t),
                };
                let pattern = (!text.is_empty()).then(|| text.to_owned());
                Test::Pattern { name, op, pattern }
            }
            Tok::Eq if matches!(op, Op::Gt | Op::Lt) => {
                return Err(self.expected("a number").hint(
                    "OpenNebula has no `>=` or `<=`: write `FREE_CPU > 199` or \
                     `(FREE_CPU > 200 | FREE_CPU = 200)`",
                ))
            }
            Tok::Minus => {
                return Err(self
                    .expected("a value")
                    .hint("OpenNebula reads `-5` as one number: write it with no space"))
            }
            _ => return Err(self.expected("a value")),
        };
        self.bump()?;
        Ok(test)
    }

    /// `op`, once the current token (the first of its two) is followed by `kind`.
    fn second(&mut self, kind: Tok, what: &str, op: Op) -> Result<Op, ParseError> {
        self.bump()?;
        if self.cur.kind == kind {
            Ok(op)
        } else {
            Err(self.expected(what))
        }
    }

    /// An attribute name: a bare word, or a quoted string (`STRING` either way).
    pub(crate) fn attribute_name(&mut self, what: &str) -> Result<String, ParseError> {
        let t = self.cur;
        let name = match t.kind {
            Tok::Name => self.text(t),
            Tok::Str if t.end - t.start > 2 => self.unquoted(t),
            Tok::Str => {
                let msg = "an attribute name cannot be empty".to_owned();
                return Err(ParseError::new(self.src, t.start, msg)
                    .hint("OpenNebula's scheduler fails on `\"\"` where a name belongs"));
            }
            Tok::Num => {
                return Err(self
                    .expected(what)
                    .hint("OpenNebula wants the attribute first: `FREE_CPU > 100`"))
            }
            _ => return Err(self.expected(what)),
        };
        self.bump()?;
        Ok(name.to_owned())
    }

    /// The value of the number token `t`, as the lexer converts it.
    pub(crate) fn opennebula_number(&self, t: Token) -> Number {
        let text = self.text(t);
        if text.contains('.') {
            Number::Float(atof(text))
        } else {
            Number::Int(atoi(text))
        }
    }
}

impl Test {
    /// Whether `host` passes, as the scheduler decides: a missing attribute fails every
    /// comparison, `!=` included.
    pub(crate) fn eval(&self, host: &dyn Attributes) -> bool {
        match self {
            Test::Number { name, op, value } => {
                let Some(v) = lookup(host, name) else {
                    return false;
                };
                match *value {
                    Number::Int(k) => holds(*op, numbers(&v, int_of, read_int), k),
                    Number::Float(k) => holds(*op, numbers(&v, float_of, read_float), k),
                }
            }
            Test::Pattern { name, op, pattern } => {
                let (Some(v), Some(pattern)) = (lookup(host, name), pattern) else {
                    return false;
                };
                let mut texts = texts(&v);
                let fits = |s: Cow<'_, str>| wildcard(Glob::Fnmatch, pattern, &s);
                match op {
                    Op::Contains => texts.any(fits),
                    Op::Ne => texts.next().is_some_and(|s| !fits(s)),
                    _ => texts.next().is_some_and(fits),
                }
            }
        }
    }

    /// The attribute name.
    #[cfg(test)]
    pub(crate) fn name(&self) -> &str {
        match self {
            Test::Number { name, .. } | Test::Pattern { name, .. } => name,
        }
    }
}

/// `op` between the host's first value that reads as a number and `k`; for `@>`, any value.
fn holds<T: PartialOrd>(op: Op, mut values: impl Iterator<Item = T>, k: T) -> bool {
    match op {
        Op::Contains => values.any(|v| v == k),
        _ => values.next().is_some_and(|v| match op {
            Op::Ne => v != k,
            Op::Gt => v > k,
            Op::Lt => v < k,
            _ => v == k,
        }),
    }
}

/// Attribute `name` of `host` as OpenNebula's search finds it: by its exact name. OpenNebula
/// stores every attribute name upper-cased, so a name with a lower-case letter finds nothing.
pub(crate) fn lookup(host: &dyn Attributes, name: &str) -> Option<Value> {
    if name.bytes().any(|b| b.is_ascii_lowercase()) {
        None
    } else {
        host.get(name)
    }
}

/// A rank's reading of attribute `name`: its first value that reads as a `float`, else 0.
pub(crate) fn rank_value(host: &dyn Attributes, name: &str) -> f32 {
    lookup(host, name)
        .and_then(|v| numbers(&v, float_of, read_float).next())
        .unwrap_or(0.0)
}

/// The elements of `v` that read as a number (a search keeps only the nodes `>>` reads).
fn numbers<'v, T: 'v>(
    v: &'v Value,
    from_num: fn(f64) -> Option<T>,
    from_text: fn(&str) -> Option<T>,
) -> impl Iterator<Item = T> + 'v {
    let (num, texts) = match v {
        Value::Num(x) => (Some(*x), &[][..]),
        Value::Str(s) => (None, std::slice::from_ref(s)),
        Value::List(l) => (None, &l[..]),
    };
    let num = num.and_then(from_num);
    num.into_iter()
        .chain(texts.iter().filter_map(move |s| from_text(s)))
}

/// The elements of `v` as text; a number as Rust's `{}` writes it.
fn texts(v: &Value) -> impl Iterator<Item = Cow<'_, str>> {
    let (num, texts) = match v {
        Value::Num(x) => (Some(Cow::Owned(x.to_string())), &[][..]),
        Value::Str(s) => (None, std::slice::from_ref(s)),
        Value::List(l) => (None, &l[..]),
    };
    num.into_iter()
        .chain(texts.iter().map(|s| Cow::Borrowed(s.as_str())))
}

/// A host's number read as an `int`, as `>>` reads its text (`{}`): the integer part, if it
/// fits.
fn int_of(x: f64) -> Option<i32> {
    let t = x.trunc();
    (t >= f64::from(i32::MIN) && t <= f64::from(i32::MAX)).then_some(t as i32)
}

/// A host's number read as a `float`, as `>>` reads its text (`{}`).
fn float_of(x: f64) -> Option<f32> {
    let f = x as f32;
    if x.is_finite() && f64::from(f) == x {
        Some(f)
    } else {
        read_float(&x.to_string())
    }
}
