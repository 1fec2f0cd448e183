//! The one error type of the GIS layer. Every variant carries a complete, one-line message that
//! names the file and, where it applies, the feature and field: the CLI prints it as is and exits
//! with 2; the HTTP upload returns it as a 400/422 body.
//!
//! The variant says what kind of problem it is; the [`Failure`] inside holds the message and,
//! when a library failed underneath (GDAL, the file system, the zip reader, serde_json, csv),
//! that error as the typed [`std::error::Error::source`]. The message already quotes the cause's
//! text: users (and the tests) read the message alone, code and logs can reach the cause.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum GisError {
    /// The file cannot be opened or read (missing, truncated, not a vector format GDAL knows).
    #[error(transparent)]
    Open(Failure),
    /// The coordinate system is missing, unknown, or cannot be transformed to lon/lat.
    #[error(transparent)]
    Crs(Failure),
    /// Attribute text is not valid in the encoding the file declares (or implies).
    #[error(transparent)]
    Encoding(Failure),
    /// The file's geometry does not fit the layer (lines imported as grids…).
    #[error(transparent)]
    Geometry(Failure),
    /// `--map` or a field value cannot be mapped onto the model.
    #[error(transparent)]
    Mapping(Failure),
    /// Features were refused: all or nothing, so nothing is imported.
    #[error(transparent)]
    Refused(Failure),
    /// Writing an export failed.
    #[error(transparent)]
    Write(Failure),
}

/// What failed, "while" doing what (the file, the feature, the column), and the library error
/// underneath if there is one.
#[derive(Debug)]
pub struct Failure {
    message: String,
    cause: Option<Cause>,
}

/// The library error under a [`Failure`].
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    #[error(transparent)]
    Gdal(#[from] gdal::errors::GdalError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            cause: None,
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn cause(&self) -> Option<&Cause> {
        self.cause.as_ref()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // GDAL messages can span lines; the contract is one line.
        f.write_str(&self.message.replace('\n', " "))
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_ref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::new(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::new(message)
    }
}

/// Constructors from a message (add the library error with [`GisError::because`]).
impl GisError {
    pub fn open(message: impl Into<String>) -> Self {
        GisError::Open(Failure::new(message))
    }
    pub fn crs(message: impl Into<String>) -> Self {
        GisError::Crs(Failure::new(message))
    }
    pub fn encoding(message: impl Into<String>) -> Self {
        GisError::Encoding(Failure::new(message))
    }
    pub fn geometry(message: impl Into<String>) -> Self {
        GisError::Geometry(Failure::new(message))
    }
    pub fn mapping(message: impl Into<String>) -> Self {
        GisError::Mapping(Failure::new(message))
    }
    pub fn refused(message: impl Into<String>) -> Self {
        GisError::Refused(Failure::new(message))
    }
    pub fn write(message: impl Into<String>) -> Self {
        GisError::Write(Failure::new(message))
    }
}

impl GisError {
    fn failure(&self) -> &Failure {
        match self {
            GisError::Open(f)
            | GisError::Crs(f)
            | GisError::Encoding(f)
            | GisError::Geometry(f)
            | GisError::Mapping(f)
            | GisError::Refused(f)
            | GisError::Write(f) => f,
        }
    }

    fn failure_mut(&mut self) -> &mut Failure {
        match self {
            GisError::Open(f)
            | GisError::Crs(f)
            | GisError::Encoding(f)
            | GisError::Geometry(f)
            | GisError::Mapping(f)
            | GisError::Refused(f)
            | GisError::Write(f) => f,
        }
    }

    pub fn message(&self) -> &str {
        self.failure().message()
    }

    /// The library error underneath, if any.
    pub fn cause(&self) -> Option<&Cause> {
        self.failure().cause()
    }

    /// The same error with `cause` as its source (the message already quotes it).
    pub fn because(mut self, cause: impl Into<Cause>) -> Self {
        self.failure_mut().cause = Some(cause.into());
        self
    }

    /// The library error underneath, taken out (to become the cause of another error).
    pub fn into_cause(self) -> Option<Cause> {
        match self {
            GisError::Open(f)
            | GisError::Crs(f)
            | GisError::Encoding(f)
            | GisError::Geometry(f)
            | GisError::Mapping(f)
            | GisError::Refused(f)
            | GisError::Write(f) => f.cause,
        }
    }

    /// [`GisError::because`] when there is a cause.
    pub fn because_of(mut self, cause: Option<Cause>) -> Self {
        if cause.is_some() {
            self.failure_mut().cause = cause;
        }
        self
    }

    /// The same error with its message rewritten (e.g. to hide a temporary path); the cause is
    /// kept for the server's log.
    pub fn map_message(mut self, f: impl FnOnce(&str) -> String) -> GisError {
        let failure = self.failure_mut();
        failure.message = f(&failure.message);
        self
    }
}

pub type GisResult<T> = Result<T, GisError>;
