//! Reading a trace a batch of rows at a time, checking every row as it comes.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use orrery_engine::error::InputError;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;

use crate::format::{schema, VmRecord, COLUMNS, SOURCE_KEY, START_KEY, VERSION, VERSION_KEY};

/// Rows decoded at a time.
const BATCH_ROWS: usize = 1024;

/// Columns a trace may leave out (their values are then null).
const OPTIONAL: [&str; 4] = ["departure_ms", "tenant", "type", "attributes"];

/// What fixes a trace whose rows break the schema.
const FIX: &str = "regenerate the file with `orrery trace import`, or fix the row (docs/traces.md \
                   gives the schema)";

/// A trace being read: yields its VM records in file order, each checked against the schema
/// and the arrival order. Holds one batch of rows at a time.
pub struct TraceReader {
    path: PathBuf,
    batches: ParquetRecordBatchReader,
    batch: Option<RecordBatch>,
    next_in_batch: usize,
    row: usize,
    last_arrival: i64,
    rows: usize,
    source: String,
    start_unix_ms: Option<i64>,
    failed: bool,
}

impl std::fmt::Debug for TraceReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceReader")
            .field("path", &self.path)
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

/// A whole trace read once: its totals, and the distinct VM shapes it asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TraceScan {
    /// VM requests.
    pub vms: usize,
    /// Utilisation samples.
    pub samples: usize,
    /// Distinct (vCPUs, MIPS a vCPU, memory MB) shapes and how many VMs have each, in order.
    pub shapes: BTreeMap<Shape, usize>,
    /// The format the trace was imported from (`""` when the file does not say).
    pub source: String,
}

/// A VM's size: vCPUs, MIPS a vCPU and memory in MB (the floats by their bits, so shapes order
/// and compare exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shape {
    /// Virtual CPUs.
    pub vcpus: u32,
    mips_bits: u64,
    memory_bits: u64,
}

impl Shape {
    /// The shape of `r`.
    pub fn of(r: &VmRecord) -> Shape {
        Shape {
            vcpus: r.vcpus,
            mips_bits: r.cpu_mips.to_bits(),
            memory_bits: r.memory_mb.to_bits(),
        }
    }

    /// MIPS a vCPU.
    pub fn mips(&self) -> f64 {
        f64::from_bits(self.mips_bits)
    }

    /// Memory, MB.
    pub fn memory_mb(&self) -> f64 {
        f64::from_bits(self.memory_bits)
    }
}

