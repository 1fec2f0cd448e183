//! Map label glyphs: MapLibre glyph ranges (`/fonts/{fontstack}/{start}-{end}.pbf`) rendered at
//! run time from the TTF/OTF/TTC files of a font folder (`wangge serve --fonts DIR`; by default
//! the system's fonts, where Debian puts its CJK fonts such as fonts-wqy-microhei), so the map's
//! Chinese labels need no outside font service.
//!
//! The rendering is FreeType (the system library, through `freetype-rs`) and the signed distance
//! fields of `sdf_glyph_renderer`, encoded with the protobuf types of `pbf_font_tools` (what
//! martin uses), with martin's and node-fontnik's parameters: 24 px, 3 px buffer, radius 8,
//! cutoff 0.25. [`render_glyph`] is those crates' FreeType front end written out here, because
//! their FreeType code compiles only with a bundled FreeType (see Cargo.toml). A range is
//! rendered once per font stack and kept ([`CACHE_RANGES`]).

use super::error::{ApiError, ApiResult};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use freetype::face::LoadFlag;
use pbf_font_tools::prost::Message;
use pbf_font_tools::{Fontstack, Glyph, Glyphs};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Where the fonts are when `--fonts` is not given: Debian's (and most Linux distributions')
/// system font folder, which holds the CJK fonts (fonts-wqy-microhei, fonts-noto-cjk).
pub const SYSTEM_FONTS: &str = "/usr/share/fonts";
/// Code points per range, as MapLibre requests them.
pub const RANGE: u32 = 256;
/// MapLibre asks for code points of the Basic Multilingual Plane only.
pub const LAST_CODE_POINT: u32 = 0xFFFF;
/// Most fonts in one requested stack; a longer list is bad input rather than work.
pub const MAX_STACK: usize = 8;
/// Ranges kept in memory. A CJK range of one font is 150–300 kB, so this bounds the cache at
/// tens of MB; a district's labels use a few dozen ranges of one or two stacks.
pub const CACHE_RANGES: usize = 256;

const FONT_SIZE: usize = 24;
const RADIUS: usize = 8;
const CUTOFF: f64 = 0.25;
const BUFFER: usize = 3;

/// One face of a font file (a TTC holds several).
#[derive(Debug, Clone)]
pub struct FontFace {
    pub path: PathBuf,
    pub index: isize,
    /// "Family Style", e.g. "WenQuanYi Micro Hei Regular".
    pub full_name: String,
}

/// The faces of the font folder by the names a style may use: "Family Style" and "Family"
/// alone (the regular face, or the first face of the family when it has no regular one).
#[derive(Debug, Default)]
pub struct Catalogue {
    pub faces: BTreeMap<String, FontFace>,
}

/// Why a font folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FontsError {
    #[error("cannot read the font folder {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start FreeType: {0}")]
    FreeType(#[from] freetype::Error),
}

impl Catalogue {
    /// Reads the names of every TTF/OTF/TTC face under `dir` (recursively). A file FreeType
    /// cannot open is logged and left out: a system font folder may hold fonts of formats
    /// FreeType was built without, and one bad file should not take the others' labels away.
    pub fn scan(dir: &FsPath) -> Result<Catalogue, FontsError> {
        let lib = freetype::Library::init()?;
        let mut files = Vec::new();
        collect_font_files(dir, &mut files)?;
        files.sort();
        let mut cat = Catalogue::default();
        for path in files {
            let faces = match lib.new_face(&path, 0) {
                Ok(face) => face.num_faces(),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "font left out: FreeType cannot open it");
                    continue;
                }
            };
            for index in 0..faces as isize {
                let face = match lib.new_face(&path, index) {
                    Ok(face) => face,
                    Err(e) => {
                        tracing::warn!(path = %path.display(), index, error = %e, "font face left out");
                        continue;
                    }
                };
                let Some(family) = face.family_name() else {
                    tracing::warn!(path = %path.display(), index, "font face left out: no family name");
                    continue;
                };
                let style = face.style_name().unwrap_or_else(|| "Regular".into());
                let full_name = format!("{family} {style}");
                let entry = FontFace {
                    path: path.clone(),
                    index,
                    full_name: full_name.clone(),
                };
                if style == "Regular" || !cat.faces.contains_key(&family) {
                    cat.faces.insert(family, entry.clone());
                }
                cat.faces.entry(full_name).or_insert(entry);
            }
        }
        Ok(cat)
    }
}

