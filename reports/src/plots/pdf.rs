//! A [`Scene`] as a one-page PDF. Text is real text in the embedded font: DejaVu Sans cut down
//! to the glyphs used ([`super::subset`]), embedded as a CID TrueType font with a ToUnicode map
//! (so the words can be searched and copied). No dates or ids: the same scene gives the same
//! bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::font::{self, FONT_NAME, FONT_TTF};
use super::scene::{Item, Rgba, Scene};
use super::subset::subset;
use super::svg::num;

/// The subset tag of the embedded font (six capitals, as PDF asks).
const TAG: &str = "ORRERY";

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 9)
}

fn rgb(c: Rgba) -> String {
    let f = |v: u8| num(f64::from(v) / 255.0);
    format!("{} {} {}", f(c.rgb.0), f(c.rgb.1), f(c.rgb.2))
}

/// The opacity graphics states a scene needs, by alpha in thousandths.
fn alphas(scene: &Scene) -> BTreeSet<u32> {
    let alpha = |c: &Rgba| (c.alpha * 1000.0).round() as u32;
    scene
        .items
        .iter()
        .map(|i| match i {
            Item::Stroke { color, .. }
            | Item::Fill { color, .. }
            | Item::Circle { color, .. }
            | Item::Text { color, .. } => alpha(color),
        })
        .filter(|&a| a < 1000)
        .collect()
}

fn set_alpha(c: &mut String, color: Rgba) {
    let a = (color.alpha * 1000.0).round() as u32;
    if a < 1000 {
        let _ = writeln!(c, "/A{a} gs");
    } else {
        c.push_str("/A1000 gs\n");
    }
}

fn path(c: &mut String, points: &[(f64, f64)]) {
    for (i, (x, y)) in points.iter().enumerate() {
        let op = if i == 0 { "m" } else { "l" };
        let _ = writeln!(c, "{} {} {op}", num(*x), num(*y));
    }
}

/// A circle as four Bézier arcs.
fn circle(c: &mut String, (x, y): (f64, f64), r: f64) {
    let k = 0.552_284_75 * r;
    let _ = writeln!(c, "{} {} m", num(x + r), num(y));
    for (a, b, d, e, f, g) in [
        (x + r, y + k, x + k, y + r, x, y + r),
        (x - k, y + r, x - r, y + k, x - r, y),
        (x - r, y - k, x - k, y - r, x, y - r),
        (x + k, y - r, x + r, y - k, x + r, y),
    ] {
        let _ = writeln!(
            c,
            "{} {} {} {} {} {} c",
            num(a),
            num(b),
            num(d),
            num(e),
            num(f),
            num(g)
        );
    }
}

/// The page's drawing commands, and the glyphs its text uses (id → character).
fn content(scene: &Scene) -> (String, BTreeMap<u16, char>) {
    let mut c = String::new();
    let mut glyphs = BTreeMap::new();
    let (_, h_pt) = scene.size_pt();
    let k = 72.0 / scene.dpi;
    // Scene pixels (y down) to PDF points (y up).
    let _ = writeln!(c, "{} 0 0 {} 0 {} cm", num4(k), num4(-k), num(h_pt));
    c.push_str("1 j 0 J\n");
    let upem = font::metrics().units_per_em;
    for item in &scene.items {
        match item {
            Item::Stroke {
                points,
                color,
                width,
            } => {
                set_alpha(&mut c, *color);
                let _ = writeln!(c, "{} RG {} w", rgb(*color), num(*width));
                path(&mut c, points);
                c.push_str("S\n");
            }
            Item::Fill { points, color } => {
                set_alpha(&mut c, *color);
                let _ = writeln!(c, "{} rg", rgb(*color));
                path(&mut c, points);
                c.push_str("h f\n");
            }
            Item::Circle {
                center,
                radius,
                color,
                fill,
                width,
            } => {
                set_alpha(&mut c, *color);
                if *fill {
                    let _ = writeln!(c, "{} rg", rgb(*color));
                    circle(&mut c, *center, *radius);
                    c.push_str("f\n");
                } else {
                    let _ = writeln!(c, "{} RG {} w", rgb(*color), num(*width));
                    circle(&mut c, *center, *radius);
                    c.push_str("s\n");
                }
            }
            Item::Text {
                text,
                origin,
                em,
                dir,
                up,
                color,
            } => {
                set_alpha(&mut c, *color);
                let (placed, _) = font::layout(text);
                let _ = write!(
                    c,
                    "BT {} rg /F1 {} Tf {} {} {} {} {} {} Tm [",
                    rgb(*color),
                    num(*em),
                    num4(dir.0),
                    num4(dir.1),
                    num4(up.0),
                    num4(up.1),
                    num(origin.0),
                    num(origin.1)
                );
                // Kerning: the gap between where the previous glyph's advance ends and where
                // this one starts, in thousandths of an em (TJ moves left by positive values).
                let mut pen = 0.0;
                for g in &placed {
                    let gap = ((g.x_em - pen) * 1000.0).round();
                    if gap != 0.0 {
                        let _ = write!(c, "{} ", num(-gap));
                    }
                    let _ = write!(c, "<{:04X}>", g.glyph);
                    pen = g.x_em + font::advance(g.glyph) / upem;
                    glyphs.entry(g.glyph).or_insert(g.ch);
                }
                c.push_str("] TJ ET\n");
            }
        }
    }
    (c, glyphs)
}

