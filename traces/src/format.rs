//! The trace schema: one row per VM request (docs/traces.md).
//!
//! | column | type | meaning |
//! | --- | --- | --- |
//! | `id` | string | the VM's name, unique in the trace |
//! | `arrival_ms` | int64 | when the request arrives, ms from the trace's start (≥ 0) |
//! | `departure_ms` | int64, nullable | when the VM leaves (> arrival); null: it runs to the end |
//! | `vcpus` | int32 | virtual CPUs (≥ 1) |
//! | `cpu_mips` | double | capacity of one vCPU, MIPS (MHz in the sources) |
//! | `memory_mb` | double | memory, MB |
//! | `tenant` | string, nullable | the owning tenant |
//! | `type` | string, nullable | the instance type or category the source gives |
//! | `attributes` | `map<string, string>`, nullable | anything else the source says about the VM |
//! | `sample_ms` | `list<int64>` | utilisation sample times, ms from the trace's start, strictly increasing |
//! | `cpu_util` | `list<double>` | utilisation of the VM's whole CPU (vcpus × cpu_mips) at each sample, in [0, 1]; it holds until the next sample |
//!
//! Rows are in order of arrival (ties by id). The file's key-value metadata carries
//! `orrery.trace.version` ([`VERSION`]), `orrery.trace.source` (the importer's format) and,
//! where the source has wall-clock times, `orrery.trace.start_unix_ms` (the time of ms 0).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::builder::{
    Float64Builder, Int32Builder, Int64Builder, ListBuilder, MapBuilder, StringBuilder,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};

/// The schema version this crate writes and reads.
pub const VERSION: &str = "1";
/// Metadata key of the schema version.
pub const VERSION_KEY: &str = "orrery.trace.version";
/// Metadata key of the source format.
pub const SOURCE_KEY: &str = "orrery.trace.source";
/// Metadata key of the wall-clock time of the trace's start, ms since the Unix epoch (where the
/// source has one).
pub const START_KEY: &str = "orrery.trace.start_unix_ms";

/// The most vCPUs a VM may have.
pub const MAX_VCPUS: u32 = 1 << 16;

/// The columns, in file order.
pub const COLUMNS: [&str; 11] = [
    "id",
    "arrival_ms",
    "departure_ms",
    "vcpus",
    "cpu_mips",
    "memory_mb",
    "tenant",
    "type",
    "attributes",
    "sample_ms",
    "cpu_util",
];

/// One VM request and its utilisation samples (a row of the trace).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VmRecord {
    /// The VM's name.
    pub id: String,
    /// Arrival, ms from the trace's start.
    pub arrival_ms: i64,
    /// Departure, ms from the trace's start (`None`: runs to the end).
    pub departure_ms: Option<i64>,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Capacity of one vCPU, MIPS.
    pub cpu_mips: f64,
    /// Memory, MB.
    pub memory_mb: f64,
    /// Owning tenant.
    pub tenant: Option<String>,
    /// Instance type or category.
    pub vm_type: Option<String>,
    /// Other attributes from the source.
    pub attributes: BTreeMap<String, String>,
    /// Sample times, ms from the trace's start, strictly increasing.
    pub sample_ms: Vec<i64>,
    /// Utilisation of the whole CPU at each sample, in [0, 1].
    pub cpu_util: Vec<f64>,
}

