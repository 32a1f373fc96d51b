//! The schema of every table orrery writes, declared once with the row type itself: column
//! names, types, units and whether a column may be empty. The same schema writes the CSV
//! header, types the Parquet columns and reads both back, so nothing about orrery's own files
//! is ever inferred (an all-empty column is still a float, a seed above 2^63 still a u64).
//!
//! Declare a row type with [`table!`](crate::table): the struct, its serde serialisation and
//! its [`Table`] schema come from one declaration, so they cannot drift apart.

use serde::Serialize;

use crate::output::{OutputDir, OutputError};

/// The type of a column's cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Unsigned 64-bit integer (counts, ids, seeds).
    U64,
    /// Signed 64-bit integer.
    I64,
    /// 64-bit float.
    F64,
    /// `true` / `false`.
    Bool,
    /// UTF-8 text.
    Str,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Column {
    /// Its name, as in the CSV header.
    pub name: String,
    /// The type of its cells.
    pub kind: Kind,
    /// Whether a cell may be empty (CSV) or null (Parquet).
    pub nullable: bool,
    /// The unit of its values (`s`, `kWh`, `W`, `MB`, `°C`, a count, …; empty for text).
    pub unit: String,
}

impl Column {
    /// A column named `name` of `kind`, nullable or not, in `unit`.
    pub fn new(name: &str, kind: Kind, nullable: bool, unit: &str) -> Column {
        Column {
            name: name.to_string(),
            kind,
            nullable,
            unit: unit.to_string(),
        }
    }
}

/// A table's name and columns, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Schema {
    /// The table's name: its files are `NAME.csv` and `NAME.parquet`.
    pub table: String,
    /// Its columns, in file order.
    pub columns: Vec<Column>,
}

impl Schema {
    /// The CSV header line (with its newline).
    pub fn header(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&names)
            .expect("writing to memory cannot fail");
        String::from_utf8(w.into_inner().expect("in memory")).expect("names are UTF-8")
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A row type with a declared schema (see [`table!`](crate::table)).
pub trait Table: Serialize {
    /// The table's name.
    const NAME: &'static str;
    /// Its columns: (name, kind, nullable, unit).
    const COLUMNS: &'static [(&'static str, Kind, bool, &'static str)];

    /// The schema as a value.
    fn schema() -> Schema {
        Schema {
            table: Self::NAME.to_string(),
            columns: Self::COLUMNS
                .iter()
                .map(|&(name, kind, nullable, unit)| Column::new(name, kind, nullable, unit))
                .collect(),
        }
    }
}

/// What a field's Rust type is as a column.
pub trait Cell {
    /// Its kind.
    const KIND: Kind;
    /// Whether it may be empty.
    const NULLABLE: bool = false;
}

macro_rules! cells {
    ($($ty:ty => $kind:ident),* $(,)?) => {
        $(
            impl Cell for $ty {
                const KIND: Kind = Kind::$kind;
            }
            impl Cell for Option<$ty> {
                const KIND: Kind = Kind::$kind;
                const NULLABLE: bool = true;
            }
        )*
    };
}

cells! {
    u64 => U64, u32 => U64, usize => U64,
    i64 => I64, i32 => I64,
    f64 => F64,
    bool => Bool,
    String => Str, &'static str => Str,
}

/// Declares a row type and its table schema at once:
///
/// ```
/// orrery_engine::table! {
///     /// One sample.
///     #[derive(Debug, Clone, serde::Serialize)]
///     pub struct Sample in "samples" {
///         /// When, s.
///         pub time_s: f64 = "s",
///         /// How many, if counted.
///         pub count: Option<u64> = "",
///     }
/// }
/// use orrery_engine::tables::{Kind, Table};
/// assert_eq!(Sample::schema().columns[1].kind, Kind::U64);
/// assert!(Sample::schema().columns[1].nullable);
/// ```
///
/// Each field names its unit after `=` (`""` for none); its kind and nullability follow from
/// its type through [`Cell`].
#[macro_export]
macro_rules! table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident in $table:literal {
            $(
                $(#[$fmeta:meta])*
                $fvis:vis $field:ident : $ty:ty = $unit:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $(
                $(#[$fmeta])*
                $fvis $field: $ty,
            )*
        }

        impl $crate::tables::Table for $name {
            const NAME: &'static str = $table;
            const COLUMNS: &'static [(&'static str, $crate::tables::Kind, bool, &'static str)] = &[
                $((
                    stringify!($field),
                    <$ty as $crate::tables::Cell>::KIND,
                    <$ty as $crate::tables::Cell>::NULLABLE,
                    $unit,
                )),*
            ];
        }
    };
}

/// Where a result directory's tables go: each table's schema and CSV text, plus the
/// directory itself for files that are not tables. The reports crate's sink writes each table
/// as CSV and Parquet; [`CsvSink`] writes CSV only. Both record the schemas in `tables.json`.
pub trait TableSink {
    /// The directory the tables go to.
    fn out(&mut self) -> &mut OutputDir;
    /// Writes one table, whose CSV text is `csv`.
    fn table(&mut self, schema: &Schema, csv: &[u8]) -> Result<(), OutputError>;
}

/// Writes `rows` as the table `T` into `sink`.
pub fn put<T: Table>(sink: &mut dyn TableSink, rows: &[T]) -> Result<(), OutputError> {
    sink.table(&T::schema(), &csv_text(rows))
}

/// `rows` as the CSV text of table `T` (header included).
pub fn csv_text<T: Table>(rows: &[T]) -> Vec<u8> {
    let mut csv = Vec::new();
    write_csv(&mut csv, rows).expect("writing to memory cannot fail");
    csv
}

/// The file listing a result directory's table schemas.
pub const TABLES_JSON: &str = "tables.json";

/// A sink that writes each table as `NAME.csv` and lists the schemas in `tables.json` when
/// finished.
pub struct CsvSink<'a> {
    out: &'a mut OutputDir,
    schemas: Vec<Schema>,
}

