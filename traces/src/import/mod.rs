//! Importers: the public datasets' own formats into orrery's trace (docs/traces.md gives each
//! source schema and its mapping).
//!
//! Every importer reads its source, turns each VM (or task, job, container) into a
//! [`VmRecord`] and hands it to an [`Import`], which checks it, counts what was dropped and
//! why, and writes the trace at the end. Importers that see machines record them as
//! [`HostRecord`]s, written beside the trace on request.

mod alibaba2018;
mod azure;
mod azure_packing;
mod bitbrains;
mod google2011;
mod google2019;
mod huawei;
mod opendc;
mod planetlab;
mod swf;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use arrow_array::ArrayRef;
use arrow_schema::DataType;
use orrery_engine::error::InputError;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use crate::format::VmRecord;
use crate::write::{TraceWriter, WriteSummary};

/// A source format `orrery trace import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenDC's workload format: `tasks.parquet` and `fragments.parquet` in a directory.
    Opendc,
    /// PlanetLab: a directory of files, one integer percent a line every 300 s.
    Planetlab,
    /// Google cluster-usage trace 2011 (ClusterData2011_2): machine events, task events and
    /// task usage, CSV.
    Google2011,
    /// Google Borg trace 2019 (ClusterData2019, format v3): machine, collection and instance
    /// events and instance usage, JSON lines.
    Google2019,
    /// Alibaba cluster trace v2018: machine_meta, container_meta and container_usage, CSV.
    Alibaba2018,
    /// Huawei Cloud's Huawei-East-1 VM placement dataset: VM creations and deletions, CSV.
    Huawei,
    /// Azure Public Dataset V1 (2017): `vmtable` and `vm_cpu_readings` CSV in a directory.
    AzureV1,
    /// Azure Public Dataset V2 (2019): as V1, VM sizes in buckets.
    AzureV2,
    /// Azure Packing Trace 2020: its `vm` and `vmType` tables as CSV in a directory.
    AzurePacking,
    /// Standard Workload Format v2.2 (Parallel Workloads Archive): one `.swf(.gz)` file.
    Swf,
    /// Bitbrains GWA-T-12: a directory of `N.csv` files, one VM each.
    Bitbrains,
}

impl Format {
    /// Every format with its command-line name, in the order `--help` lists them.
    pub const ALL: &'static [(Format, &'static str)] = &[
        (Format::Opendc, "opendc"),
        (Format::Planetlab, "planetlab"),
        (Format::Google2011, "google-2011"),
        (Format::Google2019, "google-2019"),
        (Format::Alibaba2018, "alibaba-2018"),
        (Format::Huawei, "huawei"),
        (Format::AzureV1, "azure-v1"),
        (Format::AzureV2, "azure-v2"),
        (Format::AzurePacking, "azure-packing"),
        (Format::Swf, "swf"),
        (Format::Bitbrains, "bitbrains"),
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map(|(_, n)| *n)
            .expect("every format is listed")
    }

    /// Every name, comma-separated (for errors and help).
    pub fn names() -> String {
        Format::ALL
            .iter()
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(f, _)| *f)
            .ok_or_else(|| format!("unknown trace format `{s}`; known: {}", Format::names()))
    }
}

/// The unit a source gives memory in, where the source is ambiguous about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemoryUnit {
    /// Kilobytes (1000 bytes; GWA-T-12's unit).
    Kb,
    /// Megabytes.
    #[default]
    Mb,
    /// Gigabytes.
    Gb,
}

impl MemoryUnit {
    /// MB in one of this unit.
    pub fn in_mb(self) -> f64 {
        match self {
            MemoryUnit::Kb => 1e-3,
            MemoryUnit::Mb => 1.0,
            MemoryUnit::Gb => 1e3,
        }
    }
}

impl FromStr for MemoryUnit {
    type Err = String;

    fn from_str(s: &str) -> Result<MemoryUnit, String> {
        match s.to_ascii_lowercase().as_str() {
            "kb" => Ok(MemoryUnit::Kb),
            "mb" => Ok(MemoryUnit::Mb),
            "gb" => Ok(MemoryUnit::Gb),
            _ => Err(format!("unknown memory unit `{s}`; known: kb, mb, gb")),
        }
    }
}