impl VmRecord {
    /// What is wrong with this record, if anything: the rules of the schema above.
    pub fn check(&self) -> Result<(), String> {
        if self.id.is_empty() {
            return Err("the id is empty".into());
        }
        if self.arrival_ms < 0 {
            return Err(format!("arrival_ms {} is negative", self.arrival_ms));
        }
        if let Some(d) = self.departure_ms {
            if d <= self.arrival_ms {
                return Err(format!(
                    "departure_ms {d} is not after arrival_ms {}",
                    self.arrival_ms
                ));
            }
        }
        if self.vcpus == 0 || self.vcpus > MAX_VCPUS {
            return Err(format!(
                "vcpus {} is not between 1 and {MAX_VCPUS}",
                self.vcpus
            ));
        }
        if !(self.cpu_mips.is_finite() && self.cpu_mips > 0.0) {
            return Err(format!(
                "cpu_mips {} is not a positive number",
                self.cpu_mips
            ));
        }
        if !(self.memory_mb.is_finite() && self.memory_mb >= 0.0) {
            return Err(format!(
                "memory_mb {} is not a non-negative number",
                self.memory_mb
            ));
        }
        if self.sample_ms.len() != self.cpu_util.len() {
            return Err(format!(
                "{} sample times but {} utilisation values",
                self.sample_ms.len(),
                self.cpu_util.len()
            ));
        }
        if let Some(w) = self.sample_ms.windows(2).find(|w| w[1] <= w[0]) {
            return Err(format!(
                "sample times are not increasing ({} then {})",
                w[0], w[1]
            ));
        }
        if let Some(u) = self
            .cpu_util
            .iter()
            .find(|u| !(u.is_finite() && (0.0..=1.0).contains(*u)))
        {
            return Err(format!("utilisation {u} is not between 0 and 1"));
        }
        Ok(())
    }

    /// The whole CPU the VM asks for, MIPS.
    pub fn total_mips(&self) -> f64 {
        f64::from(self.vcpus) * self.cpu_mips
    }

    /// MB-hours of memory held up to `end_ms`: memory × time from arrival to departure (or
    /// `end_ms`, whichever is first).
    pub fn memory_mb_hours(&self, end_ms: i64) -> f64 {
        let stop = self.departure_ms.unwrap_or(end_ms).min(end_ms);
        self.memory_mb * (stop - self.arrival_ms).max(0) as f64 / 3_600_000.0
    }

    /// CPU-hours used up to `end_ms`: vCPUs × utilisation, each sample held until the next,
    /// from arrival to departure (or `end_ms`, whichever is first). Before its first sample the
    /// VM counts as idle.
    pub fn cpu_hours_used(&self, end_ms: i64) -> f64 {
        let stop = self.departure_ms.unwrap_or(end_ms).min(end_ms);
        let mut sum = 0.0;
        for (k, (&t, &u)) in self.sample_ms.iter().zip(&self.cpu_util).enumerate() {
            let next = self.sample_ms.get(k + 1).copied().unwrap_or(stop).min(stop);
            let start = t.max(self.arrival_ms);
            if next > start {
                sum += u * (next - start) as f64;
            }
        }
        sum * f64::from(self.vcpus) / 3_600_000.0
    }
}

/// Builders for a batch of rows.
pub(crate) struct Columns {
    id: StringBuilder,
    arrival: Int64Builder,
    departure: Int64Builder,
    vcpus: Int32Builder,
    mips: Float64Builder,
    memory: Float64Builder,
    tenant: StringBuilder,
    vm_type: StringBuilder,
    attributes: MapBuilder<StringBuilder, StringBuilder>,
    sample_ms: ListBuilder<Int64Builder>,
    cpu_util: ListBuilder<Float64Builder>,
}

impl Columns {
    pub(crate) fn new() -> Columns {
        Columns {
            id: StringBuilder::new(),
            arrival: Int64Builder::new(),
            departure: Int64Builder::new(),
            vcpus: Int32Builder::new(),
            mips: Float64Builder::new(),
            memory: Float64Builder::new(),
            tenant: StringBuilder::new(),
            vm_type: StringBuilder::new(),
            attributes: MapBuilder::new(None, StringBuilder::new(), StringBuilder::new()),
            sample_ms: ListBuilder::new(Int64Builder::new()).with_field(Field::new(
                "item",
                DataType::Int64,
                false,
            )),
            cpu_util: ListBuilder::new(Float64Builder::new()).with_field(Field::new(
                "item",
                DataType::Float64,
                false,
            )),
        }
    }

