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

mod rank;
mod requirement;
pub(crate) mod syntax;
mod value;
mod weigh;

pub use rank::Rank;
pub use requirement::Requirement;
pub use syntax::ParseError;
pub use value::{Attributes, Value, MAX_DEPTH};
pub use weigh::{weigh, Weigher};

#[cfg(test)]
mod tests;
