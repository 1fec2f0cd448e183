//! The one error type of the GIS layer. Every variant carries a complete, one-line message that
//! names the file and, where it applies, the feature and field: the CLI prints it as is and exits
//! with 2; the HTTP upload returns it as a 400/422 body.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum GisError {
    /// The file cannot be opened or read (missing, truncated, not a vector format GDAL knows).
    Open(String),
    /// The coordinate system is missing, unknown, or cannot be transformed to lon/lat.
    Crs(String),
    /// Attribute text is not valid in the encoding the file declares (or implies).
    Encoding(String),
    /// The file's geometry does not fit the layer (lines imported as grids…).
    Geometry(String),
    /// `--map` or a field value cannot be mapped onto the model.
    Mapping(String),
    /// Features were refused: all or nothing, so nothing is imported.
    Refused(String),
    /// Writing an export failed.
    Write(String),
}

impl GisError {
    pub fn message(&self) -> &str {
        match self {
            GisError::Open(m)
            | GisError::Crs(m)
            | GisError::Encoding(m)
            | GisError::Geometry(m)
            | GisError::Mapping(m)
            | GisError::Refused(m)
            | GisError::Write(m) => m,
        }
    }
}

impl GisError {
    /// The same error with its message rewritten (e.g. to hide a temporary path).
    pub fn map_message(self, f: impl FnOnce(&str) -> String) -> GisError {
        match self {
            GisError::Open(m) => GisError::Open(f(&m)),
            GisError::Crs(m) => GisError::Crs(f(&m)),
            GisError::Encoding(m) => GisError::Encoding(f(&m)),
            GisError::Geometry(m) => GisError::Geometry(f(&m)),
            GisError::Mapping(m) => GisError::Mapping(f(&m)),
            GisError::Refused(m) => GisError::Refused(f(&m)),
            GisError::Write(m) => GisError::Write(f(&m)),
        }
    }
}

impl fmt::Display for GisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // GDAL messages can span lines; the contract is one line.
        f.write_str(&self.message().replace('\n', " "))
    }
}

impl std::error::Error for GisError {}

pub type GisResult<T> = Result<T, GisError>;
