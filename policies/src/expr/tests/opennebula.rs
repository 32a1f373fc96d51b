//! The opennebula dialect, case by case: each expected answer is the one OpenNebula's scheduler
//! gives (its lexer `expr_parser.l` and grammars `expr_bool.y` / `expr_arith.y`, worked by hand
//! and checked against them compiled); where orrery's dialect answers otherwise, both answers.

use super::*;

const ON: Dialect = Dialect::OpenNebula;

/// A host as OpenNebula's XML shows one: every value is text; `NETS` has three elements.
fn ursa() -> Host {
    host(&[
        ("HOSTNAME", s("ursa01")),
        ("HYPERVISOR", s("kvm")),
        ("FREE_CPU", s("400")),
        ("TEMPERATURE", s("41.5")),
        ("LOAD", s("0.10000000149")),
        ("VERSION", s("10abc")),
        ("PADDED", s(" 7")),
        ("BIG", s("1e3")),
        ("NETS", list(&["public", "3", "private"])),
        ("EMPTY", list(&[])),
        ("BLANK", s("")),
        ("ACCENT", s("é")),
        ("SLASHED", s("a\\")),
    ])
}

#[track_caller]
fn on(src: &str, h: &Host) -> bool {
    match Requirement::parse_in(src, ON) {
        Ok(r) => r.eval(h),
        Err(e) => panic!("{src:?}: {e:#}"),
    }
}

#[track_caller]
fn on_rank(src: &str, h: &Host) -> f64 {
    match Rank::parse_in(src, ON) {
        Ok(r) => r.eval(h),
        Err(e) => panic!("{src:?}: {e:#}"),
    }
}

#[track_caller]
fn on_err(src: &str) -> ParseError {
    match Requirement::parse_in(src, ON) {
        Ok(r) => panic!("{src:?} parsed: {r:?}"),
        Err(e) => e,
    }
}

#[track_caller]
fn on_rank_err(src: &str) -> ParseError {
    match Rank::parse_in(src, ON) {
        Ok(r) => panic!("{src:?} parsed: {r:?}"),
        Err(e) => e,
    }
}

#[test]
fn and_or_not_share_one_precedence_left_to_right() {
    let a_only = host(&[("A", s("1")), ("B", s("0")), ("C", s("0"))]);
    // (A = 1 | B = 2) & C = 3 here; A = 1 | (B = 2 & C = 3) in orrery's dialect.
    assert!(!on("A = 1 | B = 2 & C = 3", &a_only));
    assert!(ok("A = 1 | B = 2 & C = 3", &a_only));
    assert!(on("B = 2 & C = 3 | A = 1", &a_only));
    // `!` negates the one term after it: ((!A = 1) | B = 1) & C = 1.
    let none = host(&[("A", s("0")), ("B", s("0")), ("C", s("0"))]);
    assert!(!on("!A = 1 | B = 1 & C = 1", &none));
    assert!(ok("!A = 1 | B = 1 & C = 1", &none));
    assert!(!on("!(A = 1 & B = 0)", &a_only));
    // Long mixed chains stay flat.
    let src = vec!["A = 1 | B = 1 & C = 0"; 20_000].join(" & ");
    assert!(on(&src, &a_only));
}

