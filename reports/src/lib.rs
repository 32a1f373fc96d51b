//! orrery's result tables, plots and reports: the files a run writes, the summary it prints,
//! a sweep's Parquet and aggregate tables, comparison tables over result directories, and the
//! PNG / SVG / HTML report of a run or a sweep.
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
pub mod summary_table;
pub mod tables;
pub mod typed;
pub mod values;

pub use comparison::{compare_dirs, comparison_table, Format};
pub use error::ReportError;
pub use report::render_report;
pub use run_files::write_run;
pub use summary_table::summary_table;
pub use tables::finish_sweep;
