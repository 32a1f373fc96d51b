//! Requirements: `SCHED_REQUIREMENTS`, a boolean filter over host attributes.

use std::borrow::Cow;

use orrery_engine::scenario::ExpressionDialect as Dialect;

use super::error::ParseError;
use super::glob::{wildcard, Glob};
use super::opennebula::Test;
use super::syntax::{Parser, Tok};
use super::value::{parse_num, Attributes, Value};

/// A parsed `SCHED_REQUIREMENTS` expression: a boolean filter over host attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    cond: Cond,
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    True,
    Any(Vec<Cond>),
    All(Vec<Cond>),
    /// `&` and `|` of one precedence, from left to right (OpenNebula's): `first op1 c1 …`.
    Chain(Box<Cond>, Vec<(Junction, Cond)>),
    Not(Box<Cond>),
    Cmp(Box<Cmp>),
    /// An OpenNebula comparison.
    Test(Box<Test>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Junction {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
struct Cmp {
    lhs: Operand,
    op: CmpOp,
    rhs: Operand,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// Upper-cased attribute name.
    Attr(String),
    Lit(Lit),
}

#[derive(Debug, Clone, PartialEq)]
struct Lit {
    text: String,
    num: Option<f64>,
    /// A quoted string holding `*`, `?` or `\`: matched as a wildcard pattern.
    glob: bool,
}

impl Requirement {
    /// Parses a requirement expression in orrery's dialect; an empty expression accepts every
    /// host.
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        Self::parse_in(src, Dialect::Orrery)
    }

    /// Parses a requirement expression in `dialect`; an empty expression accepts every host.
    pub fn parse_in(src: &str, dialect: Dialect) -> Result<Self, ParseError> {
        let mut p = Parser::with_lexing(src, dialect.into())?;
        if p.cur.kind == Tok::End {
            return Ok(Requirement { cond: Cond::True });
        }
        let cond = p.condition(dialect)?;
        p.finish("`&`, `|` or end of input")?;
        Ok(Requirement { cond })
    }

    /// Whether `host` satisfies the requirement.
    pub fn eval(&self, host: &dyn Attributes) -> bool {
        self.cond.eval(host)
    }

    /// The attribute names (upper-cased) the expression reads, sorted, without duplicates.
    #[cfg(test)]
    pub fn attributes(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.cond.collect(&mut names);
        names.sort();
        names.dedup();
        names
    }
}

impl Parser<'_> {
    /// A whole condition, or one in parentheses.
    fn condition(&mut self, dialect: Dialect) -> Result<Cond, ParseError> {
        match dialect {
            Dialect::Orrery => self.or_expr(),
            Dialect::OpenNebula => self.opennebula_chain(),
        }
    }

    /// `unary (('&' | '|') unary)*` from left to right: `expr_bool.y` declares `&`, `|` and
    /// `!` `%left` at one precedence, so `A | B & C` is `(A | B) & C`.
    fn opennebula_chain(&mut self) -> Result<Cond, ParseError> {
        let first = self.unary_cond(Dialect::OpenNebula)?;
        let mut rest = Vec::new();
        loop {
            let junction = match self.cur.kind {
                Tok::And => Junction::And,
                Tok::Or => Junction::Or,
                _ => break,
            };
            self.bump()?;
            rest.push((junction, self.unary_cond(Dialect::OpenNebula)?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Cond::Chain(Box::new(first), rest)
        })
    }

    fn or_expr(&mut self) -> Result<Cond, ParseError> {
        let first = self.and_expr()?;
        if self.cur.kind != Tok::Or {
            return Ok(first);
        }
        let mut all = vec![first];
        while self.cur.kind == Tok::Or {
            self.bump()?;
            all.push(self.and_expr()?);
        }
        Ok(Cond::Any(all))
    }

    fn and_expr(&mut self) -> Result<Cond, ParseError> {
        let first = self.unary_cond(Dialect::Orrery)?;
        if self.cur.kind != Tok::And {
            return Ok(first);
        }
        let mut all = vec![first];
        while self.cur.kind == Tok::And {
            self.bump()?;
            all.push(self.unary_cond(Dialect::Orrery)?);
        }
        Ok(Cond::All(all))
    }

    /// `'!' unary | '(' condition ')' | comparison`. In both dialects a `!` negates the one
    /// term after it (in `expr_bool.y` it reduces before any `&` or `|`).
    fn unary_cond(&mut self, dialect: Dialect) -> Result<Cond, ParseError> {
        match self.cur.kind {
            Tok::Not => {
                let inner = self.prefixed(|p| p.unary_cond(dialect))?;
                Ok(Cond::Not(Box::new(inner)))
            }
            Tok::LParen => self.parenthesised(|p| p.condition(dialect)),
            _ => match dialect {
                Dialect::Orrery => self.comparison(),
                Dialect::OpenNebula => Ok(Cond::Test(Box::new(self.opennebula_test()?))),
            },
        }
    }

    /// `operand cmp operand`.
    fn comparison(&mut self) -> Result<Cond, ParseError> {
        let lhs = self.operand("a comparison, `!` or `(`")?;
        let op = match self.cur.kind {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::Contains => CmpOp::Contains,
            _ => {
                return Err(self
                    .expected("a comparison operator (`=`, `!=`, `<`, `<=`, `>`, `>=` or `@>`)"))
            }
        };
        self.bump()?;
        let rhs = self.operand("a value")?;
        Ok(Cond::Cmp(Box::new(Cmp { lhs, op, rhs })))
    }

    fn operand(&mut self, what: &str) -> Result<Operand, ParseError> {
        match self.cur.kind {
            Tok::Name => {
                let t = self.bump()?;
                Ok(Operand::Attr(self.text(t).to_ascii_uppercase()))
            }
            Tok::Num => {
                let t = self.bump()?;
                let num = self.number(t)?;
                Ok(Operand::Lit(Lit {
                    text: self.text(t).to_owned(),
                    num: Some(num),
                    glob: false,
                }))
            }
            Tok::Minus => {
                self.bump()?;
                if self.cur.kind != Tok::Num {
                    return Err(self.expected("a number"));
                }
                let t = self.bump()?;
                let num = -self.number(t)?;
                Ok(Operand::Lit(Lit {
                    text: format!("-{}", self.text(t)),
                    num: Some(num),
                    glob: false,
                }))
            }
            Tok::Str if self.src.as_bytes()[self.cur.start] == b'\'' => {
                let msg = "single quotes do not make a string here".to_owned();
                Err(ParseError::new(self.src, self.cur.start, msg)
                    .hint("quote strings with `\"`, as OpenNebula does"))
            }
            Tok::Str => {
                let t = self.bump()?;
                let text = self.unquoted(t);
                Ok(Operand::Lit(Lit {
                    text: text.to_owned(),
                    num: parse_num(text),
                    glob: text.contains(['*', '?', '\\']),
                }))
            }
            _ => Err(self.expected(what)),
        }
    }
}

impl Cond {
    fn eval(&self, host: &dyn Attributes) -> bool {
        match self {
            Cond::True => true,
            Cond::Any(v) => v.iter().any(|c| c.eval(host)),
            Cond::All(v) => v.iter().all(|c| c.eval(host)),
            Cond::Chain(first, rest) => {
                rest.iter()
                    .fold(first.eval(host), |acc, (junction, c)| match junction {
                        Junction::And => acc && c.eval(host),
                        Junction::Or => acc || c.eval(host),
                    })
            }
            Cond::Not(c) => !c.eval(host),
            Cond::Cmp(c) => c.eval(host),
            Cond::Test(t) => t.eval(host),
        }
    }

    #[cfg(test)]
    fn collect(&self, names: &mut Vec<String>) {
        match self {
            Cond::True => {}
            Cond::Any(v) | Cond::All(v) => v.iter().for_each(|c| c.collect(names)),
            Cond::Chain(first, rest) => {
                first.collect(names);
                rest.iter().for_each(|(_, c)| c.collect(names));
            }
            Cond::Not(c) => c.collect(names),
            Cond::Test(t) => names.push(t.name().to_owned()),
            Cond::Cmp(c) => {
                for o in [&c.lhs, &c.rhs] {
                    if let Operand::Attr(n) = o {
                        names.push(n.clone());
                    }
                }
            }
        }
    }
}

/// An operand's value on one host: a literal of the expression, or a host's value.
enum Fetched<'a> {
    Lit(&'a Lit),
    Host(Value),
}

/// One scalar to compare.
#[derive(Clone, Copy)]
enum Item<'a> {
    Num(f64),
    Text {
        text: &'a str,
        num: Option<f64>,
        glob: bool,
    },
}