fn num4(x: f64) -> String {
    let s = format!("{x:.5}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// The ToUnicode map of `glyphs`.
fn to_unicode(glyphs: &BTreeMap<u16, char>) -> String {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(&u16, &char)> = glyphs.iter().collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(s, "{} beginbfchar", chunk.len());
        for (g, ch) in chunk {
            let mut units = [0u16; 2];
            let hex: String = ch
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(s, "<{g:04X}> <{hex}>");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s
}

/// The scene as a PDF document of one page, sized in points.
pub fn pdf(scene: &Scene) -> Result<Vec<u8>, String> {
    let (w_pt, h_pt) = scene.size_pt();
    let (body, glyphs) = content(scene);
    let used: BTreeSet<u16> = glyphs.keys().copied().collect();
    let font_file =
        subset(FONT_TTF, &used).ok_or("the embedded font could not be cut down for the PDF")?;
    let m = font::metrics();
    let per_mille = |v: f64| num((v * 1000.0 / m.units_per_em).round());
    let widths: String = glyphs
        .keys()
        .map(|g| format!("{g} [{}]", per_mille(font::advance(*g))))
        .collect::<Vec<_>>()
        .join(" ");
    let mut states = String::from("/A1000 << /Type /ExtGState /ca 1 /CA 1 >>");
    for a in alphas(scene) {
        let v = num(f64::from(a) / 1000.0);
        let _ = write!(states, " /A{a} << /Type /ExtGState /ca {v} /CA {v} >>");
    }
    let name = format!("{TAG}+{FONT_NAME}");
    // Objects 1…n; streams are given as (dictionary, data).
    let content = deflate(body.as_bytes());
    let cmap = deflate(to_unicode(&glyphs).as_bytes());
    let font_data = deflate(&font_file);
    enum Obj {
        Dict(String),
        Stream(String, Vec<u8>),
    }
    let objects = vec![
        Obj::Dict("<< /Type /Catalog /Pages 2 0 R >>".into()),
        Obj::Dict("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into()),
        Obj::Dict(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
             /Resources << /Font << /F1 5 0 R >> /ExtGState << {states} >> >> \
             /Contents 4 0 R >>",
            num(w_pt),
            num(h_pt)
        )),
        Obj::Stream(
            format!("<< /Length {} /Filter /FlateDecode >>", content.len()),
            content,
        ),
        Obj::Dict(format!(
            "<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H \
             /DescendantFonts [6 0 R] /ToUnicode 8 0 R >>"
        )),
        Obj::Dict(format!(
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} \
             /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
             /FontDescriptor 7 0 R /CIDToGIDMap /Identity /DW 0 /W [{widths}] >>"
        )),
        Obj::Dict(format!(
            "<< /Type /FontDescriptor /FontName /{name} /Flags 32 \
             /FontBBox [-1021 -463 1793 1232] /ItalicAngle 0 /Ascent {} /Descent {} \
             /CapHeight 729 /StemV 80 /FontFile2 9 0 R >>",
            per_mille(m.ascent),
            per_mille(m.descent)
        )),
        Obj::Stream(
            format!("<< /Length {} /Filter /FlateDecode >>", cmap.len()),
            cmap,
        ),
        Obj::Stream(
            format!(
                "<< /Length {} /Length1 {} /Filter /FlateDecode >>",
                font_data.len(),
                font_file.len()
            ),
            font_data,
        ),
        Obj::Dict("<< /Producer (orrery) >>".into()),
    ];
    let mut out: Vec<u8> = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        match obj {
            Obj::Dict(d) => out.extend_from_slice(d.as_bytes()),
            Obj::Stream(d, data) => {
                out.extend_from_slice(d.as_bytes());
                out.extend_from_slice(b"\nstream\n");
                out.extend_from_slice(data);
                out.extend_from_slice(b"\nendstream");
            }
        }
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for o in &offsets {
        let _ = writeln!(table, "{o:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R /Info {} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1,
        objects.len()
    );
    out.extend_from_slice(table.as_bytes());
    Ok(out)
}
