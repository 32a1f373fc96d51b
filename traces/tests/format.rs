//! The trace format end to end: written, read back streaming, refused when broken, inspected.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use orrery_traces::inspect::inspect;
use orrery_traces::{TraceReader, TraceWriter, VmRecord};

fn vm(id: &str, arrival: i64, departure: Option<i64>, samples: &[(i64, f64)]) -> VmRecord {
    VmRecord {
        id: id.into(),
        arrival_ms: arrival,
        departure_ms: departure,
        vcpus: 2,
        cpu_mips: 1000.0,
        memory_mb: 1024.0,
        sample_ms: samples.iter().map(|s| s.0).collect(),
        cpu_util: samples.iter().map(|s| s.1).collect(),
        ..VmRecord::default()
    }
}

fn read_all(path: &Path) -> Vec<VmRecord> {
    TraceReader::open(path)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

#[test]
fn records_come_back_as_written_in_order_of_arrival() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let mut w = TraceWriter::new(&path, "test");
    let mut b = vm("b", 5000, Some(9000), &[(5000, 0.5), (7000, 1.0)]);
    b.tenant = Some("acme".into());
    b.vm_type = Some("Standard_D2".into());
    b.attributes = BTreeMap::from([("zone".into(), "eu".into()), ("prio".into(), "2".into())]);
    let a = vm("a", 5000, None, &[]);
    let c = vm("c", 0, Some(1), &[(0, 0.0)]);
    // 5000 VMs: more than one row group and one read batch.
    let many: Vec<VmRecord> = (0..5000)
        .map(|k| vm(&format!("m{k:04}"), 10_000 + k, None, &[(10_000 + k, 0.25)]))
        .collect();
    for r in [b.clone(), a.clone(), c.clone()]
        .into_iter()
        .chain(many.clone())
    {
        w.push(r).unwrap();
    }
    let summary = w.finish().unwrap();
    assert_eq!((summary.vms, summary.samples), (5003, 5003));
    let back = read_all(&path);
    // Sorted by arrival, ties by id.
    assert_eq!(back[..3], [c, a, b]);
    assert_eq!(back[3..], many[..]);
    let reader = TraceReader::open(&path).unwrap();
    assert_eq!((reader.rows(), reader.source()), (5003, "test"));
}