impl<'a> Item<'a> {
    fn host_text(text: &'a str) -> Self {
        Item::Text {
            text,
            num: parse_num(text),
            glob: false,
        }
    }

    fn num(self) -> Option<f64> {
        match self {
            Item::Num(x) => Some(x),
            Item::Text { num, .. } => num,
        }
    }

    fn text(self) -> Cow<'a, str> {
        match self {
            Item::Num(x) => Cow::Owned(x.to_string()),
            Item::Text { text, .. } => Cow::Borrowed(text),
        }
    }
}

impl Fetched<'_> {
    fn fetch<'a>(o: &'a Operand, host: &dyn Attributes) -> Option<Fetched<'a>> {
        match o {
            Operand::Attr(name) => host.get(name).map(Fetched::Host),
            Operand::Lit(l) => Some(Fetched::Lit(l)),
        }
    }

    /// The scalar a plain comparison reads: a list's first element.
    fn first(&self) -> Option<Item<'_>> {
        match self {
            Fetched::Lit(l) => Some(Item::Text {
                text: &l.text,
                num: l.num,
                glob: l.glob,
            }),
            Fetched::Host(Value::Num(x)) => Some(Item::Num(*x)),
            Fetched::Host(Value::Str(s)) => Some(Item::host_text(s)),
            Fetched::Host(Value::List(v)) => v.first().map(|s| Item::host_text(s)),
        }
    }

    /// Whether `f` holds for any element (a scalar is a one-element list).
    fn any(&self, mut f: impl FnMut(Item<'_>) -> bool) -> bool {
        match self {
            Fetched::Host(Value::List(v)) => v.iter().any(|s| f(Item::host_text(s))),
            _ => self.first().is_some_and(f),
        }
    }
}