#[test]
fn a_bare_word_on_the_right_is_a_string_and_strings_are_fnmatch_patterns() {
    let h = ursa();
    assert!(on("HYPERVISOR = kvm", &h));
    // orrery reads `kvm` as an attribute the host lacks.
    assert!(!ok("HYPERVISOR = kvm", &h));
    assert!(!on("HYPERVISOR = KVM", &h));
    assert!(on("HOSTNAME = ursa01", &h));
    assert!(on("HOSTNAME = \"ursa*\"", &h) && ok("HOSTNAME = \"ursa*\"", &h));
    assert!(!on("HOSTNAME = \"URSA*\"", &h));
    // Bracket expressions are patterns here, ordinary characters in orrery's dialect.
    assert!(on("HOSTNAME = \"ursa0[1]\"", &h));
    assert!(!ok("HOSTNAME = \"ursa0[1]\"", &h));
    assert!(on("HOSTNAME = \"ursa0[0-9]\"", &h));
    assert!(!on("HOSTNAME = \"ursa0[!1]\"", &h));
    assert!(!on("HOSTNAME = \"ursa0[^1]\"", &h));
    assert!(on("HOSTNAME = \"[[:alpha:]]*\"", &h));
    // `?` is one byte (the C locale): `é` is two.
    assert!(!on("ACCENT = \"?\"", &h) && on("ACCENT = \"??\"", &h));
    assert!(ok("ACCENT = \"?\"", &h));
    // A trailing `\` never matches in fnmatch; in orrery's dialect it is itself.
    assert!(!on(r#"SLASHED = "a\""#, &h));
    assert!(ok(r#"SLASHED = "a\""#, &h));
    // `""` matches nothing, not even with `!=`; an empty value matches `*`.
    assert!(!on("HOSTNAME = \"\"", &h) && !on("HOSTNAME != \"\"", &h));
    assert!(on("BLANK = \"*\"", &h));
    // A glob is no bare word: `*` is an operator token.
    assert!(on_err("HOSTNAME = ursa*").message.contains("found `*`"));
}

#[test]
fn there_is_no_greater_or_less_or_equal() {
    let h = ursa();
    let e = on_err("FREE_CPU >= 400");
    assert_eq!(e.column, 11);
    assert_eq!(e.message, "expected a number after `>`, found `=`");
    assert!(e.hint.as_deref().unwrap().contains("no `>=` or `<=`"));
    assert_eq!(on_err("FREE_CPU <= 400").column, 11);
    assert!(ok("FREE_CPU >= 400", &h));
    assert!(on("FREE_CPU > 399 | FREE_CPU = 400", &h));
    // `>` and `<` take numbers only.
    let e = on_err("FREE_CPU > kvm");
    assert!(e.hint.as_deref().unwrap().contains("numbers only"), "{e}");
}

#[test]
fn a_comparison_on_a_missing_attribute_is_false_even_with_not_equal() {
    let h = ursa();
    for src in [
        "GPU = 1",
        "GPU != 1",
        "GPU != 1.5",
        "GPU != \"x\"",
        "GPU @> 1",
        "GPU > 0",
        "GPU < 0",
        "EMPTY != \"x\"",
        "EMPTY @> \"*\"",
    ] {
        assert!(!on(src, &h), "{src}");
    }
    assert!(on("!(GPU = 1)", &h));
    // A value that does not read as the literal's type counts as missing.
    assert!(!on("HYPERVISOR != 1", &h));
    assert!(ok("HYPERVISOR != 1", &h));
    assert!(!on("BLANK != 1", &h));
    // Names are exact and OpenNebula's are upper-case: a lower-case name finds nothing.
    assert!(!on("hypervisor = kvm", &h));
    assert!(ok("hypervisor = \"kvm\"", &h));
}

#[test]
fn the_host_value_reads_as_the_literal_type() {
    let h = ursa();
    // Against an INTEGER the value reads as an int: 41.5 is 41.
    assert!(on("TEMPERATURE = 41", &h) && !ok("TEMPERATURE = 41", &h));
    assert!(!on("TEMPERATURE > 41", &h) && ok("TEMPERATURE > 41", &h));
    // Against a FLOAT, as a float.
    assert!(on("TEMPERATURE > 41.0", &h) && on("TEMPERATURE = 41.5", &h));
    assert!(!on("TEMPERATURE < 41.5", &h));
    // `>>` reads a prefix and skips leading white space.
    assert!(on("VERSION = 10", &h) && !ok("VERSION = 10", &h));
    assert!(on("PADDED = 7", &h));
    assert!(!on("BIG > 1", &h) && on("BIG > 1.0", &h) && ok("BIG > 1", &h));
    // Floats compare as `float`: 0.10000000149 and 0.1 are the same f32.
    assert!(on("LOAD = 0.1", &h) && !ok("LOAD = 0.1", &h));
    // An INTEGER literal is atoi's: 3000000000 wraps to -1294967296.
    assert!(on("FREE_CPU > 3000000000", &h) && !ok("FREE_CPU > 3000000000", &h));
    // A host's number reads as its text would.
    let nums = host(&[("T", n(41.5)), ("HUGE", n(1e10)), ("F", n(400.0))]);
    assert!(on("T = 41", &nums) && on("F = 400", &nums) && on("F = \"4*\"", &nums));
    assert!(!on("HUGE > 1", &nums) && on("HUGE > 1.0", &nums));
    assert!(ok("HUGE > 1", &nums));
}

#[test]
fn vector_attributes() {
    let h = ursa();
    assert!(on("NETS = \"public\"", &h) && !on("NETS = \"private\"", &h));
    assert!(on("NETS @> \"private\"", &h) && on("NETS @> \"priv*\"", &h));
    // A numeric comparison takes the first element that reads as a number.
    assert!(on("NETS = 3", &h) && !ok("NETS = 3", &h));
    assert!(!on("NETS != 3", &h));
    assert!(on("NETS @> 3.0", &h) && !on("NETS @> 4", &h));
    assert!(!on("NETS != \"public\"", &h) && on("NETS != \"private\"", &h));
}

#[test]
fn lexing() {
    let h = ursa();
    // Single quotes are no quotes: flex skips them.
    assert!(on("HYPERVISOR = 'kvm'", &h));
    assert_eq!(err("HYPERVISOR = 'kvm'").column, 14);
    // A quoted string on the left is an attribute name too.
    assert!(on("\"HYPERVISOR\" = kvm", &h));
    // Operators are single characters: `! =` and `@ >` work.
    assert!(on("FREE_CPU ! = 401", &h) && on("NETS @ > \"public\"", &h));
    assert!(on_err("FREE_CPU == 400").message.contains("found `=`"));
    assert!(on_err("FREE_CPU = 400 && HYPERVISOR = kvm")
        .message
        .contains("found `&`"));
    // Numbers: `-5` is one token; no exponent; a `.` with no digit after it is skipped.
    assert!(on("TEMPERATURE > -5", &h));
    let e = on_err("TEMPERATURE > - 5");
    assert_eq!(e.column, 15);
    assert!(e.hint.as_deref().unwrap().contains("no space"), "{e}");
    assert!(ok("TEMPERATURE > - 5", &h));
    assert!(on("FREE_CPU = 400.", &h) && on("FREE_CPU > 399.5", &h));
    assert!(on_err("FREE_CPU = 4e2").message.contains("found `e2`"));
    assert!(ok("FREE_CPU = 4e2", &h));
    // What no token starts with is skipped, so an unterminated string comes apart.
    assert!(on("#", &h));
    assert_eq!(err("#").column, 1);
    assert!(on_err("HOSTNAME = \"ursa*").message.contains("found `*`"));
    // The attribute comes first, and it has a name.
    assert!(on_err("5 = FREE_CPU").hint.is_some());
    let e = on_err("\"\" = 1");
    assert_eq!(
        (e.column, e.message.as_str()),
        (1, "an attribute name cannot be empty")
    );
    assert!(Requirement::parse_in("", ON).unwrap().eval(&h));
    // The expression is a C string: it ends at a NUL.
    assert!(on("HYPERVISOR = kvm\0 & nonsense (", &h));
}

#[test]
fn rank_is_float_arithmetic_truncated_once_at_the_end() {
    let h = ursa();
    // 400 / 3 * 2 = 266.66666 (f32), then static_cast<int>.
    assert_eq!(on_rank("FREE_CPU / 3 * 2", &h), 266.0);
    assert_eq!(rank("FREE_CPU / 3 * 2", &h), 800.0 / 3.0);
    // Only the result is truncated: 7 / 2 * 2 is 7, not 6.
    assert_eq!(on_rank("7 / 2", &h), 3.0);
    assert_eq!(on_rank("7 / 2 * 2", &h), 7.0);
    assert_eq!(rank("7 / 2", &h), 3.5);
    // Toward zero.
    assert_eq!(on_rank("-TEMPERATURE", &h), -41.0);
    assert_eq!(rank("-TEMPERATURE", &h), -41.5);
    assert_eq!(on_rank("TEMPERATURE * 2", &h), 83.0);
    assert_eq!(on_rank("0.1 + 0.2", &h), 0.0);
    assert_eq!(on_rank("LOAD * 100", &h), 10.0);
    // f32 has 24 bits of mantissa; INTEGER goes through atoi's int.
    assert_eq!(on_rank("16777217", &h), 16_777_216.0);
    assert_eq!(on_rank("16777217 + 1", &h), 16_777_216.0);
    assert_eq!(rank("16777217 + 1", &h), 16_777_218.0);
    assert_eq!(on_rank("3000000000", &h), -1_294_967_296.0);
    assert_eq!(on_rank("2147483520", &h), 2_147_483_520.0);
    assert_eq!(on_rank("-2147483648", &h), -2_147_483_648.0);
    // Infinities, NaN and values past int are x86-64's INT_MIN; orrery's x / 0 is 0.
    let int_min = f64::from(i32::MIN);
    for src in ["FREE_CPU / 0", "0 / 0", "-1 / 0", "2147483647"] {
        assert_eq!(on_rank(src, &h), int_min, "{src}");
    }
    assert_eq!(rank("FREE_CPU / 0", &h), 0.0);
    // A missing or non-numeric attribute reads 0; a value reads as `>> float` reads it.
    assert_eq!(on_rank("GPU + 5", &h), 5.0);
    assert_eq!(on_rank("HYPERVISOR + 5", &h), 5.0);
    assert_eq!(on_rank("VERSION + 0", &h), 10.0);
    assert_eq!(rank("VERSION + 0", &h), 0.0);
    assert_eq!(on_rank("PADDED * 3", &h), 21.0);
    assert_eq!(on_rank("BIG", &h), 1000.0);
    assert_eq!(on_rank("NETS * 2", &h), 6.0);
    assert_eq!(rank("NETS * 2", &h), 0.0);
    assert_eq!(on_rank("free_cpu + 1", &h), 1.0);
    assert_eq!(rank("free_cpu + 1", &h), 401.0);
    assert_eq!(on_rank("\"FREE_CPU\" + 1", &h), 401.0);
    assert_eq!(on_rank("", &h), 0.0);
    assert_eq!(on_rank("#", &h), 0.0);
}

#[test]
fn rank_minus_signs() {
    let h = ursa();
    // `'-' expr` negates the whole product after it: 2 / -(3 * 4).
    assert_eq!(on_rank("2 / - 3 * 4", &h), 0.0);
    assert_eq!(rank("2 / - 3 * 4", &h), 2.0 / -3.0 * 4.0);
    // `-3` is one number: (2 / -3) * 4.
    assert_eq!(on_rank("2 / -3 * 4", &h), -2.0);
    assert_eq!(on_rank("- - 4", &h), 4.0);
    assert_eq!(on_rank("--4", &h), 4.0);
    assert_eq!(on_rank("FREE_CPU - 1", &h), 399.0);
    // `FREE_CPU -1` is an attribute and a number.
    let e = on_rank_err("FREE_CPU -1");
    assert_eq!(e.column, 10);
    assert!(e.hint.as_deref().unwrap().contains("space after"), "{e}");
    assert_eq!(on_rank_err("FREE_CPU-1").column, 9);
    assert_eq!(rank("FREE_CPU-1", &h), 399.0);
    assert_eq!(on_rank_err("FREE_CPU ^ 2").column, 10);
    assert_eq!(on_rank_err("FREE_CPU = 2").column, 10);
    assert_eq!(
        on_rank_err(&"(".repeat(MAX_DEPTH + 1)).column,
        MAX_DEPTH + 1
    );
    assert_eq!(
        on_rank_err(&"- ".repeat(MAX_DEPTH + 1)).column,
        2 * MAX_DEPTH + 1
    );
}

#[test]
fn fnmatch_as_glibc() {
    // Each answer is glibc's `fnmatch(pattern, text, 0)` in the C locale.
    let cases = [
        ("a*b?c", "aXXbYc", true),
        ("*", "", true),
        ("*.[ch]", "x/y.c", true),
        ("*[ab]", "xxb", true),
        ("\\*", "*", true),
        ("\\*", "x", false),
        ("a\\", "a\\", false),
        ("[^a]", "b", true),
        ("[!]]", "a", true),
        ("[!]]", "]", false),
        ("[]a]", "]", true),
        ("[a-]", "-", true),
        ("[z-a]", "m", false),
        ("[a\\-z]", "m", false),
        ("[a\\-z]", "-", true),
        ("[[:space:]]", "\x0b", true),
        ("[[:punct:]]", "_", true),
        ("[[:digit:]-z]", "-", true),
        ("[[:alpha]]", "a]", true),
        ("[[.a.]]", "a", true),
        ("[[.ab.]]", "a", false),
        ("[[=a=]]", "a", true),
        ("[a-[.z.]]", "m", true),
        // A malformed member fails only if no member before it matched.
        ("[a[:foo:]]", "a", true),
        ("[a[:foo:]]", "b", false),
        ("[[:foo:]]", "a", false),
        // An unterminated `[` is an ordinary character.
        ("[[", "[[", true),
        ("[]", "[]", true),
        ("[a", "[a", true),
        ("[a", "a", false),
    ];
    for (pattern, text, want) in cases {
        assert_eq!(
            wildcard(Glob::Fnmatch, pattern, text),
            want,
            "{pattern:?} on {text:?}"
        );
    }
    // A pattern that fails makes `!=` true.
    let h = host(&[("A", s("a"))]);
    assert!(on("A != \"[[:foo:]]\"", &h));
}
