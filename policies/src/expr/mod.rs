//! Placement expressions: OpenNebula's `SCHED_REQUIREMENTS` / `SCHED_RANK` and
//! OpenStack Nova-style weighers.
//!
//! Parse an expression once ([`Requirement::parse`], [`Rank::parse`]), then evaluate it
//! against every candidate host ([`Requirement::eval`], [`Rank::eval`]). Attribute names
//! are upper-cased at parse time, so `hypervisor` and `HYPERVISOR` read the same attribute.
//!
//! # Requirements (boolean filter)
//!
//! ```text
//! expr     := and ( '|' and )*
//! and      := unary ( '&' unary )*
//! unary    := '!' unary | '(' expr ')' | operand cmp operand
//! cmp      := '=' | '!=' | '>' | '<' | '>=' | '<=' | '@>'
//! operand  := NAME | NUMBER | '-' NUMBER | "quoted string"
//! ```
//!
//! e.g. `HYPERVISOR = "kvm" & FREE_CPU >= 200 & !(HOSTNAME = "node1*")`.
//!
//! * A comparison whose operand names an attribute the host lacks is **false**
//!   (so `!(MISSING = 1)` is true). Evaluation never fails.
//! * If both sides parse as numbers they compare numerically (`"10" > "9"` is true);
//!   otherwise they compare as strings (`<`, `>` lexicographically by bytes).
//! * `=` / `!=` against a quoted string on the right are shell wildcard matches:
//!   `*` any run of characters, `?` one character, `\` makes the next character literal.
//! * `A @> v` holds if any element of the list attribute `A` equals `v` (with the `=`
//!   rules above); a scalar attribute is a one-element list. Any other comparison on a
//!   list reads its first element, an empty list counts as missing.
//! * An empty (or blank) expression is true.
//!
//! Differences from OpenNebula's bison grammar (`expr_bool.y`), all deliberate:
//! `>=` and `<=` exist; `|` binds looser than `&`, which binds looser than `!` (OpenNebula
//! gives all three one precedence, left-associative); a bare word on either side is an
//! attribute name (OpenNebula reads `HYPERVISOR = kvm` as the literal string `kvm`: quote
//! it here); both sides may be any operand; numbers compare as `f64` (OpenNebula truncates
//! the host's value to an integer when the literal is an integer); bracket classes
//! (`[a-c]`) are not wildcards; quoted strings have no escape sequences (as in OpenNebula).
//!
//! # Rank (arithmetic score, higher is better)
//!
//! ```text
//! sum      := product ( ('+' | '-') product )*
//! product  := unary ( ('*' | '/') unary )*
//! unary    := '-' unary | NUMBER | NAME | '(' sum ')'
//! ```
//!
//! e.g. `FREE_CPU - 0.5 * RUNNING_VMS` or `-TEMPERATURE`. A missing or non-numeric
//! attribute reads as 0, and division by zero yields 0 (OpenNebula's float division would
//! give an infinity that its cast to `int` leaves undefined; 0 keeps ranks finite and
//! deterministic). The result is the `f64` itself, not truncated to an integer. An empty
//! expression ranks every host 0.
//!
//! # Weighers
//!
//! [`weigh`] scores hosts as Nova's weight handler does: per weigher, each host's
//! attribute value is min–max normalised over the candidate hosts (all equal → 0), times
//! the multiplier, summed over weighers.
//!
//! Parsing allocates the tree; evaluation allocates nothing itself except when a host's
//! number is compared with a non-numeric string (the number is formatted). Nesting of
//! parentheses, `!` and unary `-` is limited to [`MAX_DEPTH`] so that hostile input cannot
//! exhaust the stack; chains of `&`, `|`, `+`, `*` are stored flat and have no limit.

use std::borrow::Cow;

pub(crate) mod syntax;

pub use syntax::ParseError;
use syntax::{Parser, Tok};