    /// Appends `r` (its vCPUs are capped by `check` far below `i32::MAX`).
    pub(crate) fn push(&mut self, r: &VmRecord) {
        self.id.append_value(&r.id);
        self.arrival.append_value(r.arrival_ms);
        self.departure.append_option(r.departure_ms);
        self.vcpus
            .append_value(i32::try_from(r.vcpus).unwrap_or(i32::MAX));
        self.mips.append_value(r.cpu_mips);
        self.memory.append_value(r.memory_mb);
        self.tenant.append_option(r.tenant.as_deref());
        self.vm_type.append_option(r.vm_type.as_deref());
        if r.attributes.is_empty() {
            self.attributes.append(false).expect("map lengths agree");
        } else {
            for (k, v) in &r.attributes {
                self.attributes.keys().append_value(k);
                self.attributes.values().append_value(v);
            }
            self.attributes.append(true).expect("map lengths agree");
        }
        self.sample_ms.values().append_slice(&r.sample_ms);
        self.sample_ms.append(true);
        self.cpu_util.values().append_slice(&r.cpu_util);
        self.cpu_util.append(true);
    }

    /// The rows appended so far, as a batch of [`schema`].
    pub(crate) fn finish(&mut self) -> RecordBatch {
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.arrival.finish()),
            Arc::new(self.departure.finish()),
            Arc::new(self.vcpus.finish()),
            Arc::new(self.mips.finish()),
            Arc::new(self.memory.finish()),
            Arc::new(self.tenant.finish()),
            Arc::new(self.vm_type.finish()),
            Arc::new(self.attributes.finish()),
            Arc::new(self.sample_ms.finish()),
            Arc::new(self.cpu_util.finish()),
        ];
        RecordBatch::try_new(schema(), arrays).expect("columns follow the schema")
    }
}

/// Which columns may hold nulls.
const NULLABLE: [bool; 11] = [
    false, false, true, false, false, false, true, true, true, false, false,
];

/// The Arrow schema of a trace: the builders' own types, so the two cannot disagree.
pub fn schema() -> Arc<Schema> {
    let mut c = Columns::new();
    let types: Vec<DataType> = vec![
        DataType::Utf8,
        DataType::Int64,
        DataType::Int64,
        DataType::Int32,
        DataType::Float64,
        DataType::Float64,
        DataType::Utf8,
        DataType::Utf8,
        c.attributes.finish().data_type().clone(),
        c.sample_ms.finish().data_type().clone(),
        c.cpu_util.finish().data_type().clone(),
    ];
    Arc::new(Schema::new(
        COLUMNS
            .iter()
            .zip(types)
            .zip(NULLABLE)
            .map(|((name, t), nullable)| Field::new(*name, t, nullable))
            .collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm() -> VmRecord {
        VmRecord {
            id: "v".into(),
            arrival_ms: 1000,
            departure_ms: Some(5000),
            vcpus: 2,
            cpu_mips: 1000.0,
            memory_mb: 512.0,
            sample_ms: vec![1000, 3000],
            cpu_util: vec![0.5, 0.25],
            ..VmRecord::default()
        }
    }

    #[test]
    fn cpu_hours_hold_each_sample_until_the_next() {
        // 2 vCPUs × (0.5 × 2 s + 0.25 × 2 s) = 3 vCPU·s.
        assert!((vm().cpu_hours_used(i64::MAX) - 3.0 / 3600.0).abs() < 1e-15);
        // Cut at 4 s: 2 × (0.5 × 2 + 0.25 × 1) = 2.5.
        assert!((vm().cpu_hours_used(4000) - 2.5 / 3600.0).abs() < 1e-15);
    }

    #[test]
    fn check_names_what_is_wrong() {
        assert_eq!(vm().check(), Ok(()));
        let bad = |f: fn(&mut VmRecord)| {
            let mut r = vm();
            f(&mut r);
            r.check().unwrap_err()
        };
        assert!(bad(|r| r.departure_ms = Some(1000)).contains("not after"));
        assert!(bad(|r| r.sample_ms = vec![3000, 3000]).contains("not increasing"));
        assert!(bad(|r| r.cpu_util[1] = f64::NAN).contains("not between 0 and 1"));
        assert!(bad(|r| r.cpu_util.pop().map_or((), drop)).contains("2 sample times but 1"));
        assert!(bad(|r| r.vcpus = 0).contains("vcpus"));
        assert!(bad(|r| r.cpu_mips = f64::INFINITY).contains("cpu_mips"));
    }
}
