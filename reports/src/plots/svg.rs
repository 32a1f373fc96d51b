//! A [`Scene`] as SVG. Text is drawn as glyph outlines (each glyph once, as a path in
//! `<defs>`, placed with `<use>`), so the file names no font and renders the same everywhere;
//! each line of text keeps its words in an `aria-label`. Sized in inches for print.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::font::{self, Seg};
use super::scene::{Item, Rgba, Scene};

/// A number with at most two decimals, without trailing zeros.
pub(crate) fn num(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn colour(c: Rgba) -> String {
    format!("#{:02x}{:02x}{:02x}", c.rgb.0, c.rgb.1, c.rgb.2)
}

fn opacity(attr: &str, c: Rgba) -> String {
    if c.alpha < 1.0 {
        format!(" {attr}=\"{}\"", num(c.alpha))
    } else {
        String::new()
    }
}

fn points(p: &[(f64, f64)]) -> String {
    p.iter()
        .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The path data of glyph `id` in thousandths of an em, y up.
fn glyph_path(id: u16) -> String {
    let k = 1000.0;
    let mut d = String::new();
    for seg in font::outline(id) {
        match seg {
            Seg::Move(x, y) => {
                if !d.is_empty() {
                    d.push('Z');
                }
                let _ = write!(d, "M{} {}", num(x * k), num(y * k));
            }
            Seg::Line(x, y) => {
                let _ = write!(d, "L{} {}", num(x * k), num(y * k));
            }
            Seg::Quad(x1, y1, x, y) => {
                let _ = write!(
                    d,
                    "Q{} {} {} {}",
                    num(x1 * k),
                    num(y1 * k),
                    num(x * k),
                    num(y * k)
                );
            }
            Seg::Cubic(x1, y1, x2, y2, x, y) => {
                let _ = write!(
                    d,
                    "C{} {} {} {} {} {}",
                    num(x1 * k),
                    num(y1 * k),
                    num(x2 * k),
                    num(y2 * k),
                    num(x * k),
                    num(y * k)
                );
            }
        }
    }
    if !d.is_empty() {
        d.push('Z');
    }
    d
}

/// `text` with XML's special characters escaped.
fn escape(text: &str) -> String {
    crate::html::escape(text)
}

/// The scene as an SVG document.
pub fn svg(scene: &Scene) -> String {
    let (w, h) = scene.size;
    let mut used = BTreeSet::new();
    for item in &scene.items {
        if let Item::Text { text, .. } = item {
            for g in font::layout(text).0 {
                if !font::outline(g.glyph).is_empty() {
                    used.insert(g.glyph);
                }
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" \
         xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" \
         width=\"{}in\" height=\"{}in\" viewBox=\"0 0 {w} {h}\">",
        num(f64::from(w) / scene.dpi),
        num(f64::from(h) / scene.dpi)
    );
    if !used.is_empty() {
        out.push_str("<defs>\n");
        for id in &used {
            let _ = writeln!(out, "<path id=\"g{id}\" d=\"{}\"/>", glyph_path(*id));
        }
        out.push_str("</defs>\n");
    }
    let _ = writeln!(out, "<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>");
    for item in &scene.items {
        match item {
            Item::Stroke {
                points: p,
                color,
                width,
            } => {
                let _ = writeln!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\"{} \
                     stroke-width=\"{}\" stroke-linejoin=\"round\"/>",
                    points(p),
                    colour(*color),
                    opacity("stroke-opacity", *color),
                    num(*width)
                );
            }
            Item::Fill { points: p, color } => {
                let _ = writeln!(
                    out,
                    "<polygon points=\"{}\" fill=\"{}\"{}/>",
                    points(p),
                    colour(*color),
                    opacity("fill-opacity", *color)
                );
            }
            Item::Circle {
                center,
                radius,
                color,
                fill,
                width,
            } => {
                let paint = if *fill {
                    format!(
                        "fill=\"{}\"{}",
                        colour(*color),
                        opacity("fill-opacity", *color)
                    )
                } else {
                    format!(
                        "fill=\"none\" stroke=\"{}\"{} stroke-width=\"{}\"",
                        colour(*color),
                        opacity("stroke-opacity", *color),
                        num(*width)
                    )
                };
                let _ = writeln!(
                    out,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" {paint}/>",
                    num(center.0),
                    num(center.1),
                    num(*radius)
                );
            }
            Item::Text {
                text,
                origin,
                em,
                dir,
                up,
                color,
            } => {
                let _ = write!(
                    out,
                    "<g aria-label=\"{}\" fill=\"{}\"{}>",
                    escape(text),
                    colour(*color),
                    opacity("fill-opacity", *color)
                );
                let s = em / 1000.0;
                for g in font::layout(text).0 {
                    if !used.contains(&g.glyph) {
                        continue;
                    }
                    let x = origin.0 + em * g.x_em * dir.0;
                    let y = origin.1 + em * g.x_em * dir.1;
                    let _ = write!(
                        out,
                        "<use xlink:href=\"#g{}\" transform=\"matrix({} {} {} {} {} {})\"/>",
                        g.glyph,
                        num4(s * dir.0),
                        num4(s * dir.1),
                        num4(s * up.0),
                        num4(s * up.1),
                        num(x),
                        num(y)
                    );
                }
                out.push_str("</g>\n");
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

/// A number with at most five decimals (glyph scales), without trailing zeros.
fn num4(x: f64) -> String {
    let s = format!("{x:.5}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}
