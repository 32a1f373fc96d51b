//! OneFlow elasticity expressions: `CPU > 80 && RESPONSE_TIME >= 0.5`.
//!
//! The grammar is OpenNebula OneFlow's `ElasticityGrammar` (`src/flow/lib/grammar.treetop`),
//! reproduced rule for rule so that an expression copied between orrery and OneFlow means the
//! same thing in both:
//!
//! ```text
//! expression := cond ( ('&&' | '&' | '||' | '|') expression )?
//! cond       := operand cmp operand | '!' expression | '(' expression ')'
//! cmp        := '==' | '=' | '!=' | '<>' | '>=' | '>' | '<=' | '<'
//! operand    := NUMBER | NAME | "NAME" | 'NAME'
//! NUMBER     := '-'? digits ( '.' digits )?
//! NAME       := letter ( letter | digit | '_' )*
//! ```
//!
//! Consequences of that grammar, kept on purpose because OneFlow has them:
//!
//! * `&&` and `||` have **one precedence and group to the right**: `A && B || C` means
//!   `A && (B || C)`. Write parentheses when you mean something else.
//! * `!` negates **everything to its right** (it is followed by a whole `expression`):
//!   `!CPU > 80 && MEM > 50` means `!(CPU > 80 && MEM > 50)`.
//! * A name is a metric: its value is the mean over the role's running VMs that report it,
//!   rounded to two decimals (`((total / n) * 100).round / 100.0`). A comparison on a metric
//!   no running VM reports is **false** (so `!(GPU > 0)` is true), as in OneFlow.
//! * Names are case-insensitive (OneFlow upper-cases them); numbers compare as `f64`.
//!
//! The only liberties: any ASCII whitespace separates tokens (OneFlow allows spaces only),
//! and nesting is bounded by [`crate::expr::MAX_DEPTH`]. Errors carry the column and a hint.

use std::fmt::Write as _;

use super::RoleMetrics;
use crate::expr::syntax::{Parser, Tok};
use crate::expr::ParseError;

