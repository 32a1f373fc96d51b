//! Result directories that cannot lie. Every file goes to a temporary name and is renamed into
//! place once complete; the directory's manifest (`orrery-output.json`: what wrote it and every
//! file with its size) is written last, so a directory without one is incomplete, and a file
//! shorter or longer than its manifest says was cut short or changed. A directory that already
//! holds results is refused unless the caller forces it, and then orrery removes its own files
//! first (never anything else), so a reused directory never mixes two runs. A write that fails
//! (a full disk, a read-only folder) removes what this directory had written so far.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The manifest's file name.
pub const MANIFEST: &str = "orrery-output.json";

/// What a complete result directory holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// What wrote it: `run`, `sweep`, `federation`, `report`.
    pub kind: String,
    /// The orrery version that wrote it.
    pub orrery: String,
    /// Every file written, with its size in bytes.
    pub files: BTreeMap<String, u64>,
}

/// An output that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct OutputError {
    /// The file or directory.
    pub path: PathBuf,
    /// Why.
    pub source: io::Error,
}

/// Why a result directory cannot be read as complete.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct Incomplete {
    /// The directory or file at fault.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: String,
}

/// A result directory being written.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    kind: String,
    files: BTreeMap<String, u64>,
    finished: bool,
    /// Whether the directory existed before (one this writer creates goes if it fails).
    existed: bool,
}

