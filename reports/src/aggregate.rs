//! Aggregation over replicas: for every numeric metric of `results.csv`, per point, the mean,
//! the sample standard deviation and the half-width of the 95 % confidence interval of the mean.

use polars::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::statistics::Statistics;

/// The confidence level of the intervals.
pub const CONFIDENCE: f64 = 0.95;

/// Column suffixes of `aggregate.csv`: per metric `M`, `M_mean`, `M_sd` (sample standard
/// deviation, n − 1) and `M_ci95`, the half-width h of the 95 % interval mean ± h.
pub const MEAN: &str = "_mean";
/// See [`MEAN`].
pub const SD: &str = "_sd";
/// See [`MEAN`].
pub const CI95: &str = "_ci95";

/// The (1 + [`CONFIDENCE`]) / 2 quantile of Student's t with `dof` degrees of freedom (`dof` ≥ 1).
pub fn t_quantile(dof: u64) -> f64 {
    // Only a zero or non-finite `freedom` is rejected, and `dof` ≥ 1 here.
    StudentsT::new(0.0, 1.0, dof as f64)
        .map(|t| t.inverse_cdf((1.0 + CONFIDENCE) / 2.0))
        .unwrap_or(f64::NAN)
}

/// Half-width of the 95 % confidence interval of a mean of `n` values with sample standard
/// deviation `sd`; none for fewer than two values.
pub fn ci_half_width(sd: f64, n: u64) -> Option<f64> {
    (n >= 2).then(|| t_quantile(n - 1) * sd / (n as f64).sqrt())
}

/// The metrics of `results` to aggregate: the declared summary figures
/// ([`orrery_engine::scenario::sweep::metrics`]) the table has, in its order.
pub fn metric_columns(results: &DataFrame) -> Vec<String> {
    orrery_engine::scenario::sweep::metrics()
        .into_iter()
        .map(|c| c.name)
        .filter(|n| results.column(n).is_ok())
        .collect()
}

/// A metric's statistics over the runs of one point that have a value for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// The mean (none without values).
    pub mean: Option<f64>,
    /// The sample standard deviation (n − 1; none below two values).
    pub sd: Option<f64>,
    /// Half-width of the 95 % confidence interval of the mean (none below two values).
    pub ci95: Option<f64>,
}

impl Stats {
    /// The statistics of `values`.
    pub fn of(values: &[f64]) -> Stats {
        let n = values.len() as u64;
        let sd = (n >= 2).then(|| values.iter().std_dev());
        Stats {
            mean: (n >= 1).then(|| values.iter().mean()),
            sd,
            ci95: sd.and_then(|sd| ci_half_width(sd, n)),
        }
    }
}

/// One row per point (in point order) with `point`, the swept `keys`, `replicas` (runs of the
/// point) and, per metric, its mean, standard deviation and 95 % CI half-width over the runs
/// where it has a value (standard deviation and interval empty below two such runs).
pub fn aggregate(results: &DataFrame, keys: &[String]) -> PolarsResult<DataFrame> {
    let metrics = metric_columns(results);
    let group: Vec<&str> = std::iter::once("point")
        .chain(keys.iter().map(String::as_str))
        .collect();
    let sorted = results.sort(
        ["point"],
        SortMultipleOptions::default().with_maintain_order(true),
    )?;
    let parts = sorted.partition_by_stable(group.iter().copied(), true)?;
    let mut out = DataFrame::empty();
    for part in &parts {
        out.vstack_mut(&part.select(group.iter().copied())?.head(Some(1)))?;
    }
    let replicas: Vec<u64> = parts.iter().map(|p| p.height() as u64).collect();
    out.with_column(Column::new("replicas".into(), replicas))?;
    for m in &metrics {
        let mut stats = Vec::with_capacity(parts.len());
        for part in &parts {
            let column = part.column(m)?.cast(&DataType::Float64)?;
            let values: Vec<f64> = column.f64()?.iter().flatten().collect();
            stats.push(Stats::of(&values));
        }
        let pick =
            |f: fn(&Stats) -> Option<f64>| -> Vec<Option<f64>> { stats.iter().map(f).collect() };
        out.with_column(Column::new(format!("{m}{MEAN}").into(), pick(|s| s.mean)))?;
        out.with_column(Column::new(format!("{m}{SD}").into(), pick(|s| s.sd)))?;
        out.with_column(Column::new(format!("{m}{CI95}").into(), pick(|s| s.ci95)))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        // t_{0.975, dof} from standard tables.
        for (dof, t) in [
            (1, 12.706205),
            (2, 4.302653),
            (10, 2.228139),
            (30, 2.042272),
        ] {
            assert!(
                (t_quantile(dof) - t).abs() < 1e-6,
                "dof {dof}: {}",
                t_quantile(dof)
            );
        }
    }

    #[test]
    fn stats_of_few_values() {
        assert_eq!(
            Stats::of(&[]),
            Stats {
                mean: None,
                sd: None,
                ci95: None
            }
        );
        assert_eq!(
            Stats::of(&[7.0]),
            Stats {
                mean: Some(7.0),
                sd: None,
                ci95: None
            }
        );
        // 1, 2, 3, 4, 5: mean 3, sd √2.5, h = t(4) · √2.5 / √5 = 2.776445 · √0.5.
        let s = Stats::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, Some(3.0));
        assert!((s.sd.unwrap() - 2.5f64.sqrt()).abs() < 1e-12);
        assert!((s.ci95.unwrap() - 2.776445 * 0.5f64.sqrt()).abs() < 1e-6);
    }
}
