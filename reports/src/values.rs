//! How values are written as text in labels, tables and plots.

use polars::prelude::AnyValue;

/// A swept value from JSON: strings bare, integers as integers, other numbers as the shortest
/// decimal (so `2.0` reads `2`, as in a CSV column of numbers).
pub fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.as_f64().map_or_else(|| n.to_string(), |x| x.to_string()),
        },
        other => other.to_string(),
    }
}

/// A table cell's value: strings bare, numbers as the shortest decimal, empty for null.
pub fn any_value_text(v: &AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(x) => x.to_string(),
        AnyValue::Float32(x) => x.to_string(),
        other => other.to_string(),
    }
}

/// A number with about four significant digits (fewer decimals for larger magnitudes).
pub fn short_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let decimals = (3 - x.abs().log10().floor() as i64).clamp(0, 8) as usize;
    format!("{x:.decimals$}")
}
