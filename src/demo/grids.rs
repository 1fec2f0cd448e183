//! The layout: which cells make each town, community and base grid (and the earlier layout of the
//! communities that were redrawn), and the grid records built from it.

use super::codes::{child_code, community_kind, reading_order, town_kind};
use super::partition::{grow, nearest_cell, spread_seeds, CellGrid};
use super::source::Division;
use super::{rng_for, DemoError, HISTORY_FROM, VALID_FROM};
use geo::{Coord, MultiPolygon};
use rand::Rng;
use std::collections::BTreeSet;
use wangge_engine::{AreaKind, Grid, GridId, GridStatus, Layer};

/// Cells per urban base grid: three 200 m cells (≈0.12 km²) hold 300–500 households at a
/// realistic core density.
const URBAN_CELLS_PER_GRID: usize = 3;
/// Cells per rural base grid (village group / natural-village cluster), ≈0.5 km².
const RURAL_CELLS_PER_GRID: usize = 12;
/// Streets sit within ~1 km of the centre; towns are seeded ~6 km out (in 200 m cells).
const STREET_OFFSETS: [(f64, f64); 4] = [(6.0, 0.0), (0.0, 4.0), (-6.0, 1.0), (-2.0, -5.0)];
const TOWN_DISTANCE_CELLS: f64 = 30.0;
const TOWN_BEARINGS_DEG: [f64; 5] = [0.0, 70.0, 150.0, 220.0, 290.0];
/// The communities redrawn on 2024-01-01 get this many base grids, all with an earlier version.
pub(super) const HISTORY_GRIDS: usize = 4;

#[derive(Debug, Clone)]
pub struct CommunityPlan {
    pub division: Division,
    pub kind: AreaKind,
    pub cells: Vec<usize>,
    /// Base grids' cells, indexed by sequence number − 1 (already in reading order).
    pub grids: Vec<Vec<usize>>,
    /// The layout valid in 2023 (same grid ids), for a redrawn community.
    pub history: Option<Vec<Vec<usize>>>,
}

#[derive(Debug, Clone)]
pub struct TownPlan {
    pub division: Division,
    pub kind: AreaKind,
    pub cells: Vec<usize>,
    pub communities: Vec<CommunityPlan>,
}

/// Partitions all cells into towns, communities and base grids.
pub fn plan(
    grid: &CellGrid,
    root: &Division,
    centre: Coord<f64>,
) -> Result<Vec<TownPlan>, DemoError> {
    let all: Vec<usize> = (0..grid.cells.len()).collect();
    let (ci, cj) = grid.position(centre);
    // How many base grids each urban community gets decides how big its street must be.
    let urban_grids = |c: &Division| rng_for(&c.code, 1).random_range(4..=7usize);
    let mut seeds: Vec<usize> = Vec::new();
    let mut caps = Vec::new();
    let (mut streets, mut towns) = (0usize, 0usize);
    for town in &root.children {
        let (di, dj, cap) = if town_kind(&town.code) == AreaKind::Urban {
            let off = STREET_OFFSETS[streets % STREET_OFFSETS.len()];
            streets += 1;
            let cells: usize = town
                .children
                .iter()
                .map(|c| urban_grids(c) * URBAN_CELLS_PER_GRID)
                .sum();
            (off.0, off.1, Some(cells))
        } else {
            let b = TOWN_BEARINGS_DEG[towns % TOWN_BEARINGS_DEG.len()].to_radians()
                + (towns / TOWN_BEARINGS_DEG.len()) as f64 * 0.3;
            towns += 1;
            (
                b.sin() * TOWN_DISTANCE_CELLS,
                b.cos() * TOWN_DISTANCE_CELLS,
                None,
            )
        };
        let free: Vec<usize> = all.iter().copied().filter(|c| !seeds.contains(c)).collect();
        let seed = nearest_cell(grid, &free, ci + di, cj + dj)
            .ok_or_else(|| DemoError::Layout("more towns than cells".into()))?;
        seeds.push(seed);
        caps.push(cap);
    }
    let town_cells = grow(grid, &all, &seeds, &caps);
    let mut history_done = false;
    let mut out = Vec::new();
    for (town, cells) in root.children.iter().zip(town_cells) {
        let communities = plan_communities(
            grid,
            town,
            &cells,
            (ci, cj),
            &urban_grids,
            &mut history_done,
        )?;
        out.push(TownPlan {
            division: town.clone(),
            kind: town_kind(&town.code),
            cells,
            communities,
        });
    }
    Ok(out)
}

