//! Reading and writing the project's data: GeoJSON features ↔ engine model, dataset folders,
//! point files. Everything here depends on the engine, never the reverse.

pub mod dataset;
pub mod features;
pub mod points;

use std::fmt;

/// Bad input: the message names the file, the feature or row, the field and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

impl InputError {
    pub fn new(msg: impl Into<String>) -> Self {
        InputError(msg.into())
    }

    /// Prefixes the message with where it happened.
    pub fn at(self, place: impl fmt::Display) -> Self {
        InputError(format!("{place}: {}", self.0))
    }
}

pub type Result<T> = std::result::Result<T, InputError>;

pub(crate) fn read_text(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| InputError::new(format!("cannot read {}: {e}", path.display())))
}
