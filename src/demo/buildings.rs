//! Buildings, micro grids (residential compounds) and special grids, and the household counts
//! and status of every base grid.
//!
//! Everything is placed inside full cells with a margin, at most one compound or special site per
//! cell, so no building touches a base-grid boundary and child grids never overlap each other.

use super::codes::{child_code, reading_order};
use super::grids::{base_code, BaseInfo, CommunityPlan};
use super::partition::{CellGrid, CELL_M};
use super::{rng_for, VALID_FROM};
use geo::{MultiPolygon, Point, Polygon};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use wangge_engine::{
    AreaKind, Building, Footprint, Grid, GridId, GridStatus, Layer, SpecialCategory,
};

/// Households per urban base grid (the district's rule: about 300–500).
const URBAN_HOUSEHOLDS: std::ops::RangeInclusive<u32> = 320..=480;
/// Households per rural base grid (village group).
pub(super) const RURAL_HOUSEHOLDS: std::ops::RangeInclusive<u32> = 40..=90;
/// Compound (micro grid) margin inside its cell, metres.
const COMPOUND_INSET_M: f64 = 12.0;
/// Special-site margin inside its cell, metres.
const SPECIAL_INSET_M: f64 = 20.0;
const RESIDENTS_PER_HOUSEHOLD: f64 = 2.6;
/// Every Nth urban base grid (district-wide, code order) is reserved or suspended.
const STATUS_PERIOD: usize = 45;

const SPECIAL_KINDS: [(SpecialCategory, &str); 7] = [
    (SpecialCategory::School, "学校"),
    (SpecialCategory::Hospital, "医院"),
    (SpecialCategory::Enterprise, "企业"),
    (SpecialCategory::GovernmentUnit, "机关单位"),
    (SpecialCategory::Hotel, "酒店"),
    (SpecialCategory::Market, "市场"),
    (SpecialCategory::Park, "公园"),
];

/// The output of the building stage for the whole district.
#[derive(Debug, Default)]
pub struct Populated {
    pub buildings: Vec<Building>,
    pub children: Vec<Grid>,
    /// Per community (in plan order), per base grid.
    pub info: Vec<Vec<BaseInfo>>,
}

/// Populates every community; `communities` must be in code order (ids follow that order).
pub fn populate(grid: &CellGrid, communities: &[&CommunityPlan]) -> Populated {
    let mut out = Populated::default();
    let mut urban_seen = 0usize;
    for c in communities {
        let mut rng = rng_for(&c.division.code, 2);
        let mut info = Vec::with_capacity(c.grids.len());
        let specials = match c.kind {
            AreaKind::Urban => special_sites(grid, c, &mut rng),
            AreaKind::Rural => vec![],
        };
        for (n, cells) in c.grids.iter().enumerate() {
            let code = base_code(&c.division.code, n + 1);
            let full: Vec<usize> = cells
                .iter()
                .copied()
                .filter(|&x| grid.cells[x].full)
                .collect();
            let i = match c.kind {
                AreaKind::Urban => {
                    let status = match urban_seen % STATUS_PERIOD {
                        20 => GridStatus::Reserved,
                        35 => GridStatus::Suspended,
                        _ => GridStatus::Active,
                    };
                    urban_seen += 1;
                    let mine: Vec<(usize, SpecialCategory, &str)> = specials
                        .iter()
                        .copied()
                        .filter(|s| cells.contains(&s.0))
                        .collect();
                    let homes: Vec<usize> = full
                        .iter()
                        .copied()
                        .filter(|x| !mine.iter().any(|s| s.0 == *x))
                        .collect();
                    let mut seq = Seq::default();
                    for (cell, cat, label) in &mine {
                        special(
                            grid,
                            &mut out,
                            &mut rng,
                            &code,
                            &mut seq,
                            *cell,
                            *cat,
                            label,
                            &c.division,
                        );
                    }
                    let name = format!("{}第{}网格", c.division.short(), n + 1);
                    urban(
                        grid,
                        &mut out,
                        &mut rng,
                        (&code, &name),
                        status,
                        &homes,
                        &mut seq,
                    )
                }
                AreaKind::Rural => rural(grid, &mut out, &mut rng, &full),
            };
            info.push(i);
        }
        out.info.push(info);
    }
    out
}