fn collect_font_files(dir: &FsPath, out: &mut Vec<PathBuf>) -> Result<(), FontsError> {
    let folder = |source| FontsError::Folder {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(folder)? {
        let path = entry.map_err(folder)?.path();
        if path.is_dir() {
            collect_font_files(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "ttf" | "otf" | "ttc"))
        {
            out.push(path);
        }
    }
    Ok(())
}

type Key = (Vec<String>, u32);

/// The glyph service: the catalogue (read on first use) and the rendered ranges.
pub struct GlyphService {
    dir: Option<PathBuf>,
    catalogue: OnceCell<Arc<Catalogue>>,
    ranges: Mutex<HashMap<Key, Arc<OnceCell<Bytes>>>>,
}

impl GlyphService {
    /// `dir`: the `--fonts` folder; `None` is [`SYSTEM_FONTS`].
    pub fn new(dir: Option<PathBuf>) -> Self {
        GlyphService {
            dir,
            catalogue: OnceCell::new(),
            ranges: Mutex::new(HashMap::new()),
        }
    }

    async fn catalogue(&self) -> ApiResult<Arc<Catalogue>> {
        let dir = self
            .dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(SYSTEM_FONTS));
        self.catalogue
            .get_or_try_init(|| async move {
                let cat = tokio::task::spawn_blocking(move || Catalogue::scan(&dir))
                    .await
                    .map_err(|e| ApiError::internal(format!("font scan task: {e}")))?
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                tracing::info!(faces = cat.faces.len(), "font catalogue read");
                Ok(Arc::new(cat))
            })
            .await
            .cloned()
    }

    /// The encoded glyphs protobuf of one range of a stack, rendered on first request.
    pub async fn range(&self, stack: &str, start: u32) -> ApiResult<Bytes> {
        let names = parse_stack(stack)?;
        let cat = self.catalogue().await?;
        let mut faces = Vec::with_capacity(names.len());
        for name in &names {
            let face = cat.faces.get(name).ok_or_else(|| {
                ApiError::not_found(format!(
                    "no font named {name:?}; the service has: {}",
                    cat.faces.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
            faces.push(face.clone());
        }
        let cell = {
            let mut ranges = self
                .ranges
                .lock()
                .map_err(|_| ApiError::internal("glyph cache lock poisoned"))?;
            // Dropping everything keeps the bound without bookkeeping; ranges re-render in
            // well under a second each, and the working set of a map is far below the bound.
            if ranges.len() >= CACHE_RANGES {
                ranges.clear();
            }
            ranges.entry((names.clone(), start)).or_default().clone()
        };
        let stack_name = names.join(",");
        cell.get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || render(&faces, &stack_name, start))
                .await
                .map_err(|e| ApiError::internal(format!("glyph render task: {e}")))?
        })
        .await
        .cloned()
    }
}

/// The font names of a stack as MapLibre sends it ("A" or "A,B"; spaces around names ignored).
fn parse_stack(stack: &str) -> ApiResult<Vec<String>> {
    let names: Vec<String> = stack
        .split(',')
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err(ApiError::field("fontstack", "names no font"));
    }
    if names.len() > MAX_STACK {
        return Err(ApiError::field(
            "fontstack",
            format!("names {} fonts; at most {MAX_STACK}", names.len()),
        ));
    }
    Ok(names)
}

/// Parses `{start}-{end}.pbf`: `start` a multiple of 256, `end` = start + 255, within the BMP.
pub fn parse_range(range: &str) -> ApiResult<u32> {
    let shape = || {
        ApiError::field(
            "range",
            "the path ends in {start}-{end}.pbf, e.g. 0-255.pbf",
        )
    };
    let body = range.strip_suffix(".pbf").ok_or_else(shape)?;
    let (start, end) = body.split_once('-').ok_or_else(shape)?;
    let start: u32 = start
        .parse()
        .map_err(|_| ApiError::field("start", format!("{start:?} is not a whole number")))?;
    let end: u32 = end
        .parse()
        .map_err(|_| ApiError::field("end", format!("{end:?} is not a whole number")))?;
    if !start.is_multiple_of(RANGE) {
        return Err(ApiError::field(
            "start",
            format!("{start} is not a multiple of {RANGE}"),
        ));
    }
    if start > LAST_CODE_POINT {
        return Err(ApiError::field(
            "start",
            format!("{start} is beyond the last code point {LAST_CODE_POINT}"),
        ));
    }
    if end != start + RANGE - 1 {
        return Err(ApiError::field(
            "end",
            format!("{end} is not start + {}", RANGE - 1),
        ));
    }
    Ok(start)
}

/// Renders one range of the stack: each code point from the first font that has it.
fn render(faces: &[FontFace], stack_name: &str, start: u32) -> ApiResult<Bytes> {
    let end = start + RANGE - 1;
    let lib = freetype::Library::init()
        .map_err(|e| ApiError::internal(format!("cannot start FreeType: {e}")))?;
    let mut per_font = Vec::with_capacity(faces.len());
    for f in faces {
        let face = lib.new_face(&f.path, f.index).map_err(|e| {
            ApiError::internal(format!("cannot open font {}: {e}", f.path.display()))
        })?;
        let failed = |e: String| {
            ApiError::internal(format!(
                "cannot render {start}-{end} of {}: {e}",
                f.full_name
            ))
        };
        // FreeType: 0 width means "same as height", 0 dpi means 72 dpi, so the size is in px.
        face.set_char_size(0, (FONT_SIZE << 6) as isize, 0, 0)
            .map_err(|e| failed(e.to_string()))?;
        let mut stack = Fontstack {
            name: f.full_name.clone(),
            range: format!("{start}-{end}"),
            glyphs: Vec::new(),
        };
        for code in start..=end {
            if let Some(glyph) = render_glyph(&face, code).map_err(failed)? {
                stack.glyphs.push(glyph);
            }
        }
        per_font.push(Glyphs {
            stacks: vec![stack],
        });
    }
    // `combine_glyphs` answers None for a range no font covers; MapLibre wants a message with
    // the stack and no glyphs then (it would retry a failed request).
    let mut glyphs = pbf_font_tools::combine_glyphs(per_font).unwrap_or_default();
    if glyphs.stacks.is_empty() {
        glyphs.stacks.push(Fontstack::default());
    }
    for s in &mut glyphs.stacks {
        s.name = stack_name.to_string();
        s.range = format!("{start}-{end}");
    }
    Ok(Bytes::from(glyphs.encode_to_vec()))
}

