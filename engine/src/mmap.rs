//! Memory-mapped model files (the one `unsafe` outside `kernels/`).

use std::fs::File;
use std::path::Path;

/// A read-only memory map of a model file. Pages are loaded on first touch, so opening is O(1).
pub struct MappedFile {
    map: memmap2::Mmap,
}

impl MappedFile {
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let file = File::open(path)?;
        // SAFETY: the map is read-only and private to this process. Another process truncating or
        // rewriting the file while it is mapped would change the bytes under us (or SIGBUS on
        // truncation); the converter never rewrites in place (it writes a temporary file and
        // renames it), and every read of the bytes goes through bounds-checked views.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Ok(MappedFile { map })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }
}
