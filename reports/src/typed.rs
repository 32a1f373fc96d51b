//! orrery's declared table schemas in polars: every table a run, a sweep or a federation
//! writes goes out as CSV and as Parquet typed by its schema, and is read back with the same
//! schema. Nothing is inferred: an all-empty column is still a nullable float, a seed above
//! 2^63 still a u64.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use orrery_engine::output::{OutputDir, OutputError};
use orrery_engine::tables::{write_schemas, Kind, Schema, TableSink};
use polars::prelude::*;

use crate::error::ReportError;

/// The polars type of a column kind.
pub fn dtype(kind: Kind) -> DataType {
    match kind {
        Kind::U64 => DataType::UInt64,
        Kind::I64 => DataType::Int64,
        Kind::F64 => DataType::Float64,
        Kind::Bool => DataType::Boolean,
        Kind::Str => DataType::String,
    }
}

/// The polars schema of `schema`.
pub fn polars_schema(schema: &Schema) -> polars::prelude::Schema {
    schema
        .columns
        .iter()
        .map(|c| Field::new(c.name.as_str().into(), dtype(c.kind)))
        .collect()
}

/// Parses CSV text `csv` of table `schema` (its header included) into a data frame typed by the
/// schema; empty cells of nullable columns become nulls, of text columns empty strings.
///
/// A file written before the table gained its last nullable columns (emissions, say) reads too:
/// those columns come back null.
pub fn parse_csv(csv: &[u8], schema: &Schema) -> PolarsResult<DataFrame> {
    let header = schema.header();
    let first = csv.split(|&b| b == b'\n').next().unwrap_or_default();
    let older = older_columns(first, schema);
    if !csv.is_empty() && first != header.trim_end().as_bytes() && older.is_none() {
        polars_bail!(SchemaMismatch: "the header is not the {} table's: expected {}",
            schema.table, header.trim_end());
    }
    let read = Schema {
        table: schema.table.clone(),
        columns: schema.columns[..older.unwrap_or(schema.columns.len())].to_vec(),
    };
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(polars_schema(&read))))
        .with_parse_options(CsvParseOptions::default().with_missing_is_null(true))
        .into_reader_with_file_handle(Cursor::new(csv))
        .finish()?;
    for c in &schema.columns[read.columns.len()..] {
        df.with_column(Column::full_null(
            c.name.as_str().into(),
            df.height(),
            &dtype(c.kind),
        ))?;
    }
    // A text column's empty cell is an empty string, not a missing value (an event without
    // detail has the detail "").
    for c in &schema.columns {
        if c.kind == Kind::Str && !c.nullable {
            let ca = df.column(c.name.as_str())?.str()?;
            let filled: StringChunked = (0..ca.len())
                .map(|i| Some(ca.get(i).unwrap_or("")))
                .collect();
            df.with_column(filled.with_name(c.name.as_str().into()).into_column())?;
        }
    }
    Ok(df)
}

/// How many of `schema`'s columns the header line `first` names, when it names a proper prefix
/// of them and every column it lacks is nullable (a file of an older orrery).
fn older_columns(first: &[u8], schema: &Schema) -> Option<usize> {
    let names: Vec<&[u8]> = first.split(|&b| b == b',').collect();
    let n = names.len();
    let prefix = n < schema.columns.len()
        && names
            .iter()
            .zip(&schema.columns)
            .all(|(a, c)| *a == c.name.as_bytes());
    (prefix && schema.columns[n..].iter().all(|c| c.nullable)).then_some(n)
}

/// Reads the CSV file at `path`, table `schema`, typed by the schema.
pub fn read_csv(path: &Path, schema: &Schema, hint: &str) -> Result<DataFrame, ReportError> {
    let bytes = orrery_engine::input::read_bytes(
        path,
        "table",
        orrery_engine::input::MAX_TRACE_BYTES,
        hint,
    )
    .map_err(|e| ReportError::input(path, e.message, hint))?;
    parse_csv(&bytes, schema)
        .map_err(|e| ReportError::input(path, format!("malformed CSV: {e}"), hint))
}

