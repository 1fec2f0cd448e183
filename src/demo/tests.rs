use super::*;
use std::sync::OnceLock;

const OUTLINE: &str = include_str!("../../geodata/tunxi/source/district.geojson");
const DIVISIONS: &str = include_str!("../../geodata/tunxi/source/divisions.json");

/// Generated once per test binary (generation is the slow part).
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let t = std::time::Instant::now();
        let d = generate(OUTLINE, DIVISIONS).expect("generate");
        eprintln!("generated in {:?}", t.elapsed());
        d
    })
}

#[test]
fn figures() {
    let d = demo();
    let count = |l: AdminLevel| d.areas.iter().filter(|a| a.level == l).count();
    let layer = |l: wangge_engine::Layer| d.grids.iter().filter(|g| g.layer == l && g.is_current()).count();
    let hh: u32 = d.buildings.iter().map(|b| b.households).sum();
    eprintln!(
        "towns {} communities {} base {} micro {} special {} composite {} versions {} buildings {} households {}",
        count(AdminLevel::Town),
        count(AdminLevel::Community),
        layer(wangge_engine::Layer::Base),
        layer(wangge_engine::Layer::Micro),
        layer(wangge_engine::Layer::Special),
        layer(wangge_engine::Layer::Composite),
        d.grids.len(),
        d.buildings.len(),
        hh
    );
}
