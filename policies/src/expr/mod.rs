//! Placement expressions: OpenNebula's `SCHED_REQUIREMENTS` / `SCHED_RANK` and
//! OpenStack Nova-style weighers.
//!
//! Parse an expression once ([`Requirement::parse_in`], [`Rank::parse_in`]) in one of two
//! [`Dialect`]s, then evaluate it against every candidate host ([`Requirement::eval`],
//! [`Rank::eval`]). orrery's own dialect (the default, `parse` without `_in`) is described
//! first; [OpenNebula's](#the-opennebula-dialect) reproduces its scheduler's parsers.
//!
//! In orrery's dialect attribute names are upper-cased at parse time, so `hypervisor` and
//! `HYPERVISOR` read the same attribute.
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
//! The opennebula dialect has none of these differences.
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
//! # The opennebula dialect
//!
//! `[policies] expressions = "opennebula"` decides exactly as OpenNebula's scheduler does:
//! its lexer `src/parsers/expr_parser.l`, requirements `expr_bool.y`, rank `expr_arith.y`,
//! and host attributes read as `ObjectXML::search` reads them.
//!
//! ```text
//! requirement := term ( ('&' | '|') term )*        (left to right, one precedence)
//! term        := '!' term | '(' requirement ')' | STRING cmp value
//! cmp         := '=' | '!' '=' | '>' | '<' | '@' '>'
//! value       := INTEGER | FLOAT | STRING          ('>' and '<' take numbers only)
//! rank        := product ( ('+' | '-') product )*
//! product     := factor ( ('*' | '/') factor )*
//! factor      := '-' product | INTEGER | FLOAT | STRING | '(' rank ')'
//! STRING      := [A-Za-z][A-Za-z0-9_]* | "…"      INTEGER := -?[0-9]+    FLOAT := -?[0-9]+.[0-9]+
//! ```
//!
//! * `A | B & C` is `(A | B) & C`; `!` negates the one term after it. No `>=` or `<=`.
//! * A bare word on the right of `=` is a string; a string is an `fnmatch(3)` pattern (glibc,
//!   C locale: by bytes, with `[…]` classes); `""` matches nothing, with `!=` too.
//! * The attribute is on the left, found by its exact name (a name with a lower-case letter
//!   finds nothing: OpenNebula upper-cases attribute names). A comparison with a missing
//!   attribute is false, `!=` included; so is one whose value does not read as the literal's
//!   type. Against an `INTEGER` the host's value reads as an `int` (`41.5` is 41), against a
//!   `FLOAT` as a `float`; a list's first element that reads so is compared, and `@>` looks at
//!   every element.
//! * `-5` is one token, so `A -1` and `A-1` are syntax errors and `A - 1` is not; `- 5` is not
//!   a value. Characters no token starts with (`'`, `#`, `.` after a number, …) are skipped.
//! * Rank: `INTEGER` is `atoi`'s `int`, then everything is `float` (`f32`) arithmetic, a
//!   missing attribute reads 0, `x / 0` is infinite; only the result is truncated to `int`
//!   (x86-64's: NaN and out-of-range give `i32::MIN`). `A / - B * C` is `A / -(B * C)`.
//!
//! # Weighers
//!
//! [`weigh`] scores hosts as Nova's weight handler does: per weigher, each host's
//! attribute value is min–max normalised over the candidate hosts (all equal → 0), times
//! the multiplier, summed over weighers.
//!
//! Parsing allocates the tree; evaluation allocates nothing itself except when a host's
//! number is read as text: compared with a non-numeric string, or (opennebula dialect) with
//! a string or read as a `float` when it is not one exactly (the number is formatted). Nesting of
//! parentheses, `!` and unary `-` is limited to [`MAX_DEPTH`] so that hostile input cannot
//! exhaust the stack; chains of `&`, `|`, `+`, `*` are stored flat and have no limit.

mod cnum;
mod error;
mod glob;
mod lexer;
mod opennebula;
mod rank;
mod requirement;
pub(crate) mod syntax;
mod value;
mod weigh;

pub use error::ParseError;
pub use orrery_engine::scenario::ExpressionDialect as Dialect;
pub use rank::Rank;
pub use requirement::Requirement;
pub use value::{Attributes, Value, MAX_DEPTH};
pub use weigh::{weigh, Weigher};

#[cfg(test)]
mod tests;
