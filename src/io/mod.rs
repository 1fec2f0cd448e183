//! Reading and writing the project's data: GeoJSON features ↔ engine model, dataset folders,
//! point files. Everything here depends on the engine, never the reverse.

pub mod dataset;
pub mod features;
pub mod points;

use std::fmt;
use std::path::Path;

/// Bad input, or a file that cannot be read or written: the message names the file, the feature
/// or row, the field and the reason.
///
/// The message is complete on its own (it quotes the cause's text), because the CLI and the HTTP
/// API show only the message; [`std::error::Error::source`] gives the typed cause (the
/// `std::io::Error`, `serde_json::Error`, `csv::Error` or [`wangge_engine::ModelError`]) to code
/// and logs that want it.
#[derive(Debug)]
pub struct InputError {
    /// Where it happened, outermost first: the file, then the feature or row.
    places: Vec<String>,
    kind: InputErrorKind,
}

/// What went wrong, with its cause.
#[derive(Debug, thiserror::Error)]
pub enum InputErrorKind {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create {path}: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode {path}: {source}")]
    Encode {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid JSON: {source}")]
    Json {
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid GeoJSON: {source}")]
    GeoJson {
        #[source]
        source: serde_json::Error,
    },
    /// Opening a CSV file for reading.
    #[error("cannot read {path}: {source}")]
    CsvOpen {
        path: String,
        #[source]
        source: csv::Error,
    },
    /// A CSV header or record that cannot be read (the place names the file and row).
    #[error("{source}")]
    Csv {
        #[source]
        source: csv::Error,
    },
    #[error("cannot write {path}: {source}")]
    CsvWrite {
        path: String,
        #[source]
        source: csv::Error,
    },
    #[error("inconsistent dataset: {source}")]
    Dataset {
        #[source]
        source: wangge_engine::ModelError,
    },
    /// The geometry is wrong: missing, of the wrong type, a position out of range, a ring that
    /// crosses the antimeridian…
    #[error("{0}")]
    Geometry(String),
    /// A value is wrong: a property, a column, a cell, a missing field.
    #[error("{0}")]
    Value(String),
}

impl InputError {
    /// A wrong value (property, column, cell).
    pub fn new(msg: impl Into<String>) -> Self {
        InputErrorKind::Value(msg.into()).into()
    }

    /// Wrong geometry.
    pub fn geometry(msg: impl Into<String>) -> Self {
        InputErrorKind::Geometry(msg.into()).into()
    }

    /// The same error, said to have happened at `place` (the file, the feature, the row…).
    pub fn at(mut self, place: impl fmt::Display) -> Self {
        self.places.insert(0, place.to_string());
        self
    }

    pub fn kind(&self) -> &InputErrorKind {
        &self.kind
    }

    /// Whether the geometry (rather than a property or the file) is what is wrong.
    pub fn is_geometry(&self) -> bool {
        matches!(self.kind, InputErrorKind::Geometry(_))
    }
}

impl From<InputErrorKind> for InputError {
    fn from(kind: InputErrorKind) -> Self {
        InputError {
            places: vec![],
            kind,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.places {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // The kind's own cause: the kind's message is part of ours already.
        std::error::Error::source(&self.kind)
    }
}

pub type Result<T> = std::result::Result<T, InputError>;

pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| {
        InputErrorKind::Read {
            path: path.display().to_string(),
            source,
        }
        .into()
    })
}