/// Choices an import needs that the source does not settle.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The unit of the source's memory column where it is ambiguous (OpenDC: MB as documented,
    /// though the Bitbrains sample holds GWA-T-12's KB).
    pub memory_unit: MemoryUnit,
    /// The largest machine, for traces that normalise capacities to it (Google, Alibaba):
    /// cores, MIPS a core and memory in MB.
    pub machine: Machine,
    /// The size of every VM of a source that gives none (PlanetLab).
    pub vm: Machine,
    /// Where to write the source's machines, if it has them (CSV, one machine a row).
    pub hosts_out: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            memory_unit: MemoryUnit::default(),
            machine: Machine {
                cores: 32,
                core_mips: 2500.0,
                memory_mb: 131_072.0,
            },
            vm: Machine {
                cores: 1,
                core_mips: 1000.0,
                memory_mb: 1024.0,
            },
            hosts_out: None,
        }
    }
}

/// A machine's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Machine {
    /// CPU cores.
    pub cores: u32,
    /// MIPS a core.
    pub core_mips: f64,
    /// Memory, MB.
    pub memory_mb: f64,
}

/// A machine the source describes.
#[derive(Debug, Clone, PartialEq)]
pub struct HostRecord {
    /// Its name in the source.
    pub name: String,
    /// Its size.
    pub machine: Machine,
}

/// What an import read, wrote and left out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// The source format's name.
    pub format: String,
    /// VM requests written.
    pub vms: usize,
    /// Utilisation samples written.
    pub samples: usize,
    /// Samples whose utilisation exceeded the VM's capacity and was capped at 1.
    pub capped: usize,
    /// Source rows (or whole VMs) left out, by reason.
    pub dropped: BTreeMap<String, usize>,
    /// Machines found (written to `hosts_out` when asked).
    pub hosts: usize,
}

impl Report {
    /// A few lines for the terminal.
    pub fn render(&self) -> String {
        let mut s = format!(
            "imported {} VM requests and {} utilisation samples ({})\n",
            self.vms, self.samples, self.format
        );
        if self.capped > 0 {
            let _ = writeln!(
                s,
                "  {} samples above the VM's capacity were capped at 100 %",
                self.capped
            );
        }
        for (why, n) in &self.dropped {
            let _ = writeln!(s, "  dropped {n}: {why}");
        }
        if self.hosts > 0 {
            let _ = writeln!(s, "  {} machines", self.hosts);
        }
        s
    }
}

/// An import under way: the records so far, what was dropped, the machines seen.
#[derive(Debug)]
pub struct Import {
    writer: TraceWriter,
    report: Report,
    hosts: Vec<HostRecord>,
}

impl Import {
    /// Adds `record`, read at `place` in the source (named in the error if it breaks the
    /// schema), capping utilisation above 1 and counting the caps.
    pub fn vm(
        &mut self,
        source: &Path,
        place: &str,
        mut record: VmRecord,
    ) -> Result<(), InputError> {
        for u in &mut record.cpu_util {
            if *u > 1.0 && u.is_finite() {
                *u = 1.0;
                self.report.capped += 1;
            }
        }
        self.writer.push(record).map_err(|m| {
            InputError::file(source, format!("{place}: {m}"))
                .hint("fix or remove that row of the source")
        })
    }

    /// Counts one source row or VM left out, and why.
    pub fn drop(&mut self, why: &str) {
        *self.report.dropped.entry(why.to_string()).or_default() += 1;
    }

    /// Sets the wall-clock time of the trace's start (ms since the Unix epoch), where the
    /// source has one: carbon-intensity series are aligned with it.
    pub fn start_unix_ms(&mut self, ms: i64) {
        self.writer.start_unix_ms(ms);
    }

    /// Records a machine of the source.
    pub fn host(&mut self, host: HostRecord) {
        self.hosts.push(host);
    }
}

