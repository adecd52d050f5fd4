//! Opening a model file: mmap, parse, checksum, resolve.

use std::path::Path;

use electra_engine::mmap::MappedFile;
use electra_engine::{Model, ModelFile};

pub type Error = Box<dyn std::error::Error>;

pub fn map(path: &Path) -> Result<MappedFile, Error> {
    MappedFile::open(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Parses, verifies the data checksum and resolves the weights.
pub fn model<'a>(path: &Path, map: &'a MappedFile) -> Result<Model<'a>, Error> {
    let file = ModelFile::parse(map.bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    file.verify_data().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Model::new(file).map_err(|e| format!("{}: {e}", path.display()))?)
}
