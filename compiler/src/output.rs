//! Reading the input and writing objects, IR and executables so that a failure never
//! leaves a partial output file behind.

use crate::{compile, Emit, Error, Options};
use kiln_targets::{link_executable, runtime_library};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Compiles the file `input` and writes the result to `output` as `options.emit` says.
pub fn build(input: &Path, output: &Path, options: &Options) -> Result<(), Error> {
    build_bytes(&read_input(input)?, output, options)
}

pub fn read_input(input: &Path) -> Result<Vec<u8>, Error> {
    fs::read(input).map_err(|e| Error::new(format!("cannot read `{}`: {}", input.display(), e)))
}

/// Compiles module `bytes` and writes the result to `output` as `options.emit` says.
pub fn build_bytes(bytes: &[u8], output: &Path, options: &Options) -> Result<(), Error> {
    // Find the runtime before the (slow) compilation, so a broken set-up fails fast.
    let runtime = match options.emit {
        Emit::Exe => Some(runtime_library(&options.target).map_err(|e| Error::new(e.0))?),
        _ => None,
    };
    let compiled = compile(bytes, options)?;
    let staged = Staged::new(output)?;
    match options.emit {
        Emit::Clif | Emit::ClifOptimized | Emit::Asm => {
            staged.write(compiled.listing.as_bytes())?
        }
        Emit::Obj => staged.write(&compiled.object)?,
        Emit::Exe => link(
            &compiled.object,
            runtime.as_deref().unwrap(),
            &staged.temp,
            options,
        )?,
    }
    staged.commit()
}

/// Compiles and links module `bytes` into an executable and returns its bytes (for
/// `kiln image`, which packs them); no file is left behind.
pub(crate) fn executable_bytes(bytes: &[u8], options: &Options) -> Result<Vec<u8>, Error> {
    let runtime = runtime_library(&options.target).map_err(|e| Error::new(e.0))?;
    let compiled = compile(bytes, options)?;
    let scratch = std::env::temp_dir().join(format!("kiln-{}", options.target.name()));
    let exe = Staged::new(&scratch)?; // never committed: removed when dropped
    link(&compiled.object, &runtime, exe.path(), options)?;
    fs::read(exe.path()).map_err(|e| Error::new(format!("cannot read the linked executable: {e}")))
}

/// Links `object` with the runtime library into the executable `exe`.
fn link(object: &[u8], runtime: &Path, exe: &Path, options: &Options) -> Result<(), Error> {
    // Never committed: the object is removed once linked (or not).
    let staged_object = Staged::with_suffix(exe, ".o")?;
    staged_object.write(object)?;
    link_executable(
        &options.target,
        &[&staged_object.temp],
        runtime,
        exe,
        options.linker,
        options.strip,
    )
    .map_err(|e| Error::new(e.0))
}

/// A file (or directory) written under its own name in a temporary directory beside
/// its destination and renamed into place by [`Staged::commit`]; dropped uncommitted,
/// it is removed. The file keeps its final name while it is written because linkers
/// record it: a macOS executable's code signature names it.
pub(crate) struct Staged {
    /// `.NAME.kiln-PID.tmp/` beside the destination.
    dir: PathBuf,
    temp: PathBuf,
    dest: PathBuf,
}

impl Staged {
    pub(crate) fn new(dest: &Path) -> Result<Staged, Error> {
        Self::with_suffix(dest, "")
    }

    /// A temporary file whose name is the destination's plus `suffix` (linkers
    /// recognise objects by `.o`).
    fn with_suffix(dest: &Path, suffix: &str) -> Result<Staged, Error> {
        let name = dest
            .file_name()
            .ok_or_else(|| Error::new(format!("`{}` is not a file name", dest.display())))?;
        let parent = dest.parent().filter(|d| !d.as_os_str().is_empty());
        let parent = parent.unwrap_or(Path::new("."));
        if !parent.is_dir() {
            return Err(Error::new(format!(
                "cannot write `{}`: directory `{}` does not exist",
                dest.display(),
                parent.display()
            )));
        }
        let dir = parent.join(format!(
            ".{}.kiln-{}{suffix}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let mut temp_name = name.to_os_string();
        temp_name.push(suffix);
        let temp = dir.join(temp_name);
        live_staged().push(dir.clone());
        fs::create_dir(&dir)
            .map_err(|e| Error::new(format!("cannot write `{}`: {e}", dest.display())))?;
        Ok(Staged {
            dir,
            temp,
            dest: dest.to_path_buf(),
        })
    }

    /// The temporary name, for a caller that creates a directory there.
    pub(crate) fn path(&self) -> &Path {
        &self.temp
    }

    pub(crate) fn write(&self, bytes: &[u8]) -> Result<(), Error> {
        fs::write(&self.temp, bytes)
            .map_err(|e| Error::new(format!("cannot write `{}`: {}", self.dest.display(), e)))
    }

    pub(crate) fn commit(self) -> Result<(), Error> {
        fs::rename(&self.temp, &self.dest)
            .map_err(|e| Error::new(format!("cannot write `{}`: {}", self.dest.display(), e)))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // After a successful commit only the empty directory is left.
        remove_path(&self.dir);
        live_staged().retain(|p| *p != self.dir);
    }
}

/// The temporary files of the [`Staged`] outputs that exist now.
static LIVE_STAGED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live_staged() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE_STAGED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes every staged temporary file, for a process that ends without dropping them
/// (the panic hook: panics abort).
pub fn remove_staged_files() {
    // `try_lock`: the panic may have happened while the list was locked.
    if let Ok(files) = LIVE_STAGED.try_lock() {
        for file in files.iter() {
            remove_path(file);
        }
    }
}

fn remove_path(path: &Path) {
    if path.is_dir() {
        let _ = fs::remove_dir_all(path);
    } else {
        let _ = fs::remove_file(path);
    }
}