fn plan_communities(
    grid: &CellGrid,
    town: &Division,
    cells: &[usize],
    centre: (f64, f64),
    urban_grids: &dyn Fn(&Division) -> usize,
    history_done: &mut bool,
) -> Result<Vec<CommunityPlan>, DemoError> {
    let first = nearest_cell(grid, cells, centre.0, centre.1)
        .ok_or_else(|| DemoError::Layout(format!("town {} got no cells", town.code)))?;
    let mut seeds = spread_seeds(grid, cells, first, town.children.len());
    if seeds.len() < town.children.len() {
        return Err(DemoError::Layout(format!(
            "town {} is too small for its communities",
            town.code
        )));
    }
    // Urban communities take the seeds nearest the city centre, villages the outer ones.
    seeds.sort_by(|&a, &b| {
        grid.dist2_to(a, centre.0, centre.1)
            .total_cmp(&grid.dist2_to(b, centre.0, centre.1))
            .then(a.cmp(&b))
    });
    let mut order: Vec<&Division> = town.children.iter().collect();
    order.sort_by_key(|c| (community_kind(&c.code) == AreaKind::Rural, c.code.clone()));
    let caps: Vec<Option<usize>> = order
        .iter()
        .map(|c| {
            (community_kind(&c.code) == AreaKind::Urban)
                .then(|| urban_grids(c) * URBAN_CELLS_PER_GRID)
        })
        .collect();
    let regions = grow(grid, cells, &seeds, &caps);
    let mut plans: Vec<CommunityPlan> = Vec::new();
    for (c, cells) in order.into_iter().zip(regions) {
        let kind = community_kind(&c.code);
        let mut k = match kind {
            AreaKind::Urban => urban_grids(c),
            AreaKind::Rural => (cells.len() / RURAL_CELLS_PER_GRID).clamp(2, 12),
        };
        let redraw = !*history_done && kind == AreaKind::Rural && cells.len() >= 4 * HISTORY_GRIDS;
        if redraw {
            k = HISTORY_GRIDS;
            *history_done = true;
        }
        let grids = split(grid, &cells, k, *cells.first().unwrap_or(&0));
        // The 2023 layout: the same number of grids grown from the opposite corner.
        let history = redraw.then(|| split(grid, &cells, k, *cells.last().unwrap_or(&0)));
        if let Some(h) = &history {
            if h.iter().zip(&grids).any(|(a, b)| a == b) {
                return Err(DemoError::Layout(format!(
                    "redraw of {} left a grid unchanged",
                    c.code
                )));
            }
        }
        plans.push(CommunityPlan {
            division: c.clone(),
            kind,
            cells,
            grids,
            history,
        });
    }
    plans.sort_by(|a, b| a.division.code.cmp(&b.division.code));
    Ok(plans)
}

/// Splits a community's cells into `k` contiguous base grids of similar size, in reading order.
fn split(grid: &CellGrid, cells: &[usize], k: usize, first: usize) -> Vec<Vec<usize>> {
    let k = k.clamp(1, cells.len().max(1));
    let seeds = spread_seeds(grid, cells, first, k);
    let cap = cells.len().div_ceil(seeds.len().max(1));
    let regions = grow(grid, cells, &seeds, &vec![Some(cap); seeds.len()]);
    let reps: Vec<Coord<f64>> = regions.iter().map(|r| representative(grid, r)).collect();
    let north = reps.iter().map(|p| p.y).fold(f64::MIN, f64::max);
    let band = grid.rect(0, 0).height() * 2.0;
    reading_order(&reps, north, band)
        .into_iter()
        .map(|i| regions[i].clone())
        .collect()
}

/// Mean of the cell centres: a representative point for ordering.
pub fn representative(grid: &CellGrid, cells: &[usize]) -> Coord<f64> {
    let n = cells.len().max(1) as f64;
    let (sx, sy) = cells
        .iter()
        .map(|&c| grid.centre(c))
        .fold((0.0, 0.0), |(x, y), p| (x + p.x, y + p.y));
    Coord {
        x: sx / n,
        y: sy / n,
    }
}

