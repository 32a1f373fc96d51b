//! Rank: `SCHED_RANK`, an arithmetic score over host attributes, higher is better.

use std::ops::{Add, Mul, Neg, Sub};

use orrery_engine::scenario::ExpressionDialect as Dialect;

use super::cnum::float_to_int;
use super::error::ParseError;
use super::opennebula::{rank_value, Number as Literal};
use super::syntax::{Parser, Tok};
use super::value::{numeric, Attributes};

/// A parsed `SCHED_RANK` expression: an arithmetic score, higher is better.
#[derive(Debug, Clone, PartialEq)]
pub struct Rank {
    expr: Arith,
    dialect: Dialect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
enum Arith {
    Num(f64),
    /// An attribute name: upper-cased in orrery's dialect, as written in OpenNebula's.
    Attr(String),
    Neg(Box<Arith>),
    /// A left-associative chain: `first op1 e1 op2 e2 …`.
    Chain(Box<Arith>, Vec<(ArithOp, Arith)>),
}

impl Rank {
    /// Parses a rank expression in orrery's dialect; an empty expression ranks every host 0.
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        Self::parse_in(src, Dialect::Orrery)
    }

    /// Parses a rank expression in `dialect`; an empty expression ranks every host 0.
    pub fn parse_in(src: &str, dialect: Dialect) -> Result<Self, ParseError> {
        let mut p = Parser::with_lexing(src, dialect.into())?;
        let expr = match p.cur.kind {
            Tok::End => Arith::Num(0.0),
            _ => p.sum(dialect)?,
        };
        p.finish("an operator (`+`, `-`, `*`, `/`) or end of input")
            .map_err(|e| match p.cur.kind {
                Tok::Num if p.text(p.cur).starts_with('-') => e.hint(
                    "OpenNebula reads `-1` as one number: put a space after a `-` that subtracts",
                ),
                _ => e,
            })?;
        Ok(Rank { expr, dialect })
    }

    /// The score of `host`. orrery's: an `f64`, where missing or non-numeric attributes read
    /// 0 and `x / 0` is 0. OpenNebula's: `expr_arith.y`'s `int`, computed in `float` (see
    /// [`super`]).
    pub fn eval(&self, host: &dyn Attributes) -> f64 {
        match self.dialect {
            Dialect::Orrery => self.expr.eval::<f64>(host),
            Dialect::OpenNebula => f64::from(float_to_int(self.expr.eval::<f32>(host))),
        }
    }

    /// The attribute names (upper-cased) the expression reads, sorted, without duplicates.
    #[cfg(test)]
    pub fn attributes(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.expr.collect(&mut names);
        names.sort();
        names.dedup();
        names
    }
}

impl Parser<'_> {
    /// `product (('+' | '-') product)*`, left-associative (`expr_arith.y`: `%left '+' '-'`
    /// below `%left '*' '/'`).
    fn sum(&mut self, dialect: Dialect) -> Result<Arith, ParseError> {
        self.chain(dialect, Parser::product, additive)
    }

    /// `factor (('*' | '/') factor)*`, left-associative.
    fn product(&mut self, dialect: Dialect) -> Result<Arith, ParseError> {
        self.chain(dialect, Parser::factor, multiplicative)
    }

    fn chain(
        &mut self,
        dialect: Dialect,
        operand: fn(&mut Self, Dialect) -> Result<Arith, ParseError>,
        op: fn(Tok) -> Option<ArithOp>,
    ) -> Result<Arith, ParseError> {
        let first = operand(self, dialect)?;
        let mut rest = Vec::new();
        while let Some(o) = op(self.cur.kind) {
            self.bump()?;
            rest.push((o, operand(self, dialect)?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Arith::Chain(Box::new(first), rest)
        })
    }

    /// A number, an attribute, `(` sum `)`, or `-` and what it negates: in orrery's dialect
    /// the factor after it; in `expr_arith.y`, whose `'-' expr` has the precedence of binary
    /// `-` and so reduces only before `+`, `-` or the end, the whole product after it
    /// (`A / - B * C` is `A / -(B * C)`).
    fn factor(&mut self, dialect: Dialect) -> Result<Arith, ParseError> {
        let what = "a number, an attribute name or `(`";
        match (self.cur.kind, dialect) {
            (Tok::Minus, _) => {
                let negated = match dialect {
                    Dialect::Orrery => Parser::factor,
                    Dialect::OpenNebula => Parser::product,
                };
                let inner = self.prefixed(|p| negated(p, dialect))?;
                Ok(Arith::Neg(Box::new(inner)))
            }
            (Tok::LParen, _) => self.parenthesised(|p| p.sum(dialect)),
            (Tok::Num, Dialect::Orrery) => {
                let t = self.bump()?;
                Ok(Arith::Num(self.number(t)?))
            }
            (Tok::Num, Dialect::OpenNebula) => {
                let t = self.bump()?;
                Ok(Arith::Num(match self.opennebula_number(t) {
                    Literal::Int(i) => f64::from(i as f32),
                    Literal::Float(x) => f64::from(x),
                }))
            }
            (Tok::Name, Dialect::Orrery) => {
                let t = self.bump()?;
                Ok(Arith::Attr(self.text(t).to_ascii_uppercase()))
            }
            (Tok::Name | Tok::Str, Dialect::OpenNebula) => {
                Ok(Arith::Attr(self.attribute_name(what)?))
            }
            _ => Err(self.expected(what)),
        }
    }
}