/// A parsed OneFlow elasticity expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    src: String,
    root: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// `first op1 rest1 op2 rest2 …`, grouped to the right: `first op1 (rest1 op2 (…))`.
    Chain(Box<Node>, Vec<(Logic, Node)>),
    Not(Box<Node>),
    Group(Box<Node>),
    Cmp(Operand, Cmp, Operand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Logic {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// A literal and its text as written.
    Num(f64, String),
    /// An upper-cased metric name.
    Metric(String),
}

impl Expression {
    /// Parses an expression; the empty expression is an error (OneFlow never fires it).
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        let mut p = Parser::new(src)?;
        if p.cur.kind == Tok::End {
            return Err(ParseError::new(src, 0, "empty expression".to_owned())
                .hint("write a comparison such as `CPU > 80`"));
        }
        let root = p.flow_expression()?;
        if p.cur.kind == Tok::RParen {
            let msg = "`)` without a matching `(`".to_owned();
            return Err(ParseError::new(src, p.cur.start, msg));
        }
        p.finish("`&&`, `||` or end of input")?;
        Ok(Expression {
            src: src.to_owned(),
            root,
        })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// Whether the expression holds for `metrics`.
    pub fn eval(&self, metrics: &RoleMetrics) -> bool {
        self.root.eval(metrics, None)
    }

    /// Whether the expression holds, and the expression with each metric's value shown as
    /// OneFlow's `expression_evaluated` does: `CPU[85.5] > 80`, `GPU[--] > 0` when missing.
    pub fn explain(&self, metrics: &RoleMetrics) -> (bool, String) {
        let mut trace = String::new();
        let value = self.root.eval(metrics, Some(&mut trace));
        (value, trace)
    }
}

impl Parser<'_> {
    fn flow_expression(&mut self) -> Result<Node, ParseError> {
        let first = self.flow_cond()?;
        let mut rest = Vec::new();
        loop {
            let op = match self.cur.kind {
                Tok::AndAnd | Tok::And => Logic::And,
                Tok::OrOr | Tok::Or => Logic::Or,
                _ => break,
            };
            self.bump()?;
            rest.push((op, self.flow_cond()?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Node::Chain(Box::new(first), rest)
        })
    }

    fn flow_cond(&mut self) -> Result<Node, ParseError> {
        match self.cur.kind {
            Tok::Not => {
                self.enter()?;
                self.bump()?;
                let inner = self.flow_expression()?;
                self.depth -= 1;
                Ok(Node::Not(Box::new(inner)))
            }
            Tok::LParen => {
                self.enter()?;
                let open = self.bump()?;
                let inner = self.flow_expression()?;
                self.close(open)?;
                self.depth -= 1;
                Ok(Node::Group(Box::new(inner)))
            }
            _ => {
                let lhs = self.flow_operand("a comparison, `!` or `(`")?;
                let op = match self.cur.kind {
                    Tok::EqEq | Tok::Eq => Cmp::Eq,
                    Tok::Ne | Tok::LtGt => Cmp::Ne,
                    Tok::Lt => Cmp::Lt,
                    Tok::Le => Cmp::Le,
                    Tok::Gt => Cmp::Gt,
                    Tok::Ge => Cmp::Ge,
                    _ => {
                        return Err(self
                            .expected("a comparison operator")
                            .hint("use one of `==`, `!=`, `>`, `>=`, `<`, `<=`"))
                    }
                };
                self.bump()?;
                let rhs = self.flow_operand("a number or a metric name")?;
                Ok(Node::Cmp(lhs, op, rhs))
            }
        }
    }

    fn flow_operand(&mut self, what: &str) -> Result<Operand, ParseError> {
        match self.cur.kind {
            Tok::Name => {
                let t = self.bump()?;
                Ok(Operand::Metric(self.text(t).to_ascii_uppercase()))
            }
            Tok::Str => {
                let t = self.bump()?;
                let name = &self.src[t.start + 1..t.end - 1];
                let b = name.as_bytes();
                let valid = b.first().is_some_and(u8::is_ascii_alphabetic)
                    && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
                if !valid {
                    let msg = format!("{} is not a metric name", self.text(t));
                    return Err(ParseError::new(self.src, t.start, msg)
                        .hint("quotes may only enclose a name such as \"CPU\""));
                }
                Ok(Operand::Metric(name.to_ascii_uppercase()))
            }
            Tok::Minus => {
                let minus = self.bump()?;
                if self.cur.kind != Tok::Num || self.cur.start != minus.end {
                    return Err(self
                        .expected("digits")
                        .hint("write negative numbers with the `-` touching the digits: `-5`"));
                }
                self.flow_number(true)
            }
            Tok::Num => self.flow_number(false),
            _ => Err(self.expected(what)),
        }
    }

    fn flow_number(&mut self, negative: bool) -> Result<Operand, ParseError> {
        let t = self.bump()?;
        let text = self.text(t);
        if text.contains(['e', 'E']) {
            let msg = format!("`{text}`: exponents are not OneFlow number syntax");
            return Err(ParseError::new(self.src, t.start, msg)
                .hint("write the number out in full, e.g. `1500` for `1.5e3`"));
        }
        let x = self.number(t)?;
        let (x, text) = if negative {
            (-x, format!("-{text}"))
        } else {
            (x, text.to_owned())
        };
        Ok(Operand::Num(x, text))
    }
}

impl Node {
    /// The value of the node; appends OneFlow's trace to `trace` when given.
    fn eval(&self, m: &RoleMetrics, mut trace: Option<&mut String>) -> bool {
        match self {
            Node::Cmp(l, op, r) => {
                let (a, b) = (l.value(m), r.value(m));
                if let Some(t) = trace {
                    l.trace(a, t);
                    t.push_str(match op {
                        Cmp::Eq => " == ",
                        Cmp::Ne => " != ",
                        Cmp::Lt => " < ",
                        Cmp::Le => " <= ",
                        Cmp::Gt => " > ",
                        Cmp::Ge => " >= ",
                    });
                    r.trace(b, t);
                }
                let (Some(a), Some(b)) = (a, b) else {
                    return false;
                };
                match op {
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                    Cmp::Lt => a < b,
                    Cmp::Le => a <= b,
                    Cmp::Gt => a > b,
                    Cmp::Ge => a >= b,
                }
            }
            Node::Not(inner) => {
                if let Some(t) = trace.as_deref_mut() {
                    t.push('!');
                }
                !inner.eval(m, trace)
            }
            Node::Group(inner) => {
                if let Some(t) = trace.as_deref_mut() {
                    t.push('(');
                }
                let v = inner.eval(m, trace.as_deref_mut());
                if let Some(t) = trace {
                    t.push(')');
                }
                v
            }
            Node::Chain(first, rest) => {
                // Evaluate left to right for the trace, then combine from the right.
                let mut values = Vec::with_capacity(rest.len() + 1);
                values.push(first.eval(m, trace.as_deref_mut()));
                for (op, node) in rest {
                    if let Some(t) = trace.as_deref_mut() {
                        t.push_str(if *op == Logic::And { " && " } else { " || " });
                    }
                    values.push(node.eval(m, trace.as_deref_mut()));
                }
                let mut acc = values.pop().unwrap_or(false);
                for ((op, _), v) in rest.iter().zip(values).rev() {
                    acc = match op {
                        Logic::And => v && acc,
                        Logic::Or => v || acc,
                    };
                }
                acc
            }
        }
    }
}

impl Operand {
    fn value(&self, m: &RoleMetrics) -> Option<f64> {
        match self {
            Operand::Num(x, _) => Some(*x),
            Operand::Metric(name) => m.mean(name).map(|x| (x * 100.0).round() / 100.0),
        }
    }

    fn trace(&self, value: Option<f64>, t: &mut String) {
        match (self, value) {
            (Operand::Num(_, text), _) => t.push_str(text),
            (Operand::Metric(name), Some(v)) => {
                let _ = write!(t, "{name}[{v}]");
            }
            (Operand::Metric(name), None) => {
                let _ = write!(t, "{name}[--]");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(vms: &[&[(&str, f64)]]) -> RoleMetrics {
        RoleMetrics::from_vms(vms.iter().map(|vm| vm.iter().map(|&(k, v)| (k, v))))
    }

    #[track_caller]
    fn holds(src: &str, m: &RoleMetrics) -> bool {
        match Expression::parse(src) {
            Ok(e) => e.eval(m),
            Err(e) => panic!("{src:?}: {e:#}"),
        }
    }

    #[track_caller]
    fn err(src: &str) -> ParseError {
        match Expression::parse(src) {
            Ok(e) => panic!("{src:?} parsed: {e:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn comparisons_on_role_averages() {
        // CPU mean (70 + 90) / 2 = 80; MEM only on the second VM.
        let m = metrics(&[&[("CPU", 70.0)], &[("CPU", 90.0), ("MEM", 512.0)]]);
        for (src, want) in [
            ("CPU == 80", true),
            ("CPU = 80", true),
            ("CPU != 80", false),
            ("CPU <> 79", true),
            ("CPU > 79.99", true),
            ("CPU > 80", false),
            ("CPU >= 80", true),
            ("CPU < 80.01", true),
            ("CPU <= 79", false),
            ("MEM == 512", true),
            ("cpu < mem", true),
            ("'cpu' == 80", true),
            ("\"Cpu\" >= 80", true),
            ("-5 < CPU", true),
            ("3 > 2", true),
        ] {
            assert_eq!(holds(src, &m), want, "{src}");
        }
    }

    #[test]
    fn metric_means_round_to_two_decimals_as_oneflow_does() {
        // (1 + 1 + 1.005) / 3 = 1.001666…, rounded to 1.0; 0.125 rounds half away to 0.13.
        let m = metrics(&[&[("A", 1.0)], &[("A", 1.0)], &[("A", 1.005)]]);
        assert!(holds("A == 1", &m));
        let m = metrics(&[&[("B", 0.125)]]);
        assert!(holds("B == 0.13", &m));
    }

    #[test]
    fn a_missing_metric_makes_its_comparison_false() {
        let m = metrics(&[&[("CPU", 50.0)]]);
        assert!(!holds("GPU > 0", &m));
        assert!(!holds("GPU <= 0", &m));
        assert!(!holds("GPU != 1", &m));
        assert!(holds("!(GPU > 0)", &m));
        assert!(holds("GPU > 0 || CPU == 50", &m));
        assert!(!holds("CPU > 0", &RoleMetrics::default()));
    }

    #[test]
    fn logic_groups_to_the_right_with_one_precedence() {
        // A true, B false, C true.
        let m = metrics(&[&[("A", 1.0), ("B", 0.0), ("C", 1.0)]]);
        // `B && A || C` is `B && (A || C)`: false (conventional precedence would say true).
        assert!(!holds("B == 1 && A == 1 || C == 1", &m));
        assert!(holds("(B == 1 && A == 1) || C == 1", &m));
        // `A || B && C`: `A || (B && C)` = true either way.
        assert!(holds("A == 1 || B == 1 && C == 1", &m));
        // `C || A && B`: `C || (A && B)` = true.
        assert!(holds("C == 1 | A == 1 & B == 1", &m));
        // `A && B || C` = `A && (B || C)` = true; `B || A && !C`: `B || (A && !C)` = false.
        assert!(holds("A == 1 && B == 1 || C == 1", &m));
        assert!(!holds("B == 1 || A == 1 && !C == 1", &m));
    }

    #[test]
    fn not_negates_everything_to_its_right() {
        let m = metrics(&[&[("A", 1.0), ("B", 0.0)]]);
        // `!A == 1 && B == 1` is `!(A == 1 && B == 1)` = !(true && false) = true.
        assert!(holds("!A == 1 && B == 1", &m));
        // With parentheses the `!` is bounded: `(!A == 1) && B == 1` = false.
        assert!(!holds("(!A == 1) && B == 1", &m));
        assert!(holds("!!A == 1", &m));
        assert!(holds("A == 1 && !(B == 1)", &m));
    }

    #[test]
    fn explain_shows_values_like_oneflow() {
        let m = metrics(&[&[("CPU", 85.5)], &[("CPU", 85.5)]]);
        let e = Expression::parse("cpu > 80 && !(GPU >= 1)").unwrap();
        assert_eq!(
            e.explain(&m),
            (true, "CPU[85.5] > 80 && !(GPU[--] >= 1)".to_owned())
        );
        assert_eq!(e.source(), "cpu > 80 && !(GPU >= 1)");
    }

    #[test]
    fn bad_input_is_rejected_where_it_is() {
        let e = err("CPU >");
        assert_eq!(e.column, 6);
        assert_eq!(
            e.message,
            "expected a number or a metric name after `>`, found end of input"
        );
        let e = err("CPU 80");
        assert_eq!(e.column, 5);
        assert_eq!(
            e.to_string(),
            "column 5: expected a comparison operator after `CPU`, found `80`; \
             use one of `==`, `!=`, `>`, `>=`, `<`, `<=`"
        );
        let e = err("(CPU > 80 && MEM < 2");
        assert_eq!(e.column, 21);
        assert!(e
            .message
            .starts_with("expected `)` to close the `(` at column 1"));
        assert_eq!(err("CPU > 80)").column, 9);
        assert_eq!(err("CPU > 80 MEM > 1").column, 10);
        assert_eq!(err("CPU > 80 &&").column, 12);
        assert_eq!(err("CPU >> 80").column, 6);
        assert_eq!(err("CPU > 1.5e3").column, 7);
        assert!(err("CPU > 1.5e3").hint.is_some());
        assert_eq!(err("CPU > - 5").column, 9);
        assert_eq!(err("CPU > \"80\"").column, 7);
        assert_eq!(err("CPU > 'x-y'").column, 7);
        assert_eq!(err("CPU + 1 > 2").column, 5);
        assert_eq!(err("CPU ≥ 80").column, 5);
        assert_eq!(err("").column, 1);
        assert_eq!(err("   ").message, "empty expression");
        assert_eq!(err("CPU > 80 ; rm").column, 10);
        // Requirement syntax that OneFlow lacks.
        assert_eq!(err("NETS @> 1").column, 6);
        assert_eq!(
            err(&"(".repeat(crate::expr::MAX_DEPTH + 1)).column,
            crate::expr::MAX_DEPTH + 1
        );
    }

    #[test]
    fn long_chains_do_not_recurse() {
        let src = vec!["A == 1"; 20_000].join(" && ");
        let m = metrics(&[&[("A", 1.0)]]);
        assert!(holds(&src, &m));
        let src = format!("{} || A == 1", vec!["A == 0"; 20_000].join(" || "));
        assert!(holds(&src, &m));
    }
}