/// What the building stage decided about a base grid.
#[derive(Debug, Clone, Default)]
pub struct BaseInfo {
    pub status: GridStatus,
    pub note: Option<String>,
    pub households: u32,
}

pub fn base_code(community: &str, seq: usize) -> String {
    child_code(community, "", seq, 3)
}

/// The base grid versions of one community: version 1 from [`VALID_FROM`], or for a redrawn
/// community version 1 in 2023 and version 2 from 2024.
pub fn base_grids(
    grid: &CellGrid,
    c: &CommunityPlan,
    info: &[BaseInfo],
) -> Result<Vec<Grid>, DemoError> {
    let mut out = Vec::new();
    for (n, cells) in c.grids.iter().enumerate() {
        let code = base_code(&c.division.code, n + 1);
        let mut properties = serde_json::Map::new();
        let i = info.get(n).cloned().unwrap_or_default();
        properties.insert("households".into(), i.households.into());
        if let Some(note) = &i.note {
            properties.insert("note".into(), note.clone().into());
        }
        let current = Grid {
            id: GridId(code.clone()),
            code: code.clone(),
            name: format!("{}第{}网格", c.division.short(), n + 1),
            layer: Layer::Base,
            parent: Some(c.division.code.clone()),
            kind: c.kind,
            status: i.status,
            category: None,
            network: None,
            members: vec![],
            properties,
            geometry: grid.union(cells)?,
            valid_from: VALID_FROM,
            valid_to: None,
            version: 1,
        };
        if let Some(old) = c.history.as_ref().and_then(|h| h.get(n)) {
            let mut earlier = current.clone();
            earlier.geometry = grid.union(old)?;
            earlier.valid_from = HISTORY_FROM;
            earlier.valid_to = Some(VALID_FROM);
            earlier.status = GridStatus::Active;
            earlier.properties = serde_json::Map::new();
            earlier.properties.insert(
                "note".into(),
                "2024-01-01 重新划分前的范围 (layout before the 2024 redraw)".into(),
            );
            out.push(earlier);
            out.push(Grid {
                version: 2,
                ..current
            });
        } else {
            out.push(current);
        }
    }
    Ok(out)
}

/// Composite grids of one community for both networks: groups of 2–4 edge-adjacent base grids
/// (a community with a single base grid gets a one-member composite).
pub fn composites(grid: &CellGrid, c: &CommunityPlan) -> Vec<Grid> {
    let owner = |cell: usize| c.grids.iter().position(|g| g.contains(&cell));
    let adjacent = |a: usize, b: usize| {
        c.grids[a]
            .iter()
            .any(|&x| grid.neighbours(x).any(|n| owner(n) == Some(b)))
    };
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut free: BTreeSet<usize> = (0..c.grids.len()).collect();
    while let Some(&start) = free.iter().next() {
        free.remove(&start);
        let mut group = vec![start];
        while group.len() < 3 {
            let Some(&next) = free
                .iter()
                .find(|&&g| group.iter().any(|&m| adjacent(m, g)))
            else {
                break;
            };
            free.remove(&next);
            group.push(next);
        }
        if group.len() == 1 {
            if let Some(host) = groups
                .iter_mut()
                .find(|h| h.len() < 4 && h.iter().any(|&m| adjacent(m, start)))
            {
                host.push(start);
                continue;
            }
        }
        groups.push(group);
    }
    let mut out = Vec::new();
    for (network, tag, label) in [
        ("party_building", "DJ", "党建"),
        ("urban_management", "CG", "城管"),
    ] {
        for (n, group) in groups.iter().enumerate() {
            let code = child_code(&c.division.code, tag, n + 1, 2);
            let mut members: Vec<GridId> = group
                .iter()
                .map(|&g| GridId(base_code(&c.division.code, g + 1)))
                .collect();
            members.sort();
            out.push(Grid {
                id: GridId(code.clone()),
                code,
                name: format!("{}{}网格{}", c.division.short(), label, n + 1),
                layer: Layer::Composite,
                parent: Some(c.division.code.clone()),
                kind: c.kind,
                status: GridStatus::Active,
                category: None,
                network: Some(network.into()),
                members,
                properties: serde_json::Map::new(),
                geometry: MultiPolygon(vec![]),
                valid_from: VALID_FROM,
                valid_to: None,
                version: 1,
            });
        }
    }
    out
}
