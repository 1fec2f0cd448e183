//! Opening an import file safely: only the GDAL drivers its extension names, and nothing fetched.
//!
//! GDAL will open whatever a file's *content* says it is: an OGR VRT saved as `grids.kml` opens
//! as a VRT, and a VRT can name any source — `/vsicurl/http://…` (the server requests a URL) or
//! a local database with SQL on it. An import therefore:
//! - maps the extension to its drivers ([`drivers_for`]) and passes that list to `GDALOpenEx`,
//!   so the VRT driver (and every other) is never tried; `.vrt` itself is not importable;
//! - refuses paths that are GDAL virtual file systems (`/vsicurl/`, `/vsizip/`, …) or URLs;
//! - while reading, sets thread-local GDAL options ([`NoNetwork`]) so that no driver reaches
//!   the network: `/vsicurl/` (and its S3/GS/Azure siblings, which share its code) only opens
//!   the one allowed filename (a name that cannot exist), and every `CPLHTTPFetch` (GML schemas
//!   and xlinks, KML styles, WFS…) is answered by a callback that refuses without connecting.
//!   GeoPackage/SQLite SQL may not reach outside the file (`OGR_SQLITE_ALLOW_EXTERNAL_ACCESS=NO`).

use super::error::{GisError, GisResult};
use std::ffi::{c_char, c_int, c_void};
use std::path::Path;

/// Extensions an import reads, and the GDAL drivers (short names) each may be opened with.
/// `.zip` is unpacked by [`super::archive`] first and is not opened by GDAL.
pub const IMPORT_FORMATS: &[(&str, &[&str])] = &[
    ("shp", &["ESRI Shapefile"]),
    ("dbf", &["ESRI Shapefile"]),
    ("gpkg", &["GPKG"]),
    ("geojson", &["GeoJSON"]),
    ("json", &["GeoJSON"]),
    ("kml", &["KML", "LIBKML"]),
    ("dxf", &["DXF"]),
    ("fgb", &["FlatGeobuf"]),
    ("csv", &["CSV"]),
    ("gml", &["GML"]),
];

/// The extensions accepted for import (those of [`IMPORT_FORMATS`] plus `zip`).
pub fn import_extensions() -> Vec<&'static str> {
    IMPORT_FORMATS
        .iter()
        .map(|(e, _)| *e)
        .chain(std::iter::once("zip"))
        .collect()
}

/// The drivers allowed for a lower-case extension, `None` when it is not importable.
pub fn drivers_for(ext: &str) -> Option<&'static [&'static str]> {
    IMPORT_FORMATS
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, d)| *d)
}

