//! Numbers as OpenNebula's C and C++ code reads and converts them: the lexer's `atoi` and
//! `atof`, `std::istringstream >>` on a host's values (libstdc++), and `static_cast<int>`
//! of a `float` (x86-64).

/// `atoi(text)` of glibc on `-?[0-9]+`: `strtol`, saturated to 64 bits, then cut to `int`.
pub(crate) fn atoi(text: &str) -> i32 {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let magnitude = digits.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    let long = if negative {
        0i64.saturating_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).unwrap_or(i64::MAX)
    };
    long as i32
}

/// `(float) atof(text)` on `-?[0-9]+\.[0-9]+`: the nearest `double`, then the nearest `float`.
pub(crate) fn atof(text: &str) -> f32 {
    text.parse::<f64>().map_or(0.0, |x| x as f32)
}

/// `iss >> std::dec >> int_value`: leading white space, a sign, decimal digits; the rest is
/// ignored. `None` when it fails: no digit, or outside `int`.
pub(crate) fn read_int(text: &str) -> Option<i32> {
    let s = text.trim_start_matches(is_c_space);
    let sign = sign_len(s);
    let n = s[sign..].bytes().take_while(u8::is_ascii_digit).count();
    s[..sign + n].parse().ok()
}

/// `iss >> float_value` (libstdc++): leading white space, then the longest prefix of the form
/// `[+-]? digits* ('.' digits*)? ([eE] [+-]? digits*)?` (an exponent only after a digit),
/// converted by `strtof`, which must use it all. `None` when it fails, or overflows.
pub(crate) fn read_float(text: &str) -> Option<f32> {
    let s = text.trim_start_matches(is_c_space);
    let b = s.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = sign_len(s);
    let int = digits(i);
    i += int;
    let mut mantissa = int > 0;
    if b.get(i) == Some(&b'.') {
        let frac = digits(i + 1);
        mantissa |= frac > 0;
        i += 1 + frac;
    }
    if mantissa && matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = sign_len(&s[i + 1..]);
        i += 1 + sign + digits(i + 1 + sign);
    }
    let x: f32 = s[..i].parse().ok()?;
    x.is_finite().then_some(x)
}

/// `static_cast<int>(x)` as x86-64 computes it (`cvttss2si`): truncated toward zero; NaN and
/// values outside `int` give `INT_MIN`.
pub(crate) fn float_to_int(x: f32) -> i32 {
    // NaN is in no range.
    if !(-2_147_483_648.0..2_147_483_648.0).contains(&x) {
        i32::MIN
    } else {
        x as i32
    }
}

/// `isspace` in the C locale.
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t'..='\r')
}

/// The length of an optional leading `+` or `-`.
fn sign_len(s: &str) -> usize {
    usize::from(matches!(s.as_bytes().first(), Some(b'+' | b'-')))
}
