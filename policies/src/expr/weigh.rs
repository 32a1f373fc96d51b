//! Nova-style weighers: per attribute, min–max normalised over the candidates, weighted.

use super::value::{numeric, Attributes};

/// One Nova-style weigher: a numeric host attribute and the multiplier of its normalised
/// value (negative to prefer hosts with low values).
#[derive(Debug, Clone, PartialEq)]
pub struct Weigher {
    /// Attribute name (matched case-insensitively).
    pub attribute: String,
    /// Weight of this attribute's normalised value in the score.
    pub multiplier: f64,
}

/// Scores `hosts` (in their order; highest wins), as Nova's weight handler does: for
/// each weigher, the hosts' values are min–max normalised to [0, 1] over `hosts` (all
/// equal → 0, as Nova's `normalize`), multiplied by the multiplier and added up.
///
/// A host whose value is missing, non-numeric or not finite is left out of the min and
/// max and scores as the worst host for that weigher: normalised 0 for a positive
/// multiplier, 1 for a negative one.
pub fn weigh(weighers: &[Weigher], hosts: &[&dyn Attributes]) -> Vec<f64> {
    let mut scores = vec![0.0; hosts.len()];
    let mut values = Vec::with_capacity(hosts.len());
    for w in weighers {
        let name = w.attribute.to_ascii_uppercase();
        values.clear();
        values.extend(hosts.iter().map(|h| {
            h.get(&name)
                .as_ref()
                .and_then(numeric)
                .filter(|x| x.is_finite())
        }));
        let (min, max) = values
            .iter()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let range = max - min;
        let missing = if w.multiplier < 0.0 { 1.0 } else { 0.0 };
        for (score, value) in scores.iter_mut().zip(&values) {
            let norm = match value {
                Some(x) if range > 0.0 => (x - min) / range,
                Some(_) => 0.0,
                None => missing,
            };
            *score += w.multiplier * norm;
        }
    }
    scores
}
