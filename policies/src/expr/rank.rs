//! Rank: `SCHED_RANK`, an arithmetic score over host attributes, higher is better.

use super::syntax::ParseError;
use super::syntax::{Parser, Tok};
use super::value::{numeric, Attributes};

/// A parsed `SCHED_RANK` expression: an arithmetic score, higher is better.
#[derive(Debug, Clone, PartialEq)]
pub struct Rank {
    expr: Arith,
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
    /// Upper-cased attribute name.
    Attr(String),
    Neg(Box<Arith>),
    /// A left-associative chain: `first op1 e1 op2 e2 …`.
    Chain(Box<Arith>, Vec<(ArithOp, Arith)>),
}

impl Rank {
    /// Parses a rank expression; an empty expression ranks every host 0.
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        let mut p = Parser::new(src)?;
        if p.cur.kind == Tok::End {
            return Ok(Rank {
                expr: Arith::Num(0.0),
            });
        }
        let expr = p.sum()?;
        p.finish("an operator (`+`, `-`, `*`, `/`) or end of input")?;
        Ok(Rank { expr })
    }

    /// The score of `host`: missing or non-numeric attributes read 0, `x / 0` is 0.
    pub fn eval(&self, host: &dyn Attributes) -> f64 {
        self.expr.eval(host)
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
    fn sum(&mut self) -> Result<Arith, ParseError> {
        self.chain(Parser::product, |k| match k {
            Tok::Plus => Some(ArithOp::Add),
            Tok::Minus => Some(ArithOp::Sub),
            _ => None,
        })
    }

    fn product(&mut self) -> Result<Arith, ParseError> {
        self.chain(Parser::unary_arith, |k| match k {
            Tok::Star => Some(ArithOp::Mul),
            Tok::Slash => Some(ArithOp::Div),
            _ => None,
        })
    }

    fn chain(
        &mut self,
        operand: fn(&mut Self) -> Result<Arith, ParseError>,
        op: fn(Tok) -> Option<ArithOp>,
    ) -> Result<Arith, ParseError> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        while let Some(o) = op(self.cur.kind) {
            self.bump()?;
            rest.push((o, operand(self)?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Arith::Chain(Box::new(first), rest)
        })
    }

    fn unary_arith(&mut self) -> Result<Arith, ParseError> {
        match self.cur.kind {
            Tok::Minus => {
                self.enter()?;
                self.bump()?;
                let inner = self.unary_arith()?;
                self.depth -= 1;
                Ok(Arith::Neg(Box::new(inner)))
            }
            Tok::LParen => {
                self.enter()?;
                let open = self.bump()?;
                let inner = self.sum()?;
                self.close(open)?;
                self.depth -= 1;
                Ok(inner)
            }
            Tok::Num => {
                let t = self.bump()?;
                Ok(Arith::Num(self.number(t)?))
            }
            Tok::Name => {
                let t = self.bump()?;
                Ok(Arith::Attr(self.text(t).to_ascii_uppercase()))
            }
            _ => Err(self.expected("a number, an attribute name or `(`")),
        }
    }
}

impl Arith {
    fn eval(&self, host: &dyn Attributes) -> f64 {
        match self {
            Arith::Num(x) => *x,
            Arith::Attr(name) => host.get(name).as_ref().and_then(numeric).unwrap_or(0.0),
            Arith::Neg(e) => -e.eval(host),
            Arith::Chain(first, rest) => rest.iter().fold(first.eval(host), |acc, (op, e)| {
                let v = e.eval(host);
                match op {
                    ArithOp::Add => acc + v,
                    ArithOp::Sub => acc - v,
                    ArithOp::Mul => acc * v,
                    ArithOp::Div if v == 0.0 => 0.0,
                    ArithOp::Div => acc / v,
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
