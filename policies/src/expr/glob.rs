//! Shell wildcard matching, by orrery's rules or by glibc's `fnmatch(3)` as OpenNebula's
//! requirements call it.

/// The rules a wildcard pattern follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Glob {
    /// `*` any run of characters, `?` one character, `\` the next character literally (a
    /// trailing `\` is itself); `[` is an ordinary character.
    Orrery,
    /// `fnmatch(pattern, text, 0)` of glibc (as 2.36 does it) in the C locale: `*`, `?` one
    /// **byte**, `\` the next byte literally (a trailing `\` never matches), and bracket
    /// expressions `[…]` with `!` or `^`, ranges, `[:class:]`, `[=c=]` and `[.c.]`; an
    /// unterminated `[` is literal.
    Fnmatch,
}

/// Whether `pattern` matches the whole of `text`.
pub(crate) fn wildcard(glob: Glob, pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Where to resume after the last `*`: the pattern after it, the text it has swallowed.
    let mut star = None;
    loop {
        if p.get(pi) == Some(&b'*') {
            pi += 1;
            star = Some((pi, ti));
            continue;
        }
        if pi == p.len() && ti == t.len() {
            return true;
        }
        if let Some((np, nt)) = step(glob, p, pi, t, ti) {
            (pi, ti) = (np, nt);
            continue;
        }
        match &mut star {
            Some((sp, st)) if *st < t.len() => {
                *st += unit(glob, t, *st);
                (pi, ti) = (*sp, *st);
            }
            _ => return false,
        }
    }
}

/// Matches the pattern element at `pi` (not `*`) against the text at `ti`: where both go on.
fn step(glob: Glob, p: &[u8], pi: usize, t: &[u8], ti: usize) -> Option<(usize, usize)> {
    let &byte = t.get(ti)?;
    match *p.get(pi)? {
        b'?' => Some((pi + 1, ti + unit(glob, t, ti))),
        b'\\' if pi + 1 < p.len() => literal(glob, p, pi + 1, t, ti),
        b'\\' if glob == Glob::Fnmatch => None,
        b'[' if glob == Glob::Fnmatch => match bracket(p, pi, byte) {
            Bracket::Matched(next) => Some((next, ti + 1)),
            Bracket::Literal => (byte == b'[').then_some((pi + 1, ti + 1)),
            Bracket::NoMatch => None,
        },
        _ => literal(glob, p, pi, t, ti),
    }
}

/// The pattern's character (or byte) at `pi` compared with the text's at `ti`.
fn literal(glob: Glob, p: &[u8], pi: usize, t: &[u8], ti: usize) -> Option<(usize, usize)> {
    let n = unit(glob, p, pi);
    (t.get(ti..ti + n) == Some(&p[pi..pi + n])).then_some((pi + n, ti + n))
}

/// Bytes in the unit at `i`: a character for orrery, a byte for `fnmatch` in the C locale.
fn unit(glob: Glob, s: &[u8], i: usize) -> usize {
    match glob {
        Glob::Orrery => s[i].leading_ones().max(1) as usize,
        Glob::Fnmatch => 1,
    }
}

/// A bracket expression's verdict on one byte.
enum Bracket {
    /// It matches; the pattern goes on at this index.
    Matched(usize),
    NoMatch,
    /// It is unterminated: the `[` is an ordinary character.
    Literal,
}

/// glibc refuses a class name this long.
const CLASS_MAX: usize = 256;

/// The bracket expression opening at `open` against `byte`, member by member as glibc reads
/// it: a malformed member met before a match makes the whole pattern fail there.
fn bracket(p: &[u8], open: usize, byte: u8) -> Bracket {
    // C strings end in NUL: past the end reads 0.
    let at = |i: usize| p.get(i).copied().unwrap_or(0);
    let mut i = open + 1;
    let negate = matches!(at(i), b'!' | b'^');
    i += usize::from(negate);
    let matched = |i: usize| skip_rest(p, i, negate);
    let mut c = at(i);
    i += 1;
    loop {
        // `c` starts a member and `i` is just past it. `low` is a member that may start a range.
        let low = match c {
            0 => return Bracket::Literal,
            b'\\' => {
                let e = at(i);
                if e == 0 {
                    return Bracket::NoMatch;
                }
                i += 1;
                Some(plain(p, i, e))
            }
            b'[' if at(i) == b':' => match class_name(p, i) {
                Some(Ok(end)) => {
                    let Some(class) = Class::named(&p[i + 1..end - 2]) else {
                        return Bracket::NoMatch;
                    };
                    i = end;
                    if class.has(byte) {
                        return matched(i);
                    }
                    None
                }
                Some(Err(())) => return Bracket::NoMatch,
                None => Some(plain(p, i, b'[')),
            },
            b'[' if at(i) == b'=' && at(i + 1) != 0 && at(i + 2) == b'=' && at(i + 3) == b']' => {
                let x = at(i + 1);
                i += 4;
                if byte == x {
                    return matched(i);
                }
                None
            }
            b'[' if at(i) == b'.' => {
                let Some((x, end)) = collating(p, i) else {
                    return Bracket::NoMatch;
                };
                i = end;
                // Unlike a plain member, a symbol followed by `-]` is taken for a range start.
                let range = at(i) == b'-' && at(i + 1) != 0;
                Some((x, range))
            }
            _ => Some(plain(p, i, c)),
        };
        if let Some((low, range)) = low {
            if !range && low == byte {
                return matched(i);
            }
            c = at(i);
            i += 1;
            if c == b'-' && at(i) != b']' {
                let mut high = at(i);
                i += 1;
                if high == b'[' && at(i) == b'.' {
                    let Some((x, end)) = collating(p, i) else {
                        return Bracket::NoMatch;
                    };
                    (high, i) = (x, end);
                } else {
                    if high == b'\\' {
                        high = at(i);
                        i += 1;
                    }
                    if high == 0 {
                        return Bracket::NoMatch;
                    }
                }
                if (low..=high).contains(&byte) {
                    return matched(i);
                }
                c = at(i);
                i += 1;
            }
        } else {
            c = at(i);
            i += 1;
        }
        if c == b']' {
            return if negate {
                Bracket::Matched(i)
            } else {
                Bracket::NoMatch
            };
        }
    }
}

