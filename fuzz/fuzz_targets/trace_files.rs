//! Trace files: orrery's own (Parquet, read and inspected), carbon-intensity series, and the
//! source file of every importer. The first byte picks the reader; the rest is the file.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use orrery_traces::carbon::CarbonSeries;
use orrery_traces::import::{import, Format, Options};
use orrery_traces::inspect::inspect;
use orrery_traces::TraceReader;

/// The file each importer reads, by format (directory sources get this one file).
const SOURCES: &[(&str, &str)] = &[
    ("opendc", "tasks.parquet"),
    ("google-2011", "task_events.csv"),
    ("google-2019", "instance_events.json"),
    ("alibaba-2018", "container_meta.csv"),
    ("huawei", "Huawei-East-1.csv"),
    ("azure-v1", "vmtable.csv"),
    ("azure-v2", "vmtable.csv"),
    ("azure-packing", "vm.csv"),
    ("swf", "log.swf"),
    ("bitbrains", "1.csv"),
    ("planetlab", "vm"),
];

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orrery-fuzz-traces-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let dir = scratch();
    let out = dir.join("out.parquet");
    match pick % (SOURCES.len() as u8 + 2) {
        0 => {
            let path = dir.join("t.parquet");
            std::fs::write(&path, body).unwrap();
            if let Ok(reader) = TraceReader::open(&path) {
                reader.for_each(drop);
            }
            let _ = TraceReader::scan(&path);
            let _ = inspect(&path);
        }
        1 => {
            let path = dir.join("grid.csv");
            std::fs::write(&path, body).unwrap();
            let _ = CarbonSeries::load(&path);
        }
        k => {
            let (name, file) = SOURCES[usize::from(k) - 2];
            let format: Format = name.parse().unwrap();
            let src = dir.join("src");
            std::fs::create_dir_all(&src).unwrap();
            std::fs::write(src.join(file), body).unwrap();
            let source = if name == "swf" { src.join(file) } else { src };
            if import(format, &source, &out, &Options::default()).is_ok() {
                let _ = inspect(&out);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
});
