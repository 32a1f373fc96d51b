//! Writing a trace: records in any order, sorted by arrival and written atomically.

use std::fs::File;
use std::path::{Path, PathBuf};

use orrery_engine::error::InputError;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::format::{schema, Columns, VmRecord, SOURCE_KEY, START_KEY, VERSION, VERSION_KEY};

/// Rows per row group (and per batch the reader yields).
const ROWS_PER_GROUP: usize = 4096;

/// Collects VM records, then writes them as one trace file.
#[derive(Debug)]
pub struct TraceWriter {
    path: PathBuf,
    source: String,
    start_unix_ms: Option<i64>,
    records: Vec<VmRecord>,
}

/// What a written trace holds.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteSummary {
    /// VM requests.
    pub vms: usize,
    /// Utilisation samples.
    pub samples: usize,
}

impl TraceWriter {
    /// A writer of the trace at `path`, imported from format `source`.
    pub fn new(path: &Path, source: &str) -> TraceWriter {
        TraceWriter {
            path: path.to_path_buf(),
            source: source.to_string(),
            start_unix_ms: None,
            records: Vec::new(),
        }
    }

    /// Adds a record; it must pass [`VmRecord::check`] (the importer's error names the source
    /// row).
    pub fn push(&mut self, record: VmRecord) -> Result<(), String> {
        record.check()?;
        self.records.push(record);
        Ok(())
    }

    /// Sets the wall-clock time of the trace's start, ms since the Unix epoch.
    pub fn start_unix_ms(&mut self, ms: i64) {
        self.start_unix_ms = Some(ms);
    }

    /// Records added so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record has been added.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Sorts the records by arrival (then id) and writes the file: to a temporary file beside
    /// it, renamed over it once complete, so a reader never sees half a trace.
    pub fn finish(mut self) -> Result<WriteSummary, InputError> {
        self.records
            .sort_by(|a, b| (a.arrival_ms, &a.id).cmp(&(b.arrival_ms, &b.id)));
        let tmp = self
            .path
            .with_extension(format!("tmp-{}", std::process::id()));
        let fail = |e: &dyn std::fmt::Display| {
            let _ = std::fs::remove_file(&tmp);
            InputError::file(&self.path, format!("cannot write the trace: {e}"))
                .hint("check that the output's directory exists and is writable")
        };
        let file = File::create(&tmp).map_err(|e| fail(&e))?;
        let mut metadata = vec![
            KeyValue::new(VERSION_KEY.into(), VERSION.to_string()),
            KeyValue::new(SOURCE_KEY.into(), self.source.clone()),
        ];
        if let Some(ms) = self.start_unix_ms {
            metadata.push(KeyValue::new(START_KEY.into(), ms.to_string()));
        }
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROWS_PER_GROUP))
            .set_key_value_metadata(Some(metadata))
            .build();
        let mut writer = ArrowWriter::try_new(file, schema(), Some(props)).map_err(|e| fail(&e))?;
        let mut summary = WriteSummary { vms: 0, samples: 0 };
        for chunk in self.records.chunks(ROWS_PER_GROUP) {
            let mut columns = Columns::new();
            for r in chunk {
                columns.push(r);
                summary.vms += 1;
                summary.samples += r.sample_ms.len();
            }
            writer.write(&columns.finish()).map_err(|e| fail(&e))?;
        }
        writer.close().map_err(|e| fail(&e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| fail(&e))?;
        Ok(summary)
    }
}
