//! Unpacking an uploaded zip (a shapefile's parts, as QGIS, ArcGIS and Windows "Send to →
//! Compressed folder" make them: deflated, sometimes inside a folder entry) into a private folder.
//!
//! Limits protect the disk: at most [`ZipLimits::max_entries`] entries, and at most
//! [`ZipLimits::max_total_bytes`] unpacked in all. Sizes are counted as the bytes come out of
//! the decompressor, never taken from the headers (a zip bomb declares small sizes).
//! Entry names are reduced to their file name, so a crafted path cannot write outside the folder;
//! a name that is absolute or climbs out (`..`) refuses the whole zip rather than being skipped.

use super::error::{GisError, GisResult};
use super::open::drivers_for;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    pub max_entries: usize,
    pub max_total_bytes: u64,
}

impl Default for ZipLimits {
    /// A shapefile has at most a dozen parts; a district's grids are tens of megabytes.
    fn default() -> Self {
        ZipLimits {
            max_entries: 64,
            max_total_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Unpacks `zip_path` into `dir` and returns the one vector dataset in it (`.shp`, `.gpkg`…).
/// `source` names the upload in messages (never the temporary path).
pub fn unzip_one_dataset(
    zip_path: &Path,
    dir: &Path,
    source: &str,
    limits: ZipLimits,
) -> GisResult<PathBuf> {
    let bad = |reason: String| GisError::open(format!("{source}: {reason}"));
    let file = std::fs::File::open(zip_path)
        .map_err(|e| bad(format!("cannot reopen the upload: {}", e.kind())).because(e))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| bad(format!("not a readable zip: {e}")).because(e))?;
    if archive.len() > limits.max_entries {
        return Err(bad(format!(
            "the zip has {} entries; at most {} are accepted",
            archive.len(),
            limits.max_entries
        )));
    }
    let mut unpacked: u64 = 0;
    let mut datasets = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("zip entry {i}: {e}")).because(e))?;
        let raw_name = entry
            .name()
            .map_err(|e| bad(format!("zip entry {i} has an unreadable name: {e}")).because(e))?
            .to_string();
        if entry.is_dir() {
            continue;
        }
        let Some(name) = entry
            .enclosed_name()
            .and_then(|p| p.file_name().map(|n| n.to_owned()))
        else {
            return Err(bad(format!(
                "zip entry {i} (\"{raw_name}\") has an absolute or climbing path"
            )));
        };
        let target = dir.join(&name);
        if target.exists() {
            return Err(bad(format!(
                "zip entry {i} (\"{raw_name}\"): two entries are named {}",
                name.to_string_lossy()
            )));
        }
        let mut out = std::fs::File::create(&target)
            .map_err(|e| bad(format!("cannot unpack entry {i}: {}", e.kind())).because(e))?;
        // Count what the decompressor yields, one byte past the allowance at most.
        let allowance = limits.max_total_bytes - unpacked;
        let mut limited = (&mut entry).take(allowance + 1);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = limited
                .read(&mut buf)
                .map_err(|e| bad(format!("zip entry {i} (\"{raw_name}\"): {e}")).because(e))?;
            if n == 0 {
                break;
            }
            unpacked += n as u64;
            if unpacked > limits.max_total_bytes {
                return Err(bad(format!(
                    "the zip unpacks to more than {} bytes (entry {i}, \"{raw_name}\"); it is refused as a possible zip bomb",
                    limits.max_total_bytes
                )));
            }
            out.write_all(&buf[..n])
                .map_err(|e| bad(format!("cannot unpack entry {i}: {}", e.kind())).because(e))?;
        }
        let ext = super::open::extension_of(&target);
        if drivers_for(&ext).is_some() && ext != "dbf" {
            datasets.push(target);
        }
    }
    match datasets.len() {
        1 => Ok(datasets.remove(0)),
        0 => Err(bad(
            "the zip holds no vector file (.shp, .gpkg, .geojson…)".into()
        )),
        n => Err(bad(format!(
            "the zip holds {n} vector files; upload one at a time"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;

    fn zip_of(entries: &[(&str, Vec<u8>)], method: CompressionMethod) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            if name.ends_with('/') {
                z.add_directory(*name, SimpleFileOptions::default())
                    .expect("dir");
                continue;
            }
            z.start_file(
                *name,
                SimpleFileOptions::default().compression_method(method),
            )
            .expect("entry");
            z.write_all(data).expect("write");
        }
        z.finish().expect("zip").into_inner()
    }

    fn unzip(bytes: &[u8], limits: ZipLimits) -> (tempfile::TempDir, GisResult<PathBuf>) {
        let dir = tempfile::tempdir().expect("dir");
        let zip = dir.path().join("upload.zip");
        std::fs::write(&zip, bytes).expect("write");
        let out = dir.path().join("x");
        std::fs::create_dir(&out).expect("mkdir");
        let r = unzip_one_dataset(&zip, &out, "upload.zip", limits);
        (dir, r)
    }

    #[test]
    fn deflated_entries_in_a_folder_unpack() {
        let bytes = zip_of(
            &[
                ("grids/", vec![]),
                ("grids/a.shp", vec![7u8; 5000]),
                ("grids/a.dbf", vec![1u8; 100]),
            ],
            CompressionMethod::Deflated,
        );
        let (_d, r) = unzip(&bytes, ZipLimits::default());
        let shp = r.expect("unpacks");
        assert_eq!(shp.file_name().and_then(|n| n.to_str()), Some("a.shp"));
        assert_eq!(std::fs::read(&shp).expect("read"), vec![7u8; 5000]);
    }

    #[test]
    fn total_size_is_counted_while_inflating() {
        let bytes = zip_of(
            &[("a.shp", vec![0u8; 10_000]), ("a.dbf", vec![0u8; 10_000])],
            CompressionMethod::Deflated,
        );
        assert!(bytes.len() < 1000, "zeros deflate well");
        let tight = ZipLimits {
            max_entries: 10,
            max_total_bytes: 15_000,
        };
        let (_d, r) = unzip(&bytes, tight);
        let e = r.expect_err("over the limit");
        assert!(e.to_string().contains("zip bomb"), "{e}");
        // Exactly at the limit is accepted.
        let exact = ZipLimits {
            max_entries: 10,
            max_total_bytes: 20_000,
        };
        assert!(unzip(&bytes, exact).1.is_ok());
    }

    #[test]
    fn too_many_entries_and_climbing_names_are_refused() {
        let many: Vec<(String, Vec<u8>)> = (0..11).map(|i| (format!("f{i}.txt"), vec![])).collect();
        let refs: Vec<(&str, Vec<u8>)> =
            many.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
        let limits = ZipLimits {
            max_entries: 10,
            max_total_bytes: 1 << 20,
        };
        let e = unzip(&zip_of(&refs, CompressionMethod::Stored), limits)
            .1
            .expect_err("too many");
        assert!(e.to_string().contains("11 entries"), "{e}");
        let climbing = zip_of(&[("../evil.shp", vec![1])], CompressionMethod::Stored);
        let e = unzip(&climbing, limits).1.expect_err("climbing");
        assert!(e.to_string().contains("climbing"), "{e}");
    }
}