/// Imports `source` (a file or directory, as the format has it) into the trace `out`.
pub fn import(
    format: Format,
    source: &Path,
    out: &Path,
    options: &Options,
) -> Result<Report, InputError> {
    if !source.exists() {
        return Err(InputError::file(source, "the source does not exist")
            .hint("check the path to the trace you are importing"));
    }
    let mut import = Import {
        writer: TraceWriter::new(out, format.name()),
        report: Report {
            format: format.name().to_string(),
            ..Report::default()
        },
        hosts: Vec::new(),
    };
    match format {
        Format::Opendc => opendc::read(source, options, &mut import)?,
        Format::Planetlab => planetlab::read(source, options, &mut import)?,
        Format::Google2011 => google2011::read(source, options, &mut import)?,
        Format::Google2019 => google2019::read(source, options, &mut import)?,
        Format::Alibaba2018 => alibaba2018::read(source, options, &mut import)?,
        Format::Huawei => huawei::read(source, options, &mut import)?,
        Format::AzureV1 => azure::read(azure::Release::V1, source, options, &mut import)?,
        Format::AzureV2 => azure::read(azure::Release::V2, source, options, &mut import)?,
        Format::AzurePacking => azure_packing::read(source, options, &mut import)?,
        Format::Swf => swf::read(source, options, &mut import)?,
        Format::Bitbrains => bitbrains::read(source, options, &mut import)?,
    }
    if import.writer.is_empty() {
        return Err(
            InputError::file(source, "the source holds no VM requests to import")
                .hint(format!("check that it is a `{}` trace", format.name())),
        );
    }
    let Import {
        writer,
        mut report,
        hosts,
    } = import;
    let WriteSummary { vms, samples } = writer.finish()?;
    report.vms = vms;
    report.samples = samples;
    report.hosts = hosts.len();
    if let Some(path) = &options.hosts_out {
        write_hosts(path, &hosts)?;
    }
    Ok(report)
}

/// Writes `hosts` as CSV (`name,cores,core_mips,memory_mb`), atomically.
fn write_hosts(path: &Path, hosts: &[HostRecord]) -> Result<(), InputError> {
    let mut text = String::from("name,cores,core_mips,memory_mb\n");
    for h in hosts {
        let m = h.machine;
        let _ = writeln!(
            text,
            "{},{},{},{}",
            h.name, m.cores, m.core_mips, m.memory_mb
        );
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            InputError::file(path, format!("cannot write the hosts file: {e}"))
                .hint("check that the directory exists and is writable")
        })
}

/// Reads the Parquet file `path` a batch at a time: `columns` (name and the type each is
/// converted to) are handed to `each` with the index of the batch's first row; an error it
/// returns names the file. Nulls are refused.
pub(crate) fn parquet_rows(
    path: &Path,
    columns: &[(&str, DataType)],
    mut each: impl FnMut(usize, &[ArrayRef]) -> Result<(), String>,
) -> Result<(), InputError> {
    let fail = |m: String| {
        InputError::file(path, m).hint("check that the file is the dataset's own, unaltered")
    };
    let file = std::fs::File::open(path).map_err(|e| {
        InputError::file(path, format!("cannot open: {e}")).hint("check the source directory")
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| fail(format!("not a readable Parquet file: {e}")))?;
    let fields = builder.schema().fields().clone();
    let mut roots = Vec::new();
    for (name, _) in columns {
        let i = fields
            .iter()
            .position(|f| f.name() == name)
            .ok_or_else(|| fail(format!("no `{name}` column")))?;
        roots.push(i);
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(8192)
        .build()
        .map_err(|e| fail(format!("cannot read: {e}")))?;
    let mut row = 0;
    for batch in reader {
        let batch = batch.map_err(|e| fail(format!("cannot decode near row {}: {e}", row + 1)))?;
        let mut arrays = Vec::with_capacity(columns.len());
        for (name, want) in columns {
            let c = batch.column_by_name(name).expect("projected");
            if c.null_count() > 0 {
                let k = (0..c.len()).find(|&k| c.is_null(k)).unwrap_or(0);
                return Err(fail(format!("row {}: `{name}` is null", row + k + 1)));
            }
            let c = if c.data_type() == want {
                c.clone()
            } else {
                arrow_cast::cast(c, want).map_err(|e| {
                    fail(format!(
                        "column `{name}` is {}, not {want}: {e}",
                        c.data_type()
                    ))
                })?
            };
            arrays.push(c);
        }
        each(row, &arrays).map_err(fail)?;
        row += batch.num_rows();
    }
    Ok(())
}

/// Opens `path` for reading, through a gzip decoder when its name ends in `.gz`.
pub(crate) fn open_text(path: &Path) -> Result<Box<dyn std::io::Read>, InputError> {
    let file = std::fs::File::open(path).map_err(|e| {
        InputError::file(path, format!("cannot open: {e}")).hint("check the source directory")
    })?;
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(std::io::BufReader::new(file))
    })
}

