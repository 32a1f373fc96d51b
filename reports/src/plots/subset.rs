//! A TrueType font cut down to the glyphs a figure uses, for embedding in a PDF: every other
//! glyph is emptied (glyph ids are kept, so no remapping is needed) and only the tables a PDF
//! viewer needs are kept.

use std::collections::BTreeSet;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// The tables of a TrueType file by tag.
fn tables(font: &[u8]) -> Option<Vec<([u8; 4], &[u8])>> {
    let n = usize::from(u16_at(font, 4)?);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let offset = u32_at(font, rec + 8)? as usize;
        let len = u32_at(font, rec + 12)? as usize;
        out.push((tag, font.get(offset..offset.checked_add(len)?)?));
    }
    Some(out)
}

fn table<'a>(all: &[([u8; 4], &'a [u8])], tag: &[u8; 4]) -> Option<&'a [u8]> {
    all.iter().find(|(t, _)| t == tag).map(|(_, d)| *d)
}

/// The component glyphs of composite glyph data `g` (none for a simple glyph).
fn components(g: &[u8]) -> Vec<u16> {
    let mut out = Vec::new();
    if g.len() < 10 || (u16_at(g, 0).unwrap_or(0) as i16) >= 0 {
        return out;
    }
    let mut at = 10;
    while let (Some(flags), Some(id)) = (u16_at(g, at), u16_at(g, at + 2)) {
        out.push(id);
        at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
        at += if flags & 0x0008 != 0 {
            2
        } else if flags & 0x0040 != 0 {
            4
        } else if flags & 0x0080 != 0 {
            8
        } else {
            0
        };
        if flags & 0x0020 == 0 {
            break;
        }
    }
    out
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

/// `font` keeping only glyph 0 and `glyphs` (with the components of composite ones); none if
/// the font is not a TrueType font this can read.
pub fn subset(font: &[u8], glyphs: &BTreeSet<u16>) -> Option<Vec<u8>> {
    let all = tables(font)?;
    let head = table(&all, b"head")?;
    let maxp = table(&all, b"maxp")?;
    let loca = table(&all, b"loca")?;
    let glyf = table(&all, b"glyf")?;
    let count = usize::from(u16_at(maxp, 4)?);
    let long = u16_at(head, 50)? == 1;
    let offset = |i: usize| -> Option<usize> {
        if long {
            u32_at(loca, 4 * i).map(|o| o as usize)
        } else {
            u16_at(loca, 2 * i).map(|o| 2 * usize::from(o))
        }
    };
    let data = |i: usize| -> Option<&[u8]> { glyf.get(offset(i)?..offset(i + 1)?) };
    // Glyph 0 and the used glyphs, with their components, recursively.
    let mut keep: BTreeSet<u16> = BTreeSet::new();
    let mut todo: Vec<u16> = std::iter::once(0).chain(glyphs.iter().copied()).collect();
    while let Some(g) = todo.pop() {
        if usize::from(g) >= count || !keep.insert(g) {
            continue;
        }
        todo.extend(components(data(usize::from(g))?));
    }
    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity(4 * (count + 1));
    for i in 0..count {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        if keep.contains(&(i as u16)) {
            new_glyf.extend_from_slice(data(i)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.copy_from_slice(&[0; 4]);
    new_head
        .get_mut(50..52)?
        .copy_from_slice(&1u16.to_be_bytes());
    let mut out_tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    for tag in [
        b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"prep",
    ] {
        let body = match tag {
            b"glyf" => new_glyf.clone(),
            b"loca" => new_loca.clone(),
            b"head" => new_head.clone(),
            _ => match table(&all, tag) {
                Some(d) => d.to_vec(),
                None => continue,
            },
        };
        out_tables.push((*tag, body));
    }
    // The table directory, then the tables, each padded to four bytes.
    let n = out_tables.len() as u16;
    let mut pow = 1u16;
    let mut log = 0u16;
    while pow * 2 <= n {
        pow *= 2;
        log += 1;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&(pow * 16).to_be_bytes());
    out.extend_from_slice(&log.to_be_bytes());
    out.extend_from_slice(&(n * 16 - pow * 16).to_be_bytes());
    let mut at = 12 + 16 * out_tables.len();
    let mut bodies = Vec::new();
    for (tag, body) in &out_tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(body).to_be_bytes());
        out.extend_from_slice(&(at as u32).to_be_bytes());
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let mut padded = body.clone();
        while padded.len() % 4 != 0 {
            padded.push(0);
        }
        at += padded.len();
        bodies.extend_from_slice(&padded);
    }
    out.extend_from_slice(&bodies);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::font::FONT_TTF;

    #[test]
    fn a_subset_keeps_the_used_glyphs_and_is_much_smaller() {
        use ab_glyph::Font;
        let full = crate::plots::font::font().unwrap();
        let a = full.glyph_id('A').0;
        let b = full.glyph_id('B');
        let cut = subset(FONT_TTF, &BTreeSet::from([a])).unwrap();
        assert!(cut.len() < FONT_TTF.len() / 5, "{} bytes", cut.len());
        let f = ab_glyph::FontRef::try_from_slice(&cut).unwrap();
        assert!(f.outline(ab_glyph::GlyphId(a)).is_some());
        assert!(f.outline(b).is_none(), "B was dropped");
    }
}
