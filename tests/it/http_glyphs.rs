//! Map label glyphs over HTTP (`/fonts/{fontstack}/{start}-{end}.pbf`): ranges rendered from the
//! system's CJK font (Debian's fonts-wqy-microhei), decoded with the glyphs protobuf types.

use crate::common::http::*;
use pbf_font_tools::prost::Message;
use pbf_font_tools::Glyphs;
use std::path::PathBuf;
use wangge::server::Config;

const WQY: &str = "WenQuanYi Micro Hei";
/// 网 U+7F51 and 格 U+683C.
const WANG: u32 = 0x7F51;
const GE: u32 = 0x683C;

async fn range(s: &Server, stack: &str, start: u32) -> Glyphs {
    let path = format!("/fonts/{stack}/{start}-{}.pbf", start + 255);
    let r = s.get(&path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-protobuf")
    );
    let bytes = r.bytes().await.expect("body");
    Glyphs::decode(bytes.as_ref()).expect("a glyphs protobuf")
}

fn wqy_installed() -> bool {
    PathBuf::from("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists()
}

#[tokio::test]
async fn serves_sdf_glyphs_of_wang_and_ge_from_the_system_cjk_font() {
    assert!(
        wqy_installed(),
        "fonts-wqy-microhei is a build package (scripts/lib/setup.sh)"
    );
    let s = start().await;
    for code in [WANG, GE] {
        let start = code / 256 * 256;
        let g = range(&s, WQY, start).await;
        assert_eq!(g.stacks.len(), 1);
        let stack = &g.stacks[0];
        assert_eq!(stack.name, WQY);
        assert_eq!(stack.range, format!("{start}-{}", start + 255));
        // A CJK font covers nearly every code point of a CJK ideograph range.
        assert!(stack.glyphs.len() > 200, "{} glyphs", stack.glyphs.len());
        let glyph = stack
            .glyphs
            .iter()
            .find(|gl| gl.id == code)
            .unwrap_or_else(|| panic!("no glyph U+{code:04X}"));
        // Ideographs are full width: the advance is the 24 px em, the ink nearly as wide.
        assert_eq!(glyph.advance, 24, "U+{code:04X}");
        assert!((18..=24).contains(&glyph.width), "width {}", glyph.width);
        assert!((18..=25).contains(&glyph.height), "height {}", glyph.height);
        // MapLibre's convention: `top` is relative to the ascender, so at most 0.
        assert!(glyph.top <= 0 && glyph.top > -10, "top {}", glyph.top);
        let bitmap = glyph.bitmap.as_ref().expect("a bitmap");
        // The SDF bitmap has a 3 px buffer on each side.
        assert_eq!(
            bitmap.len() as u32,
            (glyph.width + 6) * (glyph.height + 6),
            "U+{code:04X} bitmap size"
        );
        // Inside the strokes the distance field is above the 0.75 edge (192); outside, 0.
        assert!(bitmap.iter().any(|&b| b > 192));
        assert!(bitmap.contains(&0));
    }
}

#[tokio::test]
async fn a_stack_takes_each_code_point_from_the_first_font_that_has_it() {
    let s = start().await;
    let g = range(&s, "DejaVu Sans,WenQuanYi Micro Hei", 0x7F00).await;
    let stack = &g.stacks[0];
    assert_eq!(stack.name, "DejaVu Sans,WenQuanYi Micro Hei");
    assert!(stack.glyphs.iter().any(|gl| gl.id == WANG));
    // Latin from DejaVu Sans: its "A" at 24 px is wider than WenQuanYi's (DejaVu is wide).
    let latin = range(&s, "DejaVu Sans,WenQuanYi Micro Hei", 0).await;
    let wqy = range(&s, WQY, 0).await;
    let a = |g: &Glyphs| {
        g.stacks[0]
            .glyphs
            .iter()
            .find(|gl| gl.id == u32::from('A'))
            .map(|gl| gl.advance)
            .expect("an A")
    };
    assert_ne!(a(&latin), a(&wqy));
}

#[tokio::test]
async fn a_range_no_font_covers_is_an_empty_stack_not_an_error() {
    let s = start().await;
    // U+E000–E0FF: the Private Use Area.
    let g = range(&s, WQY, 0xE000).await;
    assert_eq!(g.stacks.len(), 1);
    assert_eq!(g.stacks[0].range, "57344-57599");
    assert!(g.stacks[0].glyphs.is_empty());
}

#[tokio::test]
async fn bad_ranges_are_400_naming_the_field_and_unknown_fonts_404() {
    let s = start().await;
    for (path, field) in [
        ("/fonts/WenQuanYi Micro Hei/100-355.pbf", "start"),
        ("/fonts/WenQuanYi Micro Hei/65536-65791.pbf", "start"),
        ("/fonts/WenQuanYi Micro Hei/0-511.pbf", "end"),
        ("/fonts/WenQuanYi Micro Hei/0-255.png", "range"),
        ("/fonts/WenQuanYi Micro Hei/x-255.pbf", "start"),
    ] {
        let p = problem(s.get(path).await, 400).await;
        assert!(names_field(&p, field), "{path}: {p}");
    }
    let p = problem(s.get("/fonts/No Such Font/0-255.pbf").await, 404).await;
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("No Such Font")),
        "{p}"
    );
    // One unknown font in a stack is enough: MapLibre would draw with the wrong font.
    problem(
        s.get("/fonts/WenQuanYi Micro Hei,No Such Font/0-255.pbf")
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn fonts_folder_limits_the_fonts_served() {
    let s = start_with(Config {
        fonts: Some(PathBuf::from("/usr/share/fonts/truetype/wqy")),
        ..Config::default()
    })
    .await;
    range(&s, WQY, 0x7F00).await;
    problem(s.get("/fonts/DejaVu Sans/0-255.pbf").await, 404).await;
}