#[test]
fn the_writer_refuses_a_broken_record_and_never_leaves_half_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let mut w = TraceWriter::new(&path, "test");
    let err = w
        .push(vm("x", 10, Some(5), &[]))
        .expect_err("departure before arrival");
    assert!(
        err.contains("departure_ms 5 is not after arrival_ms 10"),
        "{err}"
    );
    // Into a directory that does not exist: an error, and nothing left behind.
    let missing = dir.path().join("no/such/dir/t.parquet");
    let mut w = TraceWriter::new(&missing, "test");
    w.push(vm("x", 0, None, &[])).unwrap();
    let err = w.finish().unwrap_err();
    assert!(err.to_string().contains("cannot write the trace"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Writes a Parquet file of the given columns (as a user might with pandas).
fn write_columns(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn list_i64(rows: &[&[i64]]) -> ArrayRef {
    Arc::new(arrow_array::ListArray::from_iter_primitive::<
        arrow_array::types::Int64Type,
        _,
        _,
    >(rows.iter().map(|r| Some(r.iter().map(|&v| Some(v))))))
}

fn list_f64(rows: &[&[f64]]) -> ArrayRef {
    Arc::new(arrow_array::ListArray::from_iter_primitive::<
        arrow_array::types::Float64Type,
        _,
        _,
    >(rows.iter().map(|r| Some(r.iter().map(|&v| Some(v))))))
}

/// A hand-made trace of two rows, with `arrival` and `util` for the second.
fn hand_made(path: &Path, arrival: i64, util: f64) {
    write_columns(
        path,
        vec![
            (
                "id",
                Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
            ),
            (
                "arrival_ms",
                Arc::new(Int64Array::from(vec![1000, arrival])),
            ),
            // vcpus as int64: converted.
            ("vcpus", Arc::new(Int64Array::from(vec![1, 4]))),
            (
                "cpu_mips",
                Arc::new(Float64Array::from(vec![2000.0, 1500.0])),
            ),
            (
                "memory_mb",
                Arc::new(Float64Array::from(vec![512.0, 2048.0])),
            ),
            ("sample_ms", list_i64(&[&[1000], &[arrival]])),
            ("cpu_util", list_f64(&[&[0.5], &[util]])),
            (
                "comment",
                Arc::new(StringArray::from(vec!["ignored", "too"])),
            ),
        ],
    );
}

#[test]
fn a_trace_written_by_other_tools_reads_with_optional_columns_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.parquet");
    hand_made(&path, 2000, 0.75);
    let back = read_all(&path);
    assert_eq!(back.len(), 2);
    assert_eq!(back[1].vcpus, 4);
    assert_eq!(back[1].departure_ms, None);
    assert_eq!(back[1].tenant, None);
    assert_eq!(back[1].cpu_util, vec![0.75]);
}

#[test]
fn broken_traces_are_refused_with_the_row_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let err = |path: &Path| -> String {
        match TraceReader::open(path) {
            Err(e) => e.to_string(),
            Ok(r) => r
                .collect::<Result<Vec<_>, _>>()
                .expect_err("a broken trace")
                .to_string(),
        }
    };
    let order = dir.path().join("order.parquet");
    hand_made(&order, 500, 0.5);
    let e = err(&order);
    assert!(e.contains("row 2 (VM `b`)"), "{e}");
    assert!(e.contains("rows must be in order of arrival"), "{e}");
    assert!(e.contains("orrery trace import"), "{e}");
    let nan = dir.path().join("nan.parquet");
    hand_made(&nan, 2000, f64::NAN);
    let e = err(&nan);
    assert!(
        e.contains("row 2 (VM `b`): utilisation NaN is not between 0 and 1"),
        "{e}"
    );
    let missing = dir.path().join("missing.parquet");
    write_columns(
        &missing,
        vec![("id", Arc::new(StringArray::from(vec!["a"])) as ArrayRef)],
    );
    let e = err(&missing);
    assert!(e.contains("the trace has no `arrival_ms` column"), "{e}");
    let text = dir.path().join("text.parquet");
    std::fs::write(&text, "id,arrival_ms\na,0\n").unwrap();
    let e = err(&text);
    assert!(e.contains("not a readable Parquet trace"), "{e}");
    assert!(e.contains("orrery trace import FORMAT SOURCE"), "{e}");
    let e = err(&dir.path().join("absent.parquet"));
    assert!(e.contains("cannot open the trace"), "{e}");
}

#[test]
fn inspect_adds_up_hand_checked_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let mut w = TraceWriter::new(&path, "test");
    let h = 3_600_000;
    // a: 2 vCPUs, 1024 MB, [0 h, 2 h), 50 % then 100 % from 1 h.
    w.push(vm("a", 0, Some(2 * h), &[(0, 0.5), (h, 1.0)]))
        .unwrap();
    // b: 2 vCPUs, 1024 MB, from 1 h to the end (4 h, set by c), 25 % throughout.
    w.push(vm("b", h, None, &[(h, 0.25)])).unwrap();
    // c: 2 vCPUs, 1024 MB, [3 h, 4 h), 5 %.
    w.push(vm("c", 3 * h, Some(4 * h), &[(3 * h, 0.05)]))
        .unwrap();
    w.finish().unwrap();
    let s = inspect(&path).unwrap();
    assert_eq!((s.vms, s.samples), (3, 4));
    assert_eq!((s.start_s, s.end_s), (0.0, 4.0 * 3600.0));
    // Requested: 2 × (2 + 3 + 1) = 12 vCPU-hours; memory 1024 × 6 MB-hours.
    assert!((s.cpu_hours_requested - 12.0).abs() < 1e-12, "{s:?}");
    assert!((s.memory_mb_hours - 6144.0).abs() < 1e-9, "{s:?}");
    // Used: 2 × (0.5 + 1.0 + 0.25 × 3 + 0.05) = 4.6.
    assert!((s.cpu_hours_used - 4.6).abs() < 1e-12, "{s:?}");
    // a and b overlap in [1 h, 2 h); b and c in [3 h, 4 h).
    assert_eq!((s.peak_vms, s.peak_memory_mb), (2, 2048.0));
    // VM-time: 1 h at 50 %, 1 h at 100 %, 3 h at 25 %, 1 h at 5 % (6 h in all).
    let want = [1.0, 0.0, 3.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0].map(|h| h / 6.0);
    for (k, (got, want)) in s.utilisation.iter().zip(want).enumerate() {
        assert!((got - want).abs() < 1e-12, "bin {k}: {got} vs {want}");
    }
}

#[test]
fn a_corrupted_trace_is_an_error_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let mut w = TraceWriter::new(&path, "test");
    for k in 0..300 {
        w.push(vm(
            &format!("v{k}"),
            k,
            Some(k + 10),
            &[(k, 0.5), (k + 5, 0.25)],
        ))
        .unwrap();
    }
    w.finish().unwrap();
    let good = std::fs::read(&path).unwrap();
    let bad = dir.path().join("bad.parquet");
    let read = |bytes: &[u8]| {
        std::fs::write(&bad, bytes).unwrap();
        match TraceReader::open(&bad) {
            Err(e) => Err(e.to_string()),
            Ok(r) => r
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.len())
                .map_err(|e| e.to_string()),
        }
    };
    // Cut short anywhere, and every byte of the file flipped in turn (a stride keeps it quick).
    for cut in (0..good.len()).step_by(97) {
        assert!(read(&good[..cut]).is_err(), "cut at {cut}");
    }
    for at in (0..good.len()).step_by(13) {
        let mut b = good.clone();
        b[at] ^= 0x5a;
        let _ = read(&b);
    }
}