/// A plain member `c` whose successor is at `i`: it starts a range when `-` and a byte other
/// than `]` follow.
fn plain(p: &[u8], i: usize, c: u8) -> (u8, bool) {
    let range = p.get(i) == Some(&b'-') && !matches!(p.get(i + 1), None | Some(b']'));
    (c, range)
}

/// The class name after `[` at `colon - 1`: `Ok(index past ":]")`, `Err` if the name is too
/// long, `None` if a byte outside `a`..`y` shows the `[` is a plain member (glibc's test).
fn class_name(p: &[u8], colon: usize) -> Option<Result<usize, ()>> {
    let mut j = colon + 1;
    loop {
        if j - colon - 1 == CLASS_MAX {
            return Some(Err(()));
        }
        match p.get(j).copied().unwrap_or(0) {
            b':' if p.get(j + 1) == Some(&b']') => return Some(Ok(j + 2)),
            b'a'..=b'y' => j += 1,
            _ => return None,
        }
    }
}

/// The collating symbol `[.x.]` whose `.` is at `dot`: `x` and the index past `.]`. In the C
/// locale only one-byte symbols exist; `None` for any other or an unterminated one.
fn collating(p: &[u8], dot: usize) -> Option<(u8, usize)> {
    let len = p[dot + 1..].windows(2).position(|w| w == b".]")?;
    (len == 1).then(|| (p[dot + 1], dot + 4))
}

/// After a match, skips to the bracket's `]` as glibc does: it checks the rest less strictly
/// than the members before the match, and an unterminated one makes the `[` literal (older
/// glibc failed the match).
fn skip_rest(p: &[u8], mut i: usize, negate: bool) -> Bracket {
    let at = |i: usize| p.get(i).copied().unwrap_or(0);
    loop {
        let c = at(i);
        i += 1;
        match c {
            b']' => break,
            0 => return Bracket::Literal,
            b'\\' => {
                if at(i) == 0 {
                    return Bracket::NoMatch;
                }
                i += 1;
            }
            b'[' if at(i) == b':' => {
                if let Some(end) = class_name(p, i) {
                    let Ok(end) = end else {
                        return Bracket::NoMatch;
                    };
                    i = end;
                }
            }
            b'[' if at(i) == b'=' => {
                if at(i + 1) == 0 || at(i + 2) != b'=' || at(i + 3) != b']' {
                    return Bracket::NoMatch;
                }
                i += 4;
            }
            b'[' if at(i) == b'.' => {
                let len = p[i + 1..].windows(2).position(|w| w == b".]");
                let Some(len) = len else {
                    return Bracket::NoMatch;
                };
                i += len + 3;
            }
            _ => {}
        }
    }
    if negate {
        Bracket::NoMatch
    } else {
        Bracket::Matched(i)
    }
}

/// A character class of the C locale.
#[derive(Clone, Copy)]
enum Class {
    Alnum,
    Alpha,
    Blank,
    Cntrl,
    Digit,
    Graph,
    Lower,
    Print,
    Punct,
    Space,
    Upper,
    Xdigit,
}

impl Class {
    fn named(name: &[u8]) -> Option<Class> {
        Some(match name {
            b"alnum" => Class::Alnum,
            b"alpha" => Class::Alpha,
            b"blank" => Class::Blank,
            b"cntrl" => Class::Cntrl,
            b"digit" => Class::Digit,
            b"graph" => Class::Graph,
            b"lower" => Class::Lower,
            b"print" => Class::Print,
            b"punct" => Class::Punct,
            b"space" => Class::Space,
            b"upper" => Class::Upper,
            b"xdigit" => Class::Xdigit,
            _ => return None,
        })
    }

    /// Whether `b` is in the class (no byte above 127 is, in the C locale).
    fn has(self, b: u8) -> bool {
        match self {
            Class::Alnum => b.is_ascii_alphanumeric(),
            Class::Alpha => b.is_ascii_alphabetic(),
            Class::Blank => matches!(b, b' ' | b'\t'),
            Class::Cntrl => b.is_ascii_control(),
            Class::Digit => b.is_ascii_digit(),
            Class::Graph => b.is_ascii_graphic(),
            Class::Lower => b.is_ascii_lowercase(),
            Class::Print => b.is_ascii_graphic() || b == b' ',
            Class::Punct => b.is_ascii_punctuation(),
            Class::Space => matches!(b, b' ' | b'\t'..=b'\r'),
            Class::Upper => b.is_ascii_uppercase(),
            Class::Xdigit => b.is_ascii_hexdigit(),
        }
    }
}
