//! The `mode` key of a `target_tracking` table.

use serde_json::Value;

/// How a `target_tracking` table is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `ratio` (the default): [`super::TargetTracking`], after the HPA's documented formula.
    Ratio,
    /// `hpa`: [`super::HpaRule`], the Kubernetes controller itself.
    Hpa,
}

impl Mode {
    /// Takes `mode` out of a `target_tracking` table: absent or `"ratio"` is [`Mode::Ratio`],
    /// `"hpa"` [`Mode::Hpa`]; anything else is an error message.
    pub fn take(table: &mut Value) -> Result<Mode, String> {
        let Some(mode) = table.as_object_mut().and_then(|t| t.remove("mode")) else {
            return Ok(Mode::Ratio);
        };
        match mode.as_str() {
            Some("ratio") => Ok(Mode::Ratio),
            Some("hpa") => Ok(Mode::Hpa),
            _ => Err(format!("unknown target-tracking mode {mode}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_mode_is_taken_out_of_the_table() {
        let mut t = json!({"mode": "hpa", "metrics": []});
        assert_eq!(Mode::take(&mut t), Ok(Mode::Hpa));
        assert_eq!(t, json!({"metrics": []}));
        assert_eq!(Mode::take(&mut t), Ok(Mode::Ratio));
        assert_eq!(Mode::take(&mut json!({"mode": "ratio"})), Ok(Mode::Ratio));
        let e = Mode::take(&mut json!({"mode": "keda"})).unwrap_err();
        assert_eq!(e, "unknown target-tracking mode \"keda\"");
    }
}