impl OutputDir {
    /// Prepares `dir` for a new set of results of `kind` (it is created with the first file,
    /// so a run that fails before writing leaves no directory behind). A directory that holds
    /// results (a manifest, or any of the `known` file names orrery writes there) is refused
    /// unless `force`; with `force`, the files its manifest lists and the `known` names are
    /// removed first. Files of other names are left alone.
    pub fn create(
        dir: &Path,
        kind: &str,
        known: &[&str],
        force: bool,
    ) -> Result<OutputDir, Occupied> {
        let mut out = OutputDir {
            dir: dir.to_path_buf(),
            kind: kind.to_string(),
            files: BTreeMap::new(),
            finished: false,
            existed: dir.exists(),
        };
        if !out.existed {
            return Ok(out);
        }
        if !dir.is_dir() {
            out.finished = true;
            return Err(Occupied::NotADirectory(dir.to_path_buf()));
        }
        let manifest = dir.join(MANIFEST);
        let mut ours: Vec<String> = known.iter().map(|s| s.to_string()).collect();
        if manifest.is_file() {
            if let Ok(m) = read_manifest(&manifest) {
                ours.extend(m.files.into_keys());
            }
            ours.push(MANIFEST.to_string());
        }
        ours.sort();
        ours.dedup();
        let present: Vec<&String> = ours.iter().filter(|f| dir.join(f).exists()).collect();
        if !present.is_empty() {
            if !force {
                return Err(Occupied::Used {
                    dir: dir.to_path_buf(),
                    example: present[0].clone(),
                });
            }
            for f in present {
                let path = dir.join(f);
                let removed = if path.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed.map_err(|e| Occupied::Io(io_error(&path, e)))?;
            }
        }
        remove_temporaries(dir).map_err(Occupied::Io)?;
        Ok(out)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes file `name` through `fill` (into a temporary name, renamed into place once
    /// flushed and synced).
    pub fn write(
        &mut self,
        name: &str,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<(), OutputError> {
        let path = self.dir.join(name);
        let tmp = temporary(&path);
        let result = (|| {
            fs::create_dir_all(&self.dir)?;
            let file = fs::File::create(&tmp)?;
            let mut w = BufWriter::new(file);
            fill(&mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            let bytes = file.metadata()?.len();
            fs::rename(&tmp, &path)?;
            Ok(bytes)
        })();
        match result {
            Ok(bytes) => {
                self.files.insert(name.to_string(), bytes);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(OutputError { path, source: e })
            }
        }
    }

    /// Writes `rows` as CSV (a header from the first row's fields) into file `name`.
    pub fn write_csv<T: Serialize>(&mut self, name: &str, rows: &[T]) -> Result<(), OutputError> {
        self.write(name, |w| {
            let mut csv = csv::Writer::from_writer(w);
            for row in rows {
                csv.serialize(row).map_err(io::Error::other)?;
            }
            csv.flush()
        })
    }

    /// Writes `value` as pretty JSON with a final newline into file `name`.
    pub fn write_json<T: Serialize>(&mut self, name: &str, value: &T) -> Result<(), OutputError> {
        self.write(name, |w| {
            serde_json::to_writer_pretty(&mut *w, value).map_err(io::Error::other)?;
            w.write_all(b"\n")
        })
    }

    /// Marks the directory complete: writes its manifest, last.
    pub fn finish(mut self) -> Result<Manifest, OutputError> {
        let manifest = Manifest {
            kind: self.kind.clone(),
            orrery: env!("CARGO_PKG_VERSION").to_string(),
            files: self.files.clone(),
        };
        fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        write_manifest(&self.dir, &manifest)?;
        self.finished = true;
        Ok(manifest)
    }
}

impl Drop for OutputDir {
    /// An unfinished directory removes the files it wrote: nothing that looks complete stays.
    fn drop(&mut self) {
        if !self.finished {
            for name in self.files.keys() {
                let _ = fs::remove_file(self.dir.join(name));
            }
            if !self.existed {
                let _ = fs::remove_dir(&self.dir); // only if empty: never anyone else's file
            }
        }
    }
}

/// Why a directory cannot take new results.
#[derive(Debug, thiserror::Error)]
pub enum Occupied {
    /// It holds results of an earlier run.
    #[error(
        "{} already holds results ({example}, …): use another --out, or --force to replace \
         orrery's files there",
        dir.display()
    )]
    Used {
        /// The directory.
        dir: PathBuf,
        /// One of orrery's files found there.
        example: String,
    },
    /// It is a file, not a directory.
    #[error("{} exists and is not a directory. Give --out the path of a directory", .0.display())]
    NotADirectory(PathBuf),
    /// It could not be prepared.
    #[error(transparent)]
    Io(OutputError),
}

/// Seals `dir`, whose files `names` were written by other means (a sweep's tables, grown
/// run by run): records their sizes in its manifest, written atomically. A directory is
/// sealed once complete; [`unseal`] it before changing it again.
pub fn seal(dir: &Path, kind: &str, names: &[&str]) -> Result<Manifest, OutputError> {
    let mut files = BTreeMap::new();
    for name in names {
        let path = dir.join(name);
        let bytes = fs::metadata(&path).map_err(|e| io_error(&path, e))?.len();
        files.insert(name.to_string(), bytes);
    }
    let manifest = Manifest {
        kind: kind.to_string(),
        orrery: env!("CARGO_PKG_VERSION").to_string(),
        files,
    };
    write_manifest(dir, &manifest)?;
    Ok(manifest)
}

/// Removes `dir`'s manifest (if any): the directory is being changed and is incomplete until
/// sealed again.
pub fn unseal(dir: &Path) -> Result<(), OutputError> {
    match fs::remove_file(dir.join(MANIFEST)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error(&dir.join(MANIFEST), e)),
        _ => Ok(()),
    }
}

/// Checks that `dir` is a complete result directory: its manifest is there and every file it
/// lists has the recorded size. Returns the manifest.
pub fn verify(dir: &Path) -> Result<Manifest, Incomplete> {
    let path = dir.join(MANIFEST);
    if !path.is_file() {
        return Err(Incomplete {
            path: dir.to_path_buf(),
            problem: format!(
                "no {MANIFEST}: the results are incomplete (the run was interrupted or its \
                 writes failed) or were written by an orrery older than 0.2"
            ),
        });
    }
    let manifest = read_manifest(&path).map_err(|problem| Incomplete {
        path: path.clone(),
        problem,
    })?;
    for (name, &bytes) in &manifest.files {
        let file = dir.join(name);
        let size = fs::metadata(&file)
            .map(|m| m.len())
            .map_err(|e| Incomplete {
                path: file.clone(),
                problem: format!("listed in {MANIFEST} but unreadable: {e}"),
            })?;
        if size != bytes {
            return Err(Incomplete {
                path: file,
                problem: format!(
                    "{size} bytes where {MANIFEST} records {bytes}: the file was cut short or \
                     changed after the run"
                ),
            });
        }
    }
    Ok(manifest)
}

/// Writes `manifest` into `dir` atomically.
fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), OutputError> {
    let path = dir.join(MANIFEST);
    let tmp = temporary(&path);
    let text = serde_json::to_string_pretty(manifest).expect("a manifest serialises") + "\n";
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(&path, e)
    })
}

