//! orrery's result tables, plots and reports: the files a run writes, the summary it prints,
//! a sweep's Parquet and aggregate tables, comparison tables over result directories, and the
//! report of a run, a service run, a sweep or a federation: figures for print as PNG, SVG and
//! PDF, and one self-contained HTML page.
//!
//! polars and plotters live only here, so the engine and policies never build them.

pub mod aggregate;
pub mod comparison;
pub mod dirs;
pub mod error;
pub mod figures;
pub mod html;
pub mod plots;
pub mod report;
pub mod run_files;
pub mod series;
pub mod stats;
pub mod summary_table;
pub mod tables;
pub mod typed;
pub mod values;

pub use comparison::{compare_dirs, comparison_table, Format};
pub use error::ReportError;
pub use report::{render_report, render_report_with, Options};
pub use run_files::write_run;
pub use summary_table::summary_table;
pub use tables::finish_sweep;
