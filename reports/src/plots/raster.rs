//! A [`Scene`] rasterised with anti-aliasing (tiny-skia) and encoded as PNG.

use std::io::Write;

use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform,
};

use super::font::{self, Seg};
use super::scene::{Item, Rgba, Scene};

fn paint(c: Rgba) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(c.rgb.0, c.rgb.1, c.rgb.2, (c.alpha * 255.0).round() as u8);
    p.anti_alias = true;
    p
}

/// Adds the glyph outlines of a text item to `pb`.
pub(crate) fn text_path(
    pb: &mut PathBuilder,
    text: &str,
    origin: (f64, f64),
    em: f64,
    dir: (f64, f64),
    up: (f64, f64),
) {
    let (glyphs, _) = font::layout(text);
    for g in glyphs {
        let map = |x: f64, y: f64| {
            let gx = g.x_em + x;
            (
                (origin.0 + em * (gx * dir.0 + y * up.0)) as f32,
                (origin.1 + em * (gx * dir.1 + y * up.1)) as f32,
            )
        };
        let mut open = false;
        for seg in font::outline(g.glyph) {
            match seg {
                Seg::Move(x, y) => {
                    if open {
                        pb.close();
                    }
                    let (a, b) = map(x, y);
                    pb.move_to(a, b);
                    open = true;
                }
                Seg::Line(x, y) => {
                    let (a, b) = map(x, y);
                    pb.line_to(a, b);
                }
                Seg::Quad(x1, y1, x, y) => {
                    let (a1, b1) = map(x1, y1);
                    let (a, b) = map(x, y);
                    pb.quad_to(a1, b1, a, b);
                }
                Seg::Cubic(x1, y1, x2, y2, x, y) => {
                    let (a1, b1) = map(x1, y1);
                    let (a2, b2) = map(x2, y2);
                    let (a, b) = map(x, y);
                    pb.cubic_to(a1, b1, a2, b2, a, b);
                }
            }
        }
        if open {
            pb.close();
        }
    }
}

fn polyline(points: &[(f64, f64)], close: bool) -> Option<tiny_skia::Path> {
    let mut pb = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    pb.move_to(first.0 as f32, first.1 as f32);
    for p in rest {
        pb.line_to(p.0 as f32, p.1 as f32);
    }
    if close {
        pb.close();
    }
    pb.finish()
}

/// The scene drawn at `dpi` pixels per inch on white: width, height and RGB pixels.
pub fn rasterise(scene: &Scene, dpi: f64) -> Result<(u32, u32, Vec<u8>), String> {
    let k = dpi / scene.dpi;
    let w = ((f64::from(scene.size.0) * k).round() as u32).max(1);
    let h = ((f64::from(scene.size.1) * k).round() as u32).max(1);
    let mut pixmap = Pixmap::new(w, h).ok_or_else(|| format!("no {w} × {h} image"))?;
    pixmap.fill(Color::WHITE);
    let t = Transform::from_scale(k as f32, k as f32);
    for item in &scene.items {
        match item {
            Item::Stroke {
                points,
                color,
                width,
            } => {
                if let Some(path) = polyline(points, false) {
                    let stroke = Stroke {
                        width: *width as f32,
                        line_cap: LineCap::Butt,
                        line_join: LineJoin::Round,
                        ..Stroke::default()
                    };
                    pixmap.stroke_path(&path, &paint(*color), &stroke, t, None);
                }
            }
            Item::Fill { points, color } => {
                if let Some(path) = polyline(points, true) {
                    pixmap.fill_path(&path, &paint(*color), FillRule::Winding, t, None);
                }
            }
            Item::Circle {
                center,
                radius,
                color,
                fill,
                width,
            } => {
                let Some(path) =
                    PathBuilder::from_circle(center.0 as f32, center.1 as f32, *radius as f32)
                else {
                    continue;
                };
                if *fill {
                    pixmap.fill_path(&path, &paint(*color), FillRule::Winding, t, None);
                } else {
                    let stroke = Stroke {
                        width: *width as f32,
                        ..Stroke::default()
                    };
                    pixmap.stroke_path(&path, &paint(*color), &stroke, t, None);
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
                let mut pb = PathBuilder::new();
                text_path(&mut pb, text, *origin, *em, *dir, *up);
                if let Some(path) = pb.finish() {
                    pixmap.fill_path(&path, &paint(*color), FillRule::Winding, t, None);
                }
            }
        }
    }
    // Everything is drawn over opaque white: premultiplied RGBA is plain RGBA.
    let rgb = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    Ok((w, h, rgb))
}

/// The scene as a PNG file at `dpi`, with its resolution recorded (pHYs).
pub fn png(scene: &Scene, dpi: f64) -> Result<Vec<u8>, String> {
    let (w, h, rgb) = rasterise(scene, dpi)?;
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        let per_metre = (dpi / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: per_metre,
            yppu: per_metre,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(out)
}
