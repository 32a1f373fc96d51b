use super::glob::{wildcard, Glob};
use super::value::parse_num;
use super::*;
use std::collections::BTreeMap;

mod opennebula;

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
    let wildcard = |p, t| wildcard(Glob::Orrery, p, t);
    assert!(wildcard("", ""));
    assert!(!wildcard("", "a"));
    assert!(wildcard("**", ""));
    assert!(wildcard("ü?", "üß"));
    assert!(!wildcard("a*b", "a"));
    // Brackets are ordinary characters, a trailing `\` is itself.
    assert!(wildcard("[ab]", "[ab]") && !wildcard("[ab]", "a"));
    assert!(wildcard("a\\", "a\\"));
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
    assert!(Requirement::parse(&format!("{}A = 1{}", "(".repeat(100), ")".repeat(100))).is_ok());

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