/// Writes `df` as Parquet (Snappy-compressed) to `w`.
pub fn write_parquet(w: &mut dyn std::io::Write, df: &mut DataFrame) -> std::io::Result<()> {
    ParquetWriter::new(w)
        .with_compression(ParquetCompression::Snappy)
        .finish(df)
        .map(|_| ())
        .map_err(std::io::Error::other)
}

/// A sink that writes each table as `NAME.csv` and `NAME.parquet` and lists the schemas in
/// `tables.json` when finished.
pub struct ParquetSink<'a> {
    out: &'a mut OutputDir,
    schemas: Vec<Schema>,
}

impl<'a> ParquetSink<'a> {
    /// A sink into `out`.
    pub fn new(out: &'a mut OutputDir) -> Self {
        ParquetSink {
            out,
            schemas: Vec::new(),
        }
    }

    /// Writes `tables.json`.
    pub fn finish(self) -> Result<(), OutputError> {
        write_schemas(self.out, &self.schemas)
    }
}

impl TableSink for ParquetSink<'_> {
    fn out(&mut self) -> &mut OutputDir {
        self.out
    }

    fn table(&mut self, schema: &Schema, csv: &[u8]) -> Result<(), OutputError> {
        let name = &schema.table;
        self.out
            .write(&format!("{name}.csv"), |w| w.write_all(csv))?;
        let mut df = parse_csv(csv, schema).map_err(|e| OutputError {
            path: self.out.path().join(format!("{name}.csv")),
            source: std::io::Error::other(e),
        })?;
        self.out
            .write(&format!("{name}.parquet"), |w| write_parquet(w, &mut df))?;
        self.schemas.push(schema.clone());
        Ok(())
    }
}

/// The files a result directory of `tables` may hold besides `extra`: each table's CSV and
/// Parquet, and `tables.json`.
pub fn known_files(tables: &[&str], extra: &[&str]) -> Vec<String> {
    let mut files: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    for t in tables {
        files.push(format!("{t}.csv"));
        files.push(format!("{t}.parquet"));
    }
    files.push(orrery_engine::tables::TABLES_JSON.to_string());
    files
}

#[cfg(test)]
mod tests {
    use orrery_engine::tables::{Column, Kind, Schema};

    use super::*;

    fn schema() -> Schema {
        Schema {
            table: "t".into(),
            columns: vec![
                Column::new("seed", Kind::U64, false, ""),
                Column::new("temp", Kind::F64, true, "°C"),
                Column::new("detail", Kind::Str, false, ""),
                Column::new("ok", Kind::Bool, false, ""),
            ],
        }
    }

    #[test]
    fn all_empty_columns_big_seeds_and_empty_text_keep_their_types() {
        let csv = b"seed,temp,detail,ok\n18446744073709551615,,,true\n3,,x,false\n";
        let df = parse_csv(csv, &schema()).unwrap();
        assert_eq!(df.column("seed").unwrap().dtype(), &DataType::UInt64);
        assert_eq!(
            df.column("seed").unwrap().u64().unwrap().get(0),
            Some(u64::MAX)
        );
        assert_eq!(df.column("temp").unwrap().dtype(), &DataType::Float64);
        assert_eq!(df.column("temp").unwrap().null_count(), 2);
        assert_eq!(df.column("detail").unwrap().str().unwrap().get(0), Some(""));
        assert_eq!(df.column("ok").unwrap().dtype(), &DataType::Boolean);
        // Round trip through Parquet.
        let mut df = df;
        let mut bytes = Vec::new();
        write_parquet(&mut bytes, &mut df).unwrap();
        let back = ParquetReader::new(Cursor::new(bytes)).finish().unwrap();
        assert!(back.equals_missing(&df));
    }

    #[test]
    fn a_header_of_another_table_is_refused() {
        let e = parse_csv(b"a,b\n1,2\n", &schema()).unwrap_err();
        assert!(e.to_string().contains("seed,temp,detail,ok"), "{e}");
    }
}
