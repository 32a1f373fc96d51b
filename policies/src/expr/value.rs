//! Host attribute values as expressions read them, and the bound on nesting.

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

/// `s` as a number if it is one (optional sign, digits, fraction, exponent; surrounding
/// whitespace ignored). Unlike `str::parse`, rejects `inf` and `NaN`.
pub(crate) fn parse_num(s: &str) -> Option<f64> {
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
pub(crate) fn numeric(v: &Value) -> Option<f64> {
    match v {
        Value::Num(x) => Some(*x),
        Value::Str(s) => parse_num(s),
        Value::List(l) => l.first().and_then(|s| parse_num(s)),
    }
}