/// The lower-case extension of `path` ("" when it has none).
pub fn extension_of(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// Refuses names GDAL would treat as something other than a local file: its virtual file
/// systems (`/vsicurl/`, `/vsizip/`, `/vsistdin/`…), URLs and connection strings (`PG:`…).
pub fn check_local_path(path: &Path, source: &str) -> GisResult<()> {
    let text = path.to_string_lossy();
    let lower = text.to_ascii_lowercase();
    let virtual_fs = lower.starts_with("/vsi") || lower.starts_with("\\vsi");
    let url_or_connection = lower.contains("://")
        || text
            .split_once(':')
            .is_some_and(|(scheme, _)| scheme.len() > 1 && !scheme.contains(['/', '\\']));
    if virtual_fs || url_or_connection {
        return Err(GisError::open(format!(
            "{source}: only local files can be imported (not GDAL virtual paths, URLs or connection strings)"
        )));
    }
    Ok(())
}

/// Thread-local GDAL settings that keep every driver off the network while it lives; dropped,
/// they are restored. GDAL options set this way apply to the current thread only, so a reader
/// in one thread does not change GDAL's behaviour elsewhere in the process.
pub struct NoNetwork {
    previous: Vec<(&'static str, Option<String>)>,
    callback_pushed: bool,
}

/// (option, value) pairs set while reading an import.
const NO_NETWORK_OPTIONS: &[(&str, &str)] = &[
    // /vsicurl/ (and /vsis3/, /vsigs/, /vsiaz/… built on it) opens only this name, which is
    // not a URL: every other file "does not exist" before any connection is made.
    (
        "CPL_VSIL_CURL_ALLOWED_FILENAME",
        "/vsicurl/wangge-import-fetches-nothing",
    ),
    ("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".wangge-none"),
    // No directory listing of the file's folder (remote or local) on open.
    ("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR"),
    // SQLite/GeoPackage: SQL in the file (views, triggers) may not reach other files or data
    // sources through GDAL's SQL functions (it is GDAL's default; set in case the environment
    // changed it).
    ("OGR_SQLITE_ALLOW_EXTERNAL_ACCESS", "NO"),
    // GML: neither remote schemas nor xlinks are fetched.
    ("GML_DOWNLOAD_WFS_SCHEMA", "NO"),
    ("GML_SKIP_RESOLVE_ELEMS", "ALL"),
    // KML (libkml): no remote styles.
    ("LIBKML_RESOLVE_STYLE", "NO"),
    // Belt and braces for anything still reaching curl: a one-second limit, no retries. (The
    // fetch callback below answers CPLHTTPFetch before curl is reached.)
    ("GDAL_HTTP_TIMEOUT", "1"),
    ("GDAL_HTTP_MAX_RETRY", "0"),
];

// GDAL's HTTP hook (cpl_http.h, GDAL ≥ 3.2). gdal-sys does not bind cpl_http.h, so the two
// functions and the result struct are declared here exactly as the header has them.
#[repr(C)]
struct CplHttpResult {
    n_status: c_int,
    psz_content_type: *mut c_char,
    psz_err_buf: *mut c_char,
    n_data_len: c_int,
    n_data_alloc: c_int,
    paby_data: *mut u8,
    papsz_headers: *mut *mut c_char,
    n_mime_part_count: c_int,
    pas_mime_part: *mut c_void,
}

type FetchCallback = unsafe extern "C" fn(
    url: *const c_char,
    options: *const *const c_char,
    progress: *mut c_void,
    progress_arg: *mut c_void,
    write: *mut c_void,
    write_arg: *mut c_void,
    user: *mut c_void,
) -> *mut CplHttpResult;

extern "C" {
    fn CPLHTTPPushFetchCallback(f: Option<FetchCallback>, user: *mut c_void) -> c_int;
    fn CPLHTTPPopFetchCallback() -> c_int;
}

/// Answers every HTTP request GDAL makes during an import with an error, without connecting.
unsafe extern "C" fn refuse_fetch(
    _url: *const c_char,
    _options: *const *const c_char,
    _progress: *mut c_void,
    _progress_arg: *mut c_void,
    _write: *mut c_void,
    _write_arg: *mut c_void,
    _user: *mut c_void,
) -> *mut CplHttpResult {
    // SAFETY: GDAL frees the result with CPLHTTPDestroyResult (VSIFree of each pointer field and
    // of the struct), so everything is allocated with GDAL's allocator; zeroed fields are nulls.
    let result = gdal_sys::VSICalloc(1, std::mem::size_of::<CplHttpResult>()) as *mut CplHttpResult;
    if !result.is_null() {
        (*result).n_status = 1;
        (*result).psz_err_buf =
            gdal_sys::CPLStrdup(c"network access is disabled while importing".as_ptr());
    }
    result
}

impl NoNetwork {
    pub fn enter() -> GisResult<Self> {
        let mut guard = NoNetwork {
            previous: Vec::new(),
            callback_pushed: false,
        };
        for (key, value) in NO_NETWORK_OPTIONS {
            let refused = |e: gdal::errors::GdalError| {
                GisError::open(format!("cannot restrict GDAL before reading: {e}")).because(e)
            };
            let before = gdal::config::get_thread_local_config_option(key, "").map_err(refused)?;
            let before = (!before.is_empty()).then_some(before);
            gdal::config::set_thread_local_config_option(key, value).map_err(refused)?;
            guard.previous.push((key, before));
        }
        // SAFETY: registers a plain function with no user data for this thread; popped in Drop.
        if unsafe { CPLHTTPPushFetchCallback(Some(refuse_fetch), std::ptr::null_mut()) } == 0 {
            return Err(GisError::open(
                "cannot restrict GDAL before reading: the HTTP hook was not accepted",
            ));
        }
        guard.callback_pushed = true;
        Ok(guard)
    }
}

impl Drop for NoNetwork {
    fn drop(&mut self) {
        if self.callback_pushed {
            // SAFETY: pops the callback pushed by `enter` on this same thread.
            unsafe { CPLHTTPPopFetchCallback() };
        }
        for (key, before) in self.previous.drain(..) {
            // Restoring is best effort: a failure here cannot be reported from Drop, and the
            // keys and values are NUL-free constants or values GDAL itself returned.
            let _ = match before {
                Some(v) => gdal::config::set_thread_local_config_option(key, &v),
                None => gdal::config::clear_thread_local_config_option(key),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_extensions_have_drivers_and_vrt_has_none() {
        assert_eq!(drivers_for("kml"), Some(&["KML", "LIBKML"][..]));
        assert_eq!(drivers_for("geojson"), Some(&["GeoJSON"][..]));
        assert_eq!(drivers_for("vrt"), None);
        assert_eq!(drivers_for("zip"), None);
        assert!(import_extensions().contains(&"zip"));
    }

    #[test]
    fn virtual_paths_urls_and_connections_are_not_local_files() {
        for bad in [
            "/vsicurl/http://127.0.0.1:9/x.geojson",
            "/vsizip//tmp/a.zip/b.shp",
            "http://example.com/x.kml",
            "PG:dbname=x",
        ] {
            assert!(check_local_path(Path::new(bad), bad).is_err(), "{bad}");
        }
        for good in [
            "/tmp/x/grids.shp",
            "data/base.geojson",
            "grids_gk.shp",
            "./a.kml",
        ] {
            assert!(check_local_path(Path::new(good), good).is_ok(), "{good}");
        }
    }
}