fn additive(k: Tok) -> Option<ArithOp> {
    match k {
        Tok::Plus => Some(ArithOp::Add),
        Tok::Minus => Some(ArithOp::Sub),
        _ => None,
    }
}

fn multiplicative(k: Tok) -> Option<ArithOp> {
    match k {
        Tok::Star => Some(ArithOp::Mul),
        Tok::Slash => Some(ArithOp::Div),
        _ => None,
    }
}

/// The arithmetic a dialect's rank computes in.
trait Number:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Neg<Output = Self>
{
    /// A literal of the expression (stored as the `f64` it is exactly).
    fn literal(x: f64) -> Self;
    /// Attribute `name` of `host`.
    fn attribute(host: &dyn Attributes, name: &str) -> Self;
    /// `self / d`.
    fn divide(self, d: Self) -> Self;
}

/// orrery's: a missing or non-numeric attribute reads 0, and `x / 0` is 0.
impl Number for f64 {
    fn literal(x: f64) -> Self {
        x
    }

    fn attribute(host: &dyn Attributes, name: &str) -> Self {
        host.get(name).as_ref().and_then(numeric).unwrap_or(0.0)
    }

    fn divide(self, d: Self) -> Self {
        if d == 0.0 {
            0.0
        } else {
            self / d
        }
    }
}

/// OpenNebula's `float`: an attribute as its search reads it (0 when it finds none), and IEEE
/// division (`x / 0` is infinite).
impl Number for f32 {
    fn literal(x: f64) -> Self {
        x as f32
    }

    fn attribute(host: &dyn Attributes, name: &str) -> Self {
        rank_value(host, name)
    }

    fn divide(self, d: Self) -> Self {
        self / d
    }
}

impl Arith {
    fn eval<N: Number>(&self, host: &dyn Attributes) -> N {
        match self {
            Arith::Num(x) => N::literal(*x),
            Arith::Attr(name) => N::attribute(host, name),
            Arith::Neg(e) => -e.eval::<N>(host),
            Arith::Chain(first, rest) => rest.iter().fold(first.eval(host), |acc, (op, e)| {
                let v = e.eval(host);
                match op {
                    ArithOp::Add => acc + v,
                    ArithOp::Sub => acc - v,
                    ArithOp::Mul => acc * v,
                    ArithOp::Div => acc.divide(v),
                }
            }),
        }
    }

    #[cfg(test)]
    fn collect(&self, names: &mut Vec<String>) {
        match self {
            Arith::Num(_) => {}
            Arith::Attr(n) => names.push(n.clone()),
            Arith::Neg(e) => e.collect(names),
            Arith::Chain(first, rest) => {
                first.collect(names);
                rest.iter().for_each(|(_, e)| e.collect(names));
            }
        }
    }
}