/// Reads the headerless CSV file `path` (gzip-compressed when its name ends in `.gz`) a row at
/// a time, skipping blank lines and lines starting with `#`. A row `each` refuses, or one that
/// is not CSV, is an error naming the file and the line, with `fix` as its hint.
pub(crate) fn csv_rows(
    path: &Path,
    fix: &str,
    mut each: impl FnMut(&Row) -> Result<(), String>,
) -> Result<(), InputError> {
    let at = |line: u64, m: String| {
        InputError::file(path, m)
            .at(usize::try_from(line).unwrap_or(usize::MAX), None)
            .hint(fix)
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(open_text(path)?);
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = record.position().map_or(line, |p| p.line());
                each(&Row {
                    record: &record,
                    line,
                })
                .map_err(|m| at(line, m))?;
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                return Err(at(line, format!("not readable as CSV: {e}")));
            }
        }
    }
}

/// A row of a CSV source: its fields by position, read with errors that name the column.
pub(crate) struct Row<'a> {
    record: &'a csv::StringRecord,
    line: u64,
}

impl Row<'_> {
    /// The row's 1-based line in its file.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Fails unless the row has at least `n` columns, as rows of `table` have.
    pub(crate) fn columns(&self, n: usize, table: &str) -> Result<(), String> {
        match self.record.len() {
            len if len < n => Err(format!(
                "{len} columns, where {table} rows have at least {n}"
            )),
            _ => Ok(()),
        }
    }

    /// Column `i` (from 0), trimmed; empty when the row is shorter.
    pub(crate) fn text(&self, i: usize) -> &str {
        self.record.get(i).unwrap_or("")
    }

    /// Column `i` as an integer, `None` when empty (`name` names it in the error).
    pub(crate) fn opt_int(&self, i: usize, name: &str) -> Result<Option<i64>, String> {
        match self.text(i) {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| self.bad(i, name, "an integer")),
        }
    }

    /// Column `i` as an integer.
    pub(crate) fn int(&self, i: usize, name: &str) -> Result<i64, String> {
        self.opt_int(i, name)?
            .ok_or_else(|| self.bad(i, name, "an integer"))
    }

    /// Column `i` as a finite number, `None` when empty.
    pub(crate) fn opt_num(&self, i: usize, name: &str) -> Result<Option<f64>, String> {
        match self.text(i) {
            "" => Ok(None),
            v => match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(self.bad(i, name, "a number")),
            },
        }
    }

    /// Column `i` as a finite number.
    pub(crate) fn num(&self, i: usize, name: &str) -> Result<f64, String> {
        self.opt_num(i, name)?
            .ok_or_else(|| self.bad(i, name, "a number"))
    }

    fn bad(&self, i: usize, name: &str, want: &str) -> String {
        let v: String = self.text(i).chars().take(40).collect();
        match v.as_str() {
            "" => format!("column {} ({name}) is empty; it must be {want}", i + 1),
            _ => format!("column {} ({name}) is `{v}`, not {want}", i + 1),
        }
    }
}

/// Splits `cores` cores of `core_mips` MIPS each into whole virtual CPUs of the same total
/// capacity: ⌈`cores`⌉ of them (at least 1, at most [`MAX_VCPUS`](crate::format::MAX_VCPUS)),
/// and the MIPS of each.
pub(crate) fn whole_cores(cores: f64, core_mips: f64) -> (u32, f64) {
    let n = cores.ceil().clamp(1.0, f64::from(crate::format::MAX_VCPUS));
    // In range after the clamp (a NaN becomes 0, which the record's check refuses).
    (n as u32, cores * core_mips / n)
}