/// Deepest nesting of parentheses, `!` and unary `-` that the parsers accept.
pub const MAX_DEPTH: usize = 128;

/// A host attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Num(f64),
    /// A string; compared as a number when it parses as one.
    Str(String),
    /// A list (vector attribute), e.g. the networks or PCI devices of a host.
    List(Vec<String>),
}

/// Read access to one host's attributes.
pub trait Attributes {
    /// The value of attribute `name` (given upper-cased, e.g. `FREE_CPU`), `None` if absent.
    fn get(&self, name: &str) -> Option<Value>;
}

// ---------------------------------------------------------------------------------------
// Requirements

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
    Not(Box<Cond>),
    Cmp(Box<Cmp>),
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
    /// Parses a requirement expression; an empty expression accepts every host.
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        let mut p = Parser::new(src)?;
        if p.cur.kind == Tok::End {
            return Ok(Requirement { cond: Cond::True });
        }
        let cond = p.or_expr()?;
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
        let first = self.unary_cond()?;
        if self.cur.kind != Tok::And {
            return Ok(first);
        }
        let mut all = vec![first];
        while self.cur.kind == Tok::And {
            self.bump()?;
            all.push(self.unary_cond()?);
        }
        Ok(Cond::All(all))
    }

    fn unary_cond(&mut self) -> Result<Cond, ParseError> {
        match self.cur.kind {
            Tok::Not => {
                self.enter()?;
                self.bump()?;
                let inner = self.unary_cond()?;
                self.depth -= 1;
                Ok(Cond::Not(Box::new(inner)))
            }
            Tok::LParen => {
                self.enter()?;
                let open = self.bump()?;
                let inner = self.or_expr()?;
                self.close(open)?;
                self.depth -= 1;
                Ok(inner)
            }
            _ => {
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
                        return Err(self.expected(
                            "a comparison operator (`=`, `!=`, `<`, `<=`, `>`, `>=` or `@>`)",
                        ))
                    }
                };
                self.bump()?;
                let rhs = self.operand("a value")?;
                Ok(Cond::Cmp(Box::new(Cmp { lhs, op, rhs })))
            }
        }
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
                let text = &self.src[t.start + 1..t.end - 1];
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
            Cond::Not(c) => !c.eval(host),
            Cond::Cmp(c) => c.eval(host),
        }
    }

    #[cfg(test)]
    fn collect(&self, names: &mut Vec<String>) {
        match self {
            Cond::True => {}
            Cond::Any(v) | Cond::All(v) => v.iter().for_each(|c| c.collect(names)),
            Cond::Not(c) => c.collect(names),
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
    let equal = || if glob { wildcard(&b, &a) } else { a == b };
    match op {
        CmpOp::Eq | CmpOp::Contains => equal(),
        CmpOp::Ne => !equal(),
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

/// Shell wildcard match of the whole `text` (as `fnmatch(3)` without flags, minus
/// bracket classes): `*` any run, `?` one character, `\x` a literal `x`.
fn wildcard(pattern: &str, text: &str) -> bool {
    enum Elem {
        Star,
        Any,
        Char(char),
        End,
    }
    fn next(p: &mut std::str::Chars<'_>) -> Elem {
        match p.next() {
            None => Elem::End,
            Some('*') => Elem::Star,
            Some('?') => Elem::Any,
            Some('\\') => Elem::Char(p.next().unwrap_or('\\')),
            Some(c) => Elem::Char(c),
        }
    }
    let (mut p, mut t) = (pattern.chars(), text.chars());
    // Where to resume after the last `*`: the pattern after it, the text it has swallowed.
    let mut star = None;
    loop {
        let elem = next(&mut p);
        if let Elem::Star = elem {
            star = Some((p.clone(), t.clone()));
            continue;
        }
        let mut peek = t.clone();
        let ok = match (elem, peek.next()) {
            (Elem::End, None) => return true,
            (Elem::Any, Some(_)) => true,
            (Elem::Char(c), Some(d)) => c == d,
            _ => false,
        };
        if ok {
            t = peek;
            continue;
        }
        match &mut star {
            Some((sp, st)) => {
                if st.next().is_none() {
                    return false;
                }
                p = sp.clone();
                t = st.clone();
            }
            None => return false,
        }
    }
}

/// `s` as a number if it is one (optional sign, digits, fraction, exponent; surrounding
/// whitespace ignored). Unlike `str::parse`, rejects `inf` and `NaN`.
fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim();
    let b = t.as_bytes();
    let body = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    let starts_ok = body
        .first()
        .is_some_and(|c| c.is_ascii_digit() || *c == b'.');
    let chars_ok = body
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if starts_ok && chars_ok {
        t.parse().ok()
    } else {
        None
    }
}

/// A value as a number: a list reads its first element; `None` if not numeric.
fn numeric(v: &Value) -> Option<f64> {
    match v {
        Value::Num(x) => Some(*x),
        Value::Str(s) => parse_num(s),
        Value::List(l) => l.first().and_then(|s| parse_num(s)),
    }
}

// ---------------------------------------------------------------------------------------
// Rank

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

// ---------------------------------------------------------------------------------------
// Weighers

/// One Nova-style weigher: a numeric host attribute and the multiplier of its normalised
/// value (negative to prefer hosts with low values).
#[derive(Debug, Clone, PartialEq)]
pub struct Weigher {
    /// Attribute name (matched case-insensitively).
    pub attribute: String,
    /// Weight of this attribute's normalised value in the score.
    pub multiplier: f64,
}

/// Scores `hosts` (in their order; highest wins), as Nova's weight handler does: for
/// each weigher, the hosts' values are min–max normalised to [0, 1] over `hosts` (all
/// equal → 0, as Nova's `normalize`), multiplied by the multiplier and added up.
///
/// A host whose value is missing, non-numeric or not finite is left out of the min and
/// max and scores as the worst host for that weigher: normalised 0 for a positive
/// multiplier, 1 for a negative one.
pub fn weigh(weighers: &[Weigher], hosts: &[&dyn Attributes]) -> Vec<f64> {
    let mut scores = vec![0.0; hosts.len()];
    let mut values = Vec::with_capacity(hosts.len());
    for w in weighers {
        let name = w.attribute.to_ascii_uppercase();
        values.clear();
        values.extend(hosts.iter().map(|h| {
            h.get(&name)
                .as_ref()
                .and_then(numeric)
                .filter(|x| x.is_finite())
        }));
        let (min, max) = values
            .iter()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let range = max - min;
        let missing = if w.multiplier < 0.0 { 1.0 } else { 0.0 };
        for (score, value) in scores.iter_mut().zip(&values) {
            let norm = match value {
                Some(x) if range > 0.0 => (x - min) / range,
                Some(_) => 0.0,
                None => missing,
            };
            *score += w.multiplier * norm;
        }
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Host(BTreeMap<String, Value>);

    impl Attributes for Host {
        fn get(&self, name: &str) -> Option<Value> {
            self.0.get(name).cloned()
        }
    }

    fn host(pairs: &[(&str, Value)]) -> Host {
        Host(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn n(x: f64) -> Value {
        Value::Num(x)
    }

    fn s(x: &str) -> Value {
        Value::Str(x.to_owned())
    }

    fn list(xs: &[&str]) -> Value {
        Value::List(xs.iter().map(|x| x.to_string()).collect())
    }

    fn node1() -> Host {
        host(&[
            ("HOSTNAME", s("node1")),
            ("HYPERVISOR", s("kvm")),
            ("FREE_CPU", n(400.0)),
            ("FREE_MEM", s("2048")),
            ("CLUSTER_ID", n(3.0)),
            ("RUNNING_VMS", n(4.0)),
            ("TEMPERATURE", n(41.5)),
            ("VERSION", s("10")),
            ("NETS", list(&["public", "private", "storage"])),
            ("CLUSTER_IDS", list(&["1", "3"])),
            ("EMPTY", list(&[])),
        ])
    }

    #[track_caller]
    fn ok(src: &str, h: &Host) -> bool {
        match Requirement::parse(src) {
            Ok(r) => r.eval(h),
            Err(e) => panic!("{src:?}: {e:#}"),
        }
    }

    #[track_caller]
    fn rank(src: &str, h: &Host) -> f64 {
        match Rank::parse(src) {
            Ok(r) => r.eval(h),
            Err(e) => panic!("{src:?}: {e:#}"),
        }
    }

    #[track_caller]
    fn err(src: &str) -> ParseError {
        match Requirement::parse(src) {
            Ok(r) => panic!("{src:?} parsed: {r:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn each_comparison_operator() {
        let h = node1();
        assert!(ok("FREE_CPU = 400", &h));
        assert!(!ok("FREE_CPU = 401", &h));
        assert!(ok("FREE_CPU != 401", &h));
        assert!(!ok("FREE_CPU != 400", &h));
        assert!(ok("FREE_CPU > 399.5", &h));
        assert!(!ok("FREE_CPU > 400", &h));
        assert!(ok("FREE_CPU < 400.5", &h));
        assert!(!ok("FREE_CPU < 400", &h));
        assert!(ok("FREE_CPU >= 400", &h));
        assert!(!ok("FREE_CPU >= 400.1", &h));
        assert!(ok("FREE_CPU <= 400", &h));
        assert!(!ok("FREE_CPU <= 399", &h));
        assert!(ok("HYPERVISOR = \"kvm\"", &h));
        assert!(ok("HYPERVISOR != \"xen\"", &h));
        assert!(!ok("HYPERVISOR != \"kvm\"", &h));
        // Negative literals, exponents, string-held numbers, attribute vs attribute.
        assert!(ok("TEMPERATURE > -5", &h));
        assert!(ok("TEMPERATURE > - 5.25e1", &h));
        assert!(ok("FREE_MEM >= 2e3", &h));
        assert!(ok("FREE_CPU > RUNNING_VMS", &h));
        // Names are case-insensitive.
        assert!(ok("hypervisor = \"kvm\" & Free_Cpu>=400", &h));
    }

    #[test]
    fn wildcards() {
        let h = node1();
        assert!(ok("HOSTNAME = \"node*\"", &h));
        assert!(ok("HOSTNAME = \"n?de1\"", &h));
        assert!(ok("HOSTNAME = \"*\"", &h));
        assert!(ok("HOSTNAME = \"*1\"", &h));
        assert!(ok("HOSTNAME = \"n*d*1\"", &h));
        assert!(!ok("HOSTNAME = \"n?de\"", &h));
        assert!(!ok("HOSTNAME = \"node1?\"", &h));
        assert!(!ok("HOSTNAME = \"host*\"", &h));
        assert!(ok("HOSTNAME != \"host*\"", &h));
        assert!(!ok("HOSTNAME != \"node*\"", &h));
        // `\` makes the next character literal.
        let star = host(&[("NAME", s("a*"))]);
        assert!(ok(r#"NAME = "a\*""#, &star));
        assert!(!ok(r#"NAME = "a\*""#, &host(&[("NAME", s("ab"))])));
        // Wildcards only in the right-hand quoted string.
        assert!(!ok("\"node*\" = HOSTNAME", &h));
        assert!(wildcard("", ""));
        assert!(!wildcard("", "a"));
        assert!(wildcard("**", ""));
        assert!(wildcard("ü?", "üß"));
        assert!(!wildcard("a*b", "a"));
    }

    #[test]
    fn contains_on_lists() {
        let h = node1();
        assert!(ok("NETS @> \"private\"", &h));
        assert!(!ok("NETS @> \"dmz\"", &h));
        assert!(ok("NETS @> \"stor*\"", &h));
        assert!(ok("CLUSTER_IDS @> 3", &h));
        assert!(ok("CLUSTER_IDS @> 3.0", &h));
        assert!(!ok("CLUSTER_IDS @> 2", &h));
        assert!(!ok("EMPTY @> \"x\"", &h));
        // A scalar is a one-element list.
        assert!(ok("HYPERVISOR @> \"kvm\"", &h));
        assert!(ok("CLUSTER_ID @> 3", &h));
        // Other comparisons read a list's first element; an empty list is missing.
        assert!(ok("NETS = \"public\"", &h));
        assert!(!ok("NETS = \"private\"", &h));
        assert!(!ok("EMPTY != \"x\"", &h));
    }

    #[test]
    fn precedence() {
        let a_only = host(&[("A", n(1.0)), ("B", n(0.0)), ("C", n(0.0))]);
        let b_only = host(&[("A", n(0.0)), ("B", n(2.0)), ("C", n(0.0))]);
        let b_and_c = host(&[("A", n(0.0)), ("B", n(2.0)), ("C", n(3.0))]);
        let src = "A = 1 | B = 2 & C = 3";
        // `A = 1 | (B = 2 & C = 3)`, not `(A = 1 | B = 2) & C = 3`.
        assert!(ok(src, &a_only));
        assert!(!ok(src, &b_only));
        assert!(ok(src, &b_and_c));
        assert!(ok("B = 2 & C = 3 | A = 1", &a_only));
        // `!` binds tighter than `&` but looser than a comparison.
        assert!(ok("!A = 0 & B = 0", &a_only));
        assert!(!ok("!(A = 1 & B = 0)", &a_only));
        assert!(ok("!A = 1 | B = 0", &a_only));
    }

    #[test]
    fn not_and_parentheses() {
        let h = node1();
        assert!(!ok("!(HYPERVISOR = \"kvm\")", &h));
        assert!(ok("!!(HYPERVISOR = \"kvm\")", &h));
        assert!(ok("!(HYPERVISOR = \"xen\" | FREE_CPU < 100)", &h));
        assert!(!ok(
            "(HYPERVISOR = \"xen\" | FREE_CPU > 100) & CLUSTER_ID = 4",
            &h
        ));
        assert!(ok(
            "((HYPERVISOR = \"xen\") | (FREE_CPU > 100)) & CLUSTER_ID = 3",
            &h
        ));
        assert!(ok("", &h));
        assert!(ok("   ", &h));
    }

    #[test]
    fn missing_attributes() {
        let h = node1();
        assert!(!ok("GPU = 1", &h));
        assert!(!ok("GPU != 1", &h));
        assert!(!ok("GPU > 0", &h));
        assert!(!ok("GPU <= 0", &h));
        assert!(!ok("GPU = \"*\"", &h));
        assert!(!ok("GPU @> \"x\"", &h));
        assert!(!ok("FREE_CPU > GPU", &h));
        assert!(ok("!(GPU = 1)", &h));
        assert!(ok("GPU = 1 | FREE_CPU = 400", &h));
        let r = Requirement::parse("gpu = 1 | FREE_CPU > X & !(gpu = 2)").unwrap();
        assert_eq!(r.attributes(), ["FREE_CPU", "GPU", "X"]);
    }

    #[test]
    fn numeric_versus_string() {
        let h = node1();
        // Both numeric: numerically.
        assert!(ok("\"10\" > \"9\"", &h));
        assert!(ok("VERSION > \"9\"", &h));
        assert!(ok("VERSION > 9", &h));
        assert!(ok("\"10\" = 10.0", &h));
        assert!(ok("FREE_MEM = 2048", &h));
        assert!(ok("\" 7 \" = 7", &h));
        // Otherwise as strings, lexicographically.
        assert!(ok("\"10a\" < \"9\"", &h));
        assert!(ok("\"abc\" < \"abd\"", &h));
        assert!(!ok("\"abc\" > \"abd\"", &h));
        assert!(ok("HYPERVISOR > \"esx\"", &h));
        assert!(ok("HYPERVISOR >= \"kvm\" & HYPERVISOR <= \"kvm\"", &h));
        assert!(!ok("FREE_CPU = \"fast\"", &h));
        assert!(ok("FREE_CPU != \"fast\"", &h));
        assert!(ok("FREE_CPU = \"4*\"", &h));
        // `inf` and `nan` are strings, not numbers.
        assert!(ok("\"nan\" = \"nan\"", &h));
        assert!(parse_num("inf").is_none() && parse_num("NaN").is_none());
        assert_eq!(parse_num("-.5"), Some(-0.5));
        assert_eq!(parse_num("1e"), None);
    }

    #[test]
    fn rank_arithmetic() {
        let h = node1();
        assert_eq!(rank("FREE_CPU - 0.5 * RUNNING_VMS", &h), 398.0);
        assert_eq!(rank("-TEMPERATURE", &h), -41.5);
        assert_eq!(rank("(FREE_CPU - 0.5) * RUNNING_VMS", &h), 1598.0);
        assert_eq!(rank("2 * -3 + 1", &h), -5.0);
        assert_eq!(rank("- -4", &h), 4.0);
        assert_eq!(rank("-(1 + 2) * 2", &h), -6.0);
        assert_eq!(rank("10 - 4 - 3", &h), 3.0);
        assert_eq!(rank("8 / 4 / 2", &h), 1.0);
        assert_eq!(rank("1 + 2 * 3 - 4 / 2", &h), 5.0);
        assert_eq!(rank("free_mem / 1024", &h), 2.0);
        assert_eq!(rank("CLUSTER_IDS * 10", &h), 10.0);
        // Missing or non-numeric → 0; division by zero → 0.
        assert_eq!(rank("GPU + 1", &h), 1.0);
        assert_eq!(rank("HYPERVISOR + 1", &h), 1.0);
        assert_eq!(rank("FREE_CPU / 0", &h), 0.0);
        assert_eq!(rank("FREE_CPU / GPU + 7", &h), 7.0);
        assert_eq!(rank("", &h), 0.0);
        let r = Rank::parse("free_cpu - 0.5 * RUNNING_VMS + FREE_CPU").unwrap();
        assert_eq!(r.attributes(), ["FREE_CPU", "RUNNING_VMS"]);
    }

    #[test]
    fn weigher_normalisation() {
        let a = host(&[("FREE_CPU", n(100.0)), ("RUNNING_VMS", n(2.0))]);
        let b = host(&[("FREE_CPU", n(200.0)), ("RUNNING_VMS", n(4.0))]);
        let c = host(&[("FREE_CPU", s("400")), ("RUNNING_VMS", n(2.0))]);
        let hosts: [&dyn Attributes; 3] = [&a, &b, &c];
        let weighers = [
            Weigher {
                attribute: "free_cpu".into(),
                multiplier: 1.0,
            },
            Weigher {
                attribute: "RUNNING_VMS".into(),
                multiplier: -0.5,
            },
        ];
        // FREE_CPU 100, 200, 400 → 0, 1/3, 1; RUNNING_VMS 2, 4, 2 → 0, 1, 0 (× -0.5).
        let scores = weigh(&weighers, &hosts);
        assert_eq!(scores, [0.0, 1.0 / 3.0 - 0.5, 1.0]);
        // All equal → 0.
        let equal = [Weigher {
            attribute: "X".into(),
            multiplier: 5.0,
        }];
        let x = host(&[("X", n(7.0))]);
        assert_eq!(weigh(&equal, &[&x, &x, &x]), [0.0, 0.0, 0.0]);
        // A missing value is the worst host for its weigher, whatever the sign.
        let none = host(&[]);
        let hosts: [&dyn Attributes; 3] = [&a, &none, &c];
        assert_eq!(weigh(&weighers[..1], &hosts), [0.0, 0.0, 1.0]);
        assert_eq!(weigh(&weighers[1..], &hosts), [0.0, -0.5, 0.0]);
        assert!(weigh(&weighers, &[]).is_empty());
        assert_eq!(weigh(&[], &hosts), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn parse_error_columns() {
        let e = err("(FREE_CPU > 1 & A = 2");
        assert_eq!((e.offset, e.column), (21, 22));
        assert_eq!(
            e.message,
            "expected `)` to close the `(` at column 1, found end of input"
        );

        let e = err("CPU >");
        assert_eq!((e.offset, e.column), (5, 6));
        assert_eq!(e.message, "expected a value after `>`, found end of input");

        let e = err("CPU # 3");
        assert_eq!((e.offset, e.column), (4, 5));
        assert_eq!(e.message, "unexpected character `#`");

        let e = err("HOSTNAME = \"node*");
        assert_eq!((e.offset, e.column), (11, 12));
        assert_eq!(e.message, "unterminated string: no closing `\"`");

        let e = err("A = 1 B");
        assert_eq!((e.offset, e.column), (6, 7));
        assert_eq!(
            e.message,
            "expected `&`, `|` or end of input after `1`, found `B`"
        );

        // Columns count characters, offsets bytes.
        let e = err("NAME = \"é\" # 1");
        assert_eq!((e.offset, e.column), (12, 12));

        let e = err("A = 1 &");
        assert_eq!(e.column, 8);
        assert_eq!(
            e.message,
            "expected a comparison, `!` or `(` after `&`, found end of input"
        );
        let e = err("FREE_CPU 3");
        assert_eq!(e.column, 10);
        assert!(e.message.starts_with("expected a comparison operator"));
        assert_eq!(err("A = -x").column, 6);
        assert_eq!(err("A = 1.").column, 7);
        assert_eq!(err("A @ 1").column, 3);
        // OneFlow's spellings are not requirement syntax: each is rejected whole, where it is.
        assert_eq!(err("A == 1").column, 3);
        assert_eq!(err("A = 1 && B = 2").column, 7);
        assert_eq!(err("A <> 1").column, 3);
        let e = err("A = 'x'");
        assert_eq!(e.column, 5);
        assert_eq!(
            e.to_string(),
            "column 5: single quotes do not make a string here; quote strings with `\"`, as OpenNebula does"
        );
        assert_eq!(err(")").column, 1);
        assert_eq!(err(&"(".repeat(MAX_DEPTH + 1)).column, MAX_DEPTH + 1);
        assert!(
            Requirement::parse(&format!("{}A = 1{}", "(".repeat(100), ")".repeat(100))).is_ok()
        );

        let e = Rank::parse("FREE_CPU * (2 + ").unwrap_err();
        assert_eq!(
            (e.column, e.message.as_str()),
            (
                17,
                "expected a number, an attribute name or `(` after `+`, found end of input"
            )
        );
        let e = Rank::parse("FREE_CPU 2").unwrap_err();
        assert_eq!(e.column, 10);
        assert_eq!(Rank::parse("\"A\"").unwrap_err().column, 1);
        assert_eq!(Rank::parse("A = 1").unwrap_err().column, 3);
    }

    #[test]
    fn display() {
        let e = err("CPU > ");
        assert_eq!(
            e.to_string(),
            "column 7: expected a value after `>`, found end of input"
        );
        assert_eq!(
            format!("{e:#}"),
            "column 7: expected a value after `>`, found end of input\n  CPU > \n        ^"
        );
    }

    #[test]
    fn flat_chains_do_not_recurse() {
        let src = vec!["A = 1"; 50_000].join(" & ");
        let r = Requirement::parse(&src).unwrap();
        assert!(r.eval(&host(&[("A", n(1.0))])));
        let src = vec!["1"; 50_000].join(" + ");
        assert_eq!(Rank::parse(&src).unwrap().eval(&host(&[])), 50_000.0);
    }
}