/// Child-grid sequence numbers of one base grid.
#[derive(Default)]
struct Seq {
    micro: usize,
    special: usize,
}

/// One or two special sites per urban community, each in a full cell of a base grid that keeps at
/// least one other full cell for housing.
fn special_sites(
    grid: &CellGrid,
    c: &CommunityPlan,
    rng: &mut ChaCha8Rng,
) -> Vec<(usize, SpecialCategory, &'static str)> {
    let count = rng.random_range(1..=2usize);
    let mut out = Vec::new();
    for g in &c.grids {
        if out.len() >= count {
            break;
        }
        let full: Vec<usize> = g.iter().copied().filter(|&x| grid.cells[x].full).collect();
        if full.len() >= 2 {
            let (cat, label) = SPECIAL_KINDS[rng.random_range(0..SPECIAL_KINDS.len())];
            out.push((full[full.len() - 1], cat, label));
        }
    }
    out
}

fn next_id(out: &Populated) -> String {
    format!("B{:06}", out.buildings.len() + 1)
}

#[allow(clippy::too_many_arguments)]
fn special(
    grid: &CellGrid,
    out: &mut Populated,
    rng: &mut ChaCha8Rng,
    base: &str,
    seq: &mut Seq,
    cell: usize,
    cat: SpecialCategory,
    label: &str,
    community: &super::source::Division,
) {
    seq.special += 1;
    let code = child_code(base, "Z", seq.special, 3);
    let (lo, hi) = (SPECIAL_INSET_M, CELL_M - SPECIAL_INSET_M);
    out.children.push(child_grid(
        &code,
        format!("{}{}{}", community.short(), label, seq.special),
        Layer::Special,
        Some(cat),
        base,
        grid.sub_rect(cell, lo, lo, hi, hi),
    ));
    if cat != SpecialCategory::Park {
        let (w, h) = (rng.random_range(40.0..90.0), rng.random_range(25.0..60.0));
        let (x0, y0) = ((CELL_M - w) / 2.0, (CELL_M - h) / 2.0);
        out.buildings.push(Building {
            id: next_id(out),
            footprint: Footprint::Polygon(grid.sub_rect(cell, x0, y0, x0 + w, y0 + h)),
            households: 0,
            residents: 0,
            usage: Some(cat.as_str().into()),
        });
    }
}

/// An urban base grid: one compound (micro grid) of apartment blocks per housing cell, with the
/// grid's households spread evenly over its compounds.
fn urban(
    grid: &CellGrid,
    out: &mut Populated,
    rng: &mut ChaCha8Rng,
    (base, name): (&str, &str),
    status: GridStatus,
    homes: &[usize],
    seq: &mut Seq,
) -> BaseInfo {
    if status == GridStatus::Reserved || homes.is_empty() {
        return BaseInfo {
            status: GridStatus::Reserved,
            note: Some("预留：新建小区在建，暂无住户 (reserved: new estate under construction, no households yet)".into()),
            households: 0,
        };
    }
    let total = rng.random_range(URBAN_HOUSEHOLDS);
    let centres: Vec<_> = homes.iter().map(|&c| grid.centre(c)).collect();
    let north = centres.iter().map(|p| p.y).fold(f64::MIN, f64::max);
    let order = reading_order(&centres, north, grid.rect(0, 0).height() / 2.0);
    let k = homes.len() as u32;
    for (pos, &o) in order.iter().enumerate() {
        let share = total / k + u32::from((pos as u32) < total % k);
        compound(grid, out, rng, (base, name), seq, homes[o], share);
    }
    BaseInfo {
        status,
        note: (status == GridStatus::Suspended).then(|| {
            "暂停使用：未能招聘到网格员 (suspended: no grid worker could be hired)".into()
        }),
        households: total,
    }
}