impl Cmp {
    fn eval(&self, host: &dyn Attributes) -> bool {
        let (Some(lhs), Some(rhs)) = (
            Fetched::fetch(&self.lhs, host),
            Fetched::fetch(&self.rhs, host),
        ) else {
            return false;
        };
        let Some(r) = rhs.first() else {
            return false;
        };
        if self.op == CmpOp::Contains {
            return lhs.any(|l| compare(CmpOp::Eq, l, r));
        }
        lhs.first().is_some_and(|l| compare(self.op, l, r))
    }
}

/// Compares two scalars: numerically if both are numbers, else as strings; `=` and `!=`
/// match `r` as a wildcard pattern when it is a quoted string holding wildcards.
fn compare(op: CmpOp, l: Item<'_>, r: Item<'_>) -> bool {
    if let (Some(a), Some(b)) = (l.num(), r.num()) {
        return match op {
            CmpOp::Eq | CmpOp::Contains => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        };
    }
    let glob = matches!(r, Item::Text { glob: true, .. });
    let (a, b) = (l.text(), r.text());
    let equal = || {
        if glob {
            wildcard(Glob::Orrery, &b, &a)
        } else {
            a == b
        }
    };
    match op {
        CmpOp::Eq | CmpOp::Contains => equal(),
        CmpOp::Ne => !equal(),
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}