fn read_manifest(path: &Path) -> Result<Manifest, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("malformed manifest: {e}"))
}

/// The temporary name of `path` while it is written: hidden, and naming this process.
fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Removes temporary files an interrupted writer left in `dir` (`.NAME.tmp-PID`).
fn remove_temporaries(dir: &Path) -> Result<(), OutputError> {
    let entries = fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.contains(".tmp-") && entry.path().is_file() {
            fs::remove_file(entry.path()).map_err(|e| io_error(&entry.path(), e))?;
        }
    }
    Ok(())
}

fn io_error(path: &Path, source: io::Error) -> OutputError {
    OutputError {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails once `left` bytes are written: a disk that fills up mid-file.
    struct FillsUp {
        left: usize,
    }

    impl Write for FillsUp {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left"));
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_complete_directory_verifies_and_lists_its_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let mut out = OutputDir::create(&dir, "run", &["a.csv"], false).unwrap();
        out.write_csv("a.csv", &[(1, 2.5), (3, 4.0)]).unwrap();
        out.write_json("s.json", &serde_json::json!({"x": 1}))
            .unwrap();
        let m = out.finish().unwrap();
        assert_eq!(m.files["a.csv"], "1,2.5\n3,4.0\n".len() as u64);
        assert_eq!(verify(&dir).unwrap(), m);
        // No temporary file is left.
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn a_file_cut_short_or_a_missing_manifest_is_incomplete() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut out = OutputDir::create(dir, "run", &[], false).unwrap();
        out.write("a.csv", |w| w.write_all(b"x,y\n1,2\n")).unwrap();
        out.finish().unwrap();
        fs::write(dir.join("a.csv"), "x,y\n1,").unwrap();
        let e = verify(dir).unwrap_err();
        assert!(e.problem.contains("cut short"), "{e}");
        fs::remove_file(dir.join(MANIFEST)).unwrap();
        assert!(verify(dir).unwrap_err().problem.contains("incomplete"));
    }

    #[test]
    fn a_failed_write_leaves_nothing_that_looks_complete() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut out = OutputDir::create(dir, "run", &[], false).unwrap();
        out.write("first.csv", |w| w.write_all(b"a\n1\n")).unwrap();
        let e = out
            .write("second.csv", |w| {
                let mut disk = FillsUp { left: 5 };
                let bytes = b"a,b\n1,2\n3,4\n";
                disk.write_all(bytes)?;
                w.write_all(bytes)
            })
            .unwrap_err();
        assert!(e.to_string().contains("second.csv"), "{e}");
        assert!(e.to_string().contains("no space left"), "{e}");
        drop(out);
        // Neither the finished first file, nor the half second one, nor a manifest.
        assert_eq!(fs::read_dir(dir).unwrap().count(), 0);
        assert!(verify(dir).is_err());
    }

    #[test]
    fn a_used_directory_is_refused_unless_forced_and_then_only_orrerys_files_go() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut out = OutputDir::create(dir, "run", &["a.csv", "t.csv"], false).unwrap();
        out.write("a.csv", |w| w.write_all(b"1")).unwrap();
        out.write("t.csv", |w| w.write_all(b"2")).unwrap();
        out.finish().unwrap();
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        fs::write(dir.join(".a.csv.tmp-1"), "left by a crash").unwrap();
        let e = OutputDir::create(dir, "run", &["a.csv", "t.csv"], false).unwrap_err();
        assert!(e.to_string().contains("already holds results"), "{e}");
        assert!(e.to_string().contains("--force"), "{e}");
        // A forced run that writes fewer files leaves none of the earlier run's behind.
        let mut out = OutputDir::create(dir, "run", &["a.csv", "t.csv"], true).unwrap();
        out.write("a.csv", |w| w.write_all(b"3")).unwrap();
        out.finish().unwrap();
        assert!(!dir.join("t.csv").exists());
        assert!(!dir.join(".a.csv.tmp-1").exists());
        assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
        assert_eq!(verify(dir).unwrap().files.len(), 1);
    }
}