/// A compound of `households` households in 1–9 blocks of 12–60 households, laid out on a 3 × 3
/// grid of slots, long side east–west (blocks face south).
fn compound(
    grid: &CellGrid,
    out: &mut Populated,
    rng: &mut ChaCha8Rng,
    (base, name): (&str, &str),
    seq: &mut Seq,
    cell: usize,
    households: u32,
) {
    seq.micro += 1;
    let code = child_code(base, "W", seq.micro, 3);
    let (lo, hi) = (COMPOUND_INSET_M, CELL_M - COMPOUND_INSET_M);
    out.children.push(child_grid(
        &code,
        format!("{name}第{}小区", seq.micro),
        Layer::Micro,
        None,
        base,
        grid.sub_rect(cell, lo, lo, hi, hi),
    ));
    let blocks = households.div_ceil(40).clamp(1, 9);
    let slot = (hi - lo) / 3.0;
    for b in 0..blocks {
        let n = households / blocks + u32::from(b < households % blocks);
        let (col, row) = ((b % 3) as f64, (2 - b / 3) as f64);
        let (w, h) = (rng.random_range(30.0..45.0), rng.random_range(12.0..18.0));
        let x0 = lo + col * slot + (slot - w) / 2.0 + rng.random_range(-3.0..3.0);
        let y0 = lo + row * slot + (slot - h) / 2.0 + rng.random_range(-3.0..3.0);
        out.buildings.push(Building {
            id: next_id(out),
            footprint: Footprint::Polygon(grid.sub_rect(cell, x0, y0, x0 + w, y0 + h)),
            households: n,
            residents: (n as f64 * RESIDENTS_PER_HOUSEHOLD).round() as u32,
            usage: Some("residential".into()),
        });
    }
}

/// A rural base grid (village group): houses of 1–3 households clustered in one or two natural
/// villages, each a full cell of the group.
fn rural(grid: &CellGrid, out: &mut Populated, rng: &mut ChaCha8Rng, full: &[usize]) -> BaseInfo {
    if full.is_empty() {
        // Only clipped cells at the district edge: no room for a natural village. Such a group
        // of hillside and forest land has no households, so it is drawn but held in reserve.
        return BaseInfo {
            status: GridStatus::Reserved,
            note: Some(
                "预留：边缘山林地带，暂无住户 (reserved: edge woodland, no households)".into(),
            ),
            households: 0,
        };
    }
    let total = rng.random_range(RURAL_HOUSEHOLDS);
    let villages: Vec<usize> = if full.len() >= 2 && rng.random_bool(0.5) {
        vec![full[0], full[full.len() / 2]]
    } else {
        vec![full[full.len() / 2]]
    };
    let mut left = total;
    let mut v = 0;
    while left > 0 {
        let n = rng.random_range(1..=3u32).min(left);
        left -= n;
        let cell = villages[v % villages.len()];
        v += 1;
        let (x, y) = (rng.random_range(30.0..170.0), rng.random_range(30.0..170.0));
        out.buildings.push(Building {
            id: next_id(out),
            footprint: Footprint::Point(Point(grid.offset(cell, x, y))),
            households: n,
            residents: n * 2 + rng.random_range(0..=n),
            usage: Some("residential".into()),
        });
    }
    BaseInfo {
        households: total,
        ..BaseInfo::default()
    }
}

fn child_grid(
    code: &str,
    name: String,
    layer: Layer,
    category: Option<SpecialCategory>,
    base: &str,
    rect: Polygon<f64>,
) -> Grid {
    Grid {
        id: GridId(code.to_string()),
        code: code.to_string(),
        name,
        layer,
        parent: Some(base.to_string()),
        kind: AreaKind::Urban,
        status: GridStatus::Active,
        category,
        network: None,
        members: vec![],
        properties: serde_json::Map::new(),
        geometry: MultiPolygon(vec![rect]),
        valid_from: VALID_FROM,
        valid_to: None,
        version: 1,
    }
}
