//! The self-contained HTML report: inline styles, PNG plots as data URIs, no scripts and no
//! reference to any other file.

use base64::Engine;
use polars::prelude::DataFrame;

use crate::values::{any_value_text, short_number};

/// `text` with the HTML special characters escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str =
    "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:2em auto;max-width:1100px;\
color:#222}table{border-collapse:collapse;font-size:0.85em;margin:1em 0}\
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}td{white-space:nowrap}th{background:#f3f3f3}\
tr th:first-child{text-align:left}.wide{overflow-x:auto}figure{margin:1.5em 0}\
img{max-width:100%;border:1px solid #eee}figcaption{color:#555;font-size:0.9em}\
pre{background:#f7f7f7;padding:1em;overflow-x:auto}";

/// An HTML page built section by section.
#[derive(Debug, Clone, Default)]
pub struct Page {
    body: String,
}

impl Page {
    /// A page whose first heading is `title`, with a line of `intro` text.
    pub fn new(title: &str, intro: &str) -> Page {
        Page {
            body: format!("<h1>{}</h1>\n<p>{}</p>\n", escape(title), escape(intro)),
        }
    }

    /// A section heading.
    pub fn heading(&mut self, text: &str) {
        self.body.push_str(&format!("<h2>{}</h2>\n", escape(text)));
    }

    /// A paragraph of text.
    pub fn paragraph(&mut self, text: &str) {
        self.body.push_str(&format!("<p>{}</p>\n", escape(text)));
    }

    /// Preformatted text.
    pub fn preformatted(&mut self, text: &str) {
        self.body
            .push_str(&format!("<pre>{}</pre>\n", escape(text)));
    }

    /// Ready-made HTML (a table built from escaped cells), scrolling sideways when wide.
    pub fn table(&mut self, html: &str) {
        self.body
            .push_str(&format!("<div class=\"wide\">\n{html}</div>\n"));
    }

    /// A PNG image embedded as a data URI, with a caption.
    pub fn image(&mut self, png: &[u8], caption: &str) {
        let data = base64::engine::general_purpose::STANDARD.encode(png);
        self.body.push_str(&format!(
            "<figure><img alt=\"{c}\" src=\"data:image/png;base64,{data}\">\
             <figcaption>{c}</figcaption></figure>\n",
            c = escape(caption)
        ));
    }

    /// The whole document.
    pub fn finish(&self, title: &str) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            escape(title),
            self.body
        )
    }
}

/// A data frame as an HTML table: numbers to about four significant digits, empty for null.
pub fn frame_table(df: &DataFrame) -> String {
    let mut out = String::from("<table>\n<tr>");
    for c in df.columns() {
        out.push_str(&format!("<th>{}</th>", escape(c.name())));
    }
    out.push_str("</tr>\n");
    for i in 0..df.height() {
        out.push_str("<tr>");
        for c in df.columns() {
            let text = match c.get(i) {
                Ok(v) => match v.extract::<f64>() {
                    Some(x) if c.dtype().is_float() => short_number(x),
                    _ => any_value_text(&v),
                },
                Err(_) => String::new(),
            };
            out.push_str(&format!("<td>{}</td>", escape(&text)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}