impl TraceReader {
    /// Opens the trace at `path` and checks its columns (by name; extra columns are ignored,
    /// numeric and string types are converted where they fit).
    pub fn open(path: &Path) -> Result<TraceReader, InputError> {
        let file = File::open(path).map_err(|e| {
            InputError::file(path, format!("cannot open the trace: {e}"))
                .hint("check the path (relative paths are from the scenario file)")
        })?;
        let not_parquet = |e: &dyn std::fmt::Display| {
            InputError::file(path, format!("not a readable Parquet trace: {e}")).hint(
                "convert the source with `orrery trace import FORMAT SOURCE --out FILE` \
                 (`orrery trace import --help` lists the formats)",
            )
        };
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| not_parquet(&e))?;
        let meta = builder.metadata().file_metadata();
        let kv = |key: &str| {
            meta.key_value_metadata()
                .and_then(|kv| kv.iter().find(|e| e.key == key))
                .and_then(|e| e.value.clone())
        };
        if let Some(v) = kv(VERSION_KEY) {
            if v != VERSION {
                return Err(InputError::file(
                    path,
                    format!("trace schema version {v}; this orrery reads version {VERSION}"),
                )
                .hint("re-import the trace with this orrery's `orrery trace import`"));
            }
        }
        let source = kv(SOURCE_KEY).unwrap_or_default();
        let start_unix_ms = kv(START_KEY).and_then(|v| v.parse().ok());
        let rows = usize::try_from(meta.num_rows()).unwrap_or(0);
        let fields = builder.schema().fields().clone();
        let mut roots = Vec::new();
        for name in COLUMNS {
            match fields.iter().position(|f| f.name() == name) {
                Some(i) => roots.push(i),
                None if OPTIONAL.contains(&name) => {}
                None => {
                    return Err(
                        InputError::file(path, format!("the trace has no `{name}` column")).hint(
                            format!(
                        "a trace needs the columns {} (docs/traces.md); `orrery trace import` \
                         writes them",
                        COLUMNS
                            .iter()
                            .filter(|c| !OPTIONAL.contains(c))
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                        ),
                    )
                }
            }
        }
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let batches = builder
            .with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| not_parquet(&e))?;
        Ok(TraceReader {
            path: path.to_path_buf(),
            batches,
            batch: None,
            next_in_batch: 0,
            row: 0,
            last_arrival: 0,
            rows,
            source,
            start_unix_ms,
            failed: false,
        })
    }

    /// Rows the file says it holds.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The format the trace was imported from (`""` when the file does not say).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The wall-clock time of the trace's start, ms since the epoch, if the file records it.
    pub fn start_unix_ms(&self) -> Option<i64> {
        self.start_unix_ms
    }

    /// Reads the whole trace once, checking every row, and returns its totals and shapes;
    /// memory stays at one batch of rows.
    pub fn scan(path: &Path) -> Result<TraceScan, InputError> {
        let mut reader = TraceReader::open(path)?;
        let mut scan = TraceScan {
            source: reader.source.clone(),
            ..TraceScan::default()
        };
        for r in &mut reader {
            let r = r?;
            scan.vms += 1;
            scan.samples += r.sample_ms.len();
            *scan.shapes.entry(Shape::of(&r)).or_default() += 1;
        }
        Ok(scan)
    }

    /// An error at the current row.
    fn error(&self, id: Option<&str>, message: impl std::fmt::Display) -> InputError {
        let at = match id {
            Some(id) => format!("row {} (VM `{id}`)", self.row + 1),
            None => format!("row {}", self.row + 1),
        };
        InputError::file(&self.path, format!("{at}: {message}")).hint(FIX)
    }

    /// The next batch, its columns converted to the schema's types.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, InputError> {
        let Some(batch) = self.batches.next() else {
            return Ok(None);
        };
        let batch = batch.map_err(|e| self.error(None, format!("cannot decode: {e}")))?;
        let want = schema();
        let mut columns = Vec::with_capacity(COLUMNS.len());
        for field in want.fields() {
            let column: ArrayRef = match batch.column_by_name(field.name()) {
                Some(c) if c.data_type() == field.data_type() => c.clone(),
                Some(c) => arrow_cast::cast(c, field.data_type()).map_err(|e| {
                    self.error(
                        None,
                        format!(
                            "column `{}` is {}, not {}: {e}",
                            field.name(),
                            c.data_type(),
                            field.data_type()
                        ),
                    )
                })?,
                None => arrow_array::new_null_array(field.data_type(), batch.num_rows()),
            };
            if !field.is_nullable() && column.null_count() > 0 {
                let k = (0..column.len()).find(|&k| column.is_null(k)).unwrap_or(0);
                self.row += k;
                return Err(self.error(None, format!("`{}` is null", field.name())));
            }
            if let DataType::List(_) = column.data_type() {
                if column.as_list::<i32>().values().null_count() > 0 {
                    return Err(self.error(None, format!("`{}` holds a null", field.name())));
                }
            }
            columns.push(column);
        }
        RecordBatch::try_new(want, columns)
            .map(Some)
            .map_err(|e| self.error(None, e))
    }

    /// Row `k` of `batch` as a record.
    fn record(batch: &RecordBatch, k: usize) -> VmRecord {
        let c = |i: usize| batch.column(i);
        let text = |i: usize| {
            let a = c(i).as_string::<i32>();
            (!a.is_null(k)).then(|| a.value(k).to_string())
        };
        let departure = c(2).as_primitive::<Int64Type>();
        let mut attributes = BTreeMap::new();
        let map = c(8).as_map();
        if !map.is_null(k) {
            let entries = map.value(k);
            let keys = entries.column(0).as_string::<i32>();
            let values = entries.column(1).as_string::<i32>();
            for j in 0..entries.len() {
                if !values.is_null(j) {
                    attributes.insert(keys.value(j).to_string(), values.value(j).to_string());
                }
            }
        }
        let list = |i: usize| c(i).as_list::<i32>().value(k);
        let sample_ms = list(9).as_primitive::<Int64Type>().values().to_vec();
        let cpu_util = list(10).as_primitive::<Float64Type>().values().to_vec();
        let vcpus = c(3).as_primitive::<Int32Type>().value(k);
        VmRecord {
            id: text(0).unwrap_or_default(),
            arrival_ms: c(1).as_primitive::<Int64Type>().value(k),
            departure_ms: (!departure.is_null(k)).then(|| departure.value(k)),
            // A negative count becomes 0, which `check` refuses.
            vcpus: u32::try_from(vcpus).unwrap_or(0),
            cpu_mips: c(4).as_primitive::<Float64Type>().value(k),
            memory_mb: c(5).as_primitive::<Float64Type>().value(k),
            tenant: text(6),
            vm_type: text(7),
            attributes,
            sample_ms,
            cpu_util,
        }
    }
}

impl Iterator for TraceReader {
    type Item = Result<VmRecord, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            if let Some(batch) = &self.batch {
                if self.next_in_batch < batch.num_rows() {
                    let r = TraceReader::record(batch, self.next_in_batch);
                    self.next_in_batch += 1;
                    let checked = r
                        .check()
                        .and_then(|()| {
                            if r.arrival_ms < self.last_arrival {
                                Err(format!(
                                    "arrival_ms {} is before the previous row's {}: rows must be \
                                     in order of arrival",
                                    r.arrival_ms, self.last_arrival
                                ))
                            } else {
                                Ok(())
                            }
                        })
                        .map_err(|m| self.error(Some(&r.id), m));
                    if checked.is_err() {
                        self.failed = true;
                    }
                    self.row += 1;
                    self.last_arrival = r.arrival_ms;
                    return Some(checked.map(|()| r));
                }
            }
            match self.next_batch() {
                Ok(Some(b)) => {
                    self.batch = Some(b);
                    self.next_in_batch = 0;
                }
                Ok(None) => return None,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