impl<'a> CsvSink<'a> {
    /// A sink into `out`.
    pub fn new(out: &'a mut OutputDir) -> Self {
        CsvSink {
            out,
            schemas: Vec::new(),
        }
    }

    /// Writes `tables.json`.
    pub fn finish(self) -> Result<(), OutputError> {
        write_schemas(self.out, &self.schemas)
    }
}

impl TableSink for CsvSink<'_> {
    fn out(&mut self) -> &mut OutputDir {
        self.out
    }

    fn table(&mut self, schema: &Schema, csv: &[u8]) -> Result<(), OutputError> {
        self.out
            .write(&format!("{}.csv", schema.table), |w| w.write_all(csv))?;
        self.schemas.push(schema.clone());
        Ok(())
    }
}

/// Writes `schemas` as `tables.json` into `out`: every table's columns, types, units and
/// nullability, for readers in other languages.
pub fn write_schemas(out: &mut OutputDir, schemas: &[Schema]) -> Result<(), OutputError> {
    out.write_json(TABLES_JSON, &schemas)
}

/// Writes `rows` as CSV with `T`'s header (written even when there are no rows).
pub fn write_csv<T: Table>(w: &mut dyn std::io::Write, rows: &[T]) -> std::io::Result<()> {
    let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    csv.write_record(T::COLUMNS.iter().map(|c| c.0))?;
    for row in rows {
        csv.serialize(row).map_err(std::io::Error::other)?;
    }
    csv.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::table! {
        #[derive(Debug, Clone, Serialize)]
        struct Probe in "probe" {
            time_s: f64 = "s",
            name: &'static str = "",
            host: Option<usize> = "",
            seed: u64 = "",
        }
    }

    #[test]
    fn the_header_follows_the_declaration_even_for_no_rows() {
        let mut out = Vec::new();
        write_csv::<Probe>(&mut out, &[]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "time_s,name,host,seed\n");
        let mut out = Vec::new();
        let row = Probe {
            time_s: 1.5,
            name: "a",
            host: None,
            seed: u64::MAX,
        };
        write_csv(&mut out, &[row]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "time_s,name,host,seed\n1.5,a,,18446744073709551615\n"
        );
        let s = Probe::schema();
        assert_eq!(s.header(), "time_s,name,host,seed\n");
        assert_eq!(s.column("host").unwrap().kind, Kind::U64);
        assert!(s.column("host").unwrap().nullable);
        assert_eq!(s.column("time_s").unwrap().unit, "s");
    }
}