/// One code point's SDF glyph, `None` when the face has no glyph for it.
fn render_glyph(face: &freetype::Face, code: u32) -> Result<Option<Glyph>, String> {
    let Some(index) = face.get_char_index(code as usize) else {
        return Ok(None);
    };
    let ascender = face
        .size_metrics()
        .ok_or("the face has no size metrics")?
        .ascender
        >> 6;
    face.load_glyph(index, LoadFlag::NO_HINTING | LoadFlag::RENDER)
        .map_err(|e| format!("U+{code:04X}: {e}"))?;
    let glyph = face.glyph();
    let bitmap = glyph.bitmap();
    let width = usize::try_from(bitmap.width()).map_err(|e| e.to_string())?;
    let rows = usize::try_from(bitmap.rows()).map_err(|e| e.to_string())?;
    let buffered =
        sdf_glyph_renderer::BitmapGlyph::from_unbuffered(bitmap.buffer(), width, rows, BUFFER)
            .map_err(|e| format!("U+{code:04X}: {e}"))?;
    let sdf = buffered.render_sdf(RADIUS);
    Ok(Some(Glyph {
        id: code,
        bitmap: Some(
            sdf_glyph_renderer::clamp_to_u8(&sdf, CUTOFF)
                .map_err(|e| format!("U+{code:04X}: {e}"))?,
        ),
        width: width as u32,
        height: rows as u32,
        left: glyph.bitmap_left(),
        top: glyph.bitmap_top() - ascender as i32,
        advance: (glyph.metrics().horiAdvance >> 6) as u32,
    }))
}

pub fn router(fonts: Option<PathBuf>) -> Router<super::state::SharedState> {
    Router::new()
        .route("/fonts/{fontstack}/{range}", get(glyph_range))
        .with_state(Arc::new(GlyphService::new(fonts)))
}

#[utoipa::path(get, path = "/fonts/{fontstack}/{range}", tag = "tiles",
    params(("fontstack" = String, Path, description = "font names as in the style's text-font, comma-separated (e.g. WenQuanYi Micro Hei)"),
        ("range" = String, Path, description = "{start}-{end}.pbf: start a multiple of 256 up to 65280, end = start + 255")),
    responses((status = 200, description = "MapLibre glyphs protobuf: SDF bitmaps of the range's code points the fonts have", body = super::schemas::Binary, content_type = "application/x-protobuf",
            headers(("Cache-Control" = String, description = "public, max-age=86400"))),
        (status = 400, description = "The range is not {start}-{end}.pbf with start a multiple of 256 within the Basic Multilingual Plane; the problem names the field"),
        (status = 404, description = "A font of the stack is not in the font folder")))]
async fn glyph_range(
    State(glyphs): State<Arc<GlyphService>>,
    Path((fontstack, range)): Path<(String, String)>,
) -> ApiResult<Response> {
    let start = parse_range(&range)?;
    let body = glyphs.range(&fontstack, start).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-protobuf"),
            // Glyphs change only when the font folder does, which needs a restart.
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_must_be_256_aligned_and_in_the_bmp() {
        assert_eq!(parse_range("0-255.pbf").ok(), Some(0));
        assert_eq!(parse_range("32512-32767.pbf").ok(), Some(32512));
        assert_eq!(parse_range("65280-65535.pbf").ok(), Some(65280));
        let field = |r: &str| {
            parse_range(r)
                .err()
                .and_then(|e| e.to_problem().errors.first().map(|f| f.field.clone()))
        };
        assert_eq!(field("1-256.pbf").as_deref(), Some("start"));
        assert_eq!(field("65536-65791.pbf").as_deref(), Some("start"));
        assert_eq!(field("0-511.pbf").as_deref(), Some("end"));
        assert_eq!(field("0-255").as_deref(), Some("range"));
        assert_eq!(field("a-255.pbf").as_deref(), Some("start"));
    }

    #[test]
    fn stack_names_are_split_on_commas_and_trimmed() {
        assert_eq!(
            parse_stack("WenQuanYi Micro Hei, DejaVu Sans").ok(),
            Some(vec![
                "WenQuanYi Micro Hei".to_string(),
                "DejaVu Sans".to_string()
            ])
        );
        assert!(parse_stack(" , ").is_err());
    }
}
