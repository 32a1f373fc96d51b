//! Reading outside input safely: only regular files (a FIFO, a device or a directory where a
//! file belongs is a located error, never a hang or an endless read), and never more than a
//! bound, so a link to `/dev/zero` or a runaway file cannot exhaust memory.

use std::fs;
use std::io::Read;
use std::path::Path;

use crate::error::InputError;

/// The largest configuration file read (scenario, live config, federation file, bench suite,
/// sweep manifest): 16 MiB.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// The largest trace file read (one VM's utilisation, a failure trace, a request trace):
/// 256 MiB.
pub const MAX_TRACE_BYTES: u64 = 256 << 20;

/// Reads the regular file at `path`, at most `max_bytes`; `what` names the kind of file in
/// errors ("scenario file") and `hint` says how to fix a path that cannot be read.
pub fn read_bytes(
    path: &Path,
    what: &str,
    max_bytes: u64,
    hint: &str,
) -> Result<Vec<u8>, InputError> {
    regular_file(path, what, hint)?;
    let file = fs::File::open(path)
        .map_err(|e| InputError::file(path, format!("cannot read the {what}: {e}")).hint(hint))?;
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::file(path, format!("cannot read the {what}: {e}")).hint(hint))?;
    if bytes.len() as u64 > max_bytes {
        return Err(InputError::file(
            path,
            format!(
                "the {what} is larger than {} MiB, the most orrery reads",
                max_bytes >> 20
            ),
        )
        .hint("check that this is the file you meant; split a trace this large into several"));
    }
    Ok(bytes)
}

/// [`read_bytes`] as UTF-8 text (a file that is not UTF-8 is a located error).
pub fn read_text(
    path: &Path,
    what: &str,
    max_bytes: u64,
    hint: &str,
) -> Result<String, InputError> {
    let bytes = read_bytes(path, what, max_bytes, hint)?;
    String::from_utf8(bytes).map_err(|e| {
        let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        InputError::file(path, format!("the {what} is not UTF-8 text"))
            .at(line, None)
            .hint("save the file as UTF-8")
    })
}

/// An error unless `path` is a regular file (following links): a missing path, a directory, a
/// FIFO, a socket or a device is refused before it is opened.
pub fn regular_file(path: &Path, what: &str, hint: &str) -> Result<(), InputError> {
    let meta = fs::metadata(path)
        .map_err(|e| InputError::file(path, format!("cannot read the {what}: {e}")).hint(hint))?;
    if meta.is_file() {
        return Ok(());
    }
    let kind = if meta.is_dir() {
        "a directory"
    } else {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            "a FIFO (named pipe)"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else if t.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        }
    };
    Err(
        InputError::file(path, format!("expected the {what} here, found {kind}"))
            .hint("give the path of a regular file"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifos_devices_and_directories_are_refused_without_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let e = read_text(&fifo, "trace file", 1024, "").unwrap_err();
        assert!(e.message.contains("FIFO"), "{e}");
        let e = read_bytes(Path::new("/dev/zero"), "trace file", 1024, "").unwrap_err();
        assert!(e.message.contains("a device"), "{e}");
        let e = read_bytes(tmp.path(), "scenario file", 1024, "").unwrap_err();
        assert!(e.message.contains("a directory"), "{e}");
        // A link to /dev/zero is followed and refused as the device it is.
        let link = tmp.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let e = read_bytes(&link, "trace file", 1024, "").unwrap_err();
        assert!(e.message.contains("a device"), "{e}");
    }

    #[test]
    fn a_file_over_the_bound_is_refused_and_text_must_be_utf8() {
        let tmp = tempfile::tempdir().unwrap();
        let big = tmp.path().join("big");
        fs::write(&big, vec![b'1'; 2 << 20]).unwrap();
        let e = read_bytes(&big, "trace file", 1 << 20, "").unwrap_err();
        assert!(e.message.contains("larger than 1 MiB"), "{e}");
        assert_eq!(
            read_bytes(&big, "trace file", 2 << 20, "").unwrap().len(),
            2 << 20
        );
        let latin = tmp.path().join("latin");
        fs::write(&latin, b"a = 1\nb = \"\xe9\"\n").unwrap();
        let e = read_text(&latin, "scenario file", 1024, "").unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
