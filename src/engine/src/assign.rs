//! Assignment of buildings and households to grids, and per-grid counts.
//!
//! Rules:
//! - A polygon building goes to the base grid holding the largest part of its area; ties (equal
//!   to the square centimetre) go to the lowest grid code. It also goes to the micro or special
//!   grid holding the largest part, when that part is more than half of the building.
//! - A point building, and a household located by a point, follow the point lookup rule.
//! - A building straddles when a second base grid holds at least [`STRADDLE_SHARE`] of it.
//! - A household located by a building goes wherever its building goes.
//! - Per-grid households of a building: the larger of the building's own count and the number of
//!   household records that reference it (records refine a count, they never add to it);
//!   residents likewise.

use crate::district::District;
use crate::lattice;
use crate::lookup::base_at;
use crate::measure::polygon_area_m2;
use crate::model::{Building, Footprint, HouseholdLocation, Layer};
use chrono::NaiveDate;
use geo::{BoundingRect, Coord, MultiPolygon, Polygon, Rect};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// Share of a building's area in a second base grid above which the building counts as split.
pub const STRADDLE_SHARE: f64 = 0.01;

/// Where one building went.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildingAssignment {
    /// Index of the building in [`District::buildings`].
    pub building: usize,
    /// Slot of the base grid, if any.
    pub base: Option<u32>,
    /// Slot of the micro or special grid, if any.
    pub child: Option<u32>,
    /// Every base grid holding part of the building with its share of the area (0..=1), largest
    /// first; a single entry with share 1 for a building wholly inside one grid.
    pub shares: Vec<(u32, f64)>,
    /// Candidate grids whose share of the building could not be computed (the overlay refused
    /// the geometry). Such a grid is missing from `shares`, so the shares are incomplete: the
    /// validation reports it as a failed check rather than taking it as "no part here".
    pub failed: Vec<ShareFailure>,
}

/// A grid's share of a building that could not be computed.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareFailure {
    /// Slot of the grid.
    pub slot: u32,
    pub error: lattice::OverlayError,
}

impl std::fmt::Display for ShareFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "its share of a grid could not be computed: {}",
            self.error
        )
    }
}

impl std::error::Error for ShareFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl BuildingAssignment {
    pub fn straddles(&self) -> bool {
        self.shares
            .get(1)
            .is_some_and(|(_, s)| *s >= STRADDLE_SHARE)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub buildings: u32,
    pub households: u32,
    pub residents: u32,
}

impl Counts {
    fn add(&mut self, households: u32, residents: u32) {
        self.buildings += 1;
        self.households += households;
        self.residents += residents;
    }
}

#[derive(Debug, Clone, Default)]
pub struct Assignment {
    pub buildings: Vec<BuildingAssignment>,
    /// Household index → base grid slot (None when unassigned).
    pub households: Vec<(usize, Option<u32>)>,
    /// Counts per grid slot (base, micro and special).
    pub per_grid: HashMap<u32, Counts>,
}

impl Assignment {
    pub fn counts(&self, slot: u32) -> Counts {
        self.per_grid.get(&slot).copied().unwrap_or_default()
    }

    pub fn unassigned_buildings(&self) -> impl Iterator<Item = &BuildingAssignment> {
        self.buildings.iter().filter(|b| b.base.is_none())
    }

    pub fn straddling_buildings(&self) -> impl Iterator<Item = &BuildingAssignment> {
        self.buildings.iter().filter(|b| b.straddles())
    }
}

/// Assigns every building and household of the district.
pub fn assign(d: &District, as_of: Option<NaiveDate>) -> Assignment {
    let all: Vec<usize> = (0..d.buildings().len()).collect();
    assign_buildings(d, &all, None, as_of)
}

/// Assigns the buildings whose boxes meet `r` and the households that reference them or lie in
/// `r`. Counts are complete for every grid lying wholly inside `r`.
pub fn assign_in_rect(d: &District, r: Rect<f64>, as_of: Option<NaiveDate>) -> Assignment {
    let wanted: Vec<usize> = d
        .buildings_in(r)
        .into_iter()
        .filter_map(|b| d.building_index_of(&b.id))
        .collect();
    assign_buildings(d, &wanted, Some(r), as_of)
}

fn assign_buildings(
    d: &District,
    which: &[usize],
    rect: Option<Rect<f64>>,
    as_of: Option<NaiveDate>,
) -> Assignment {
    let buildings: Vec<BuildingAssignment> = which
        .par_iter()
        .with_min_len(64)
        .map(|&i| assign_building(d, i, as_of))
        .collect();
    let by_building: HashMap<&str, &BuildingAssignment> = buildings
        .iter()
        .map(|a| (d.buildings()[a.building].id.as_str(), a))
        .collect();

    // Household records refine their building's counts.
    let mut records: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    let mut households = Vec::new();
    let mut point_counts: HashMap<u32, Counts> = HashMap::new();
    for (i, h) in d.households().iter().enumerate() {
        match &h.location {
            HouseholdLocation::Building(id) => {
                let Some(a) = by_building.get(id.as_str()) else {
                    if rect.is_none() {
                        households.push((i, None));
                    }
                    continue;
                };
                let e = records.entry(id.as_str()).or_default();
                e.0 += 1;
                e.1 += h.residents;
                households.push((i, a.base));
            }
            HouseholdLocation::Point(p) => {
                if rect.is_some_and(|r| !contains_coord(r, p.0)) {
                    continue;
                }
                let hit = base_at(d, p.0, as_of).0;
                households.push((i, hit.slot));
                if let Some(slot) = hit.slot {
                    let c = point_counts.entry(slot).or_default();
                    c.households += 1;
                    c.residents += h.residents;
                }
                if let Some(child) = child_at_point(d, hit.slot, p.0, as_of) {
                    let c = point_counts.entry(child).or_default();
                    c.households += 1;
                    c.residents += h.residents;
                }
            }
        }
    }

    let mut per_grid: HashMap<u32, Counts> = point_counts;
    for a in &buildings {
        let b = &d.buildings()[a.building];
        let (rec_h, rec_r) = records.get(b.id.as_str()).copied().unwrap_or_default();
        let (h, r) = (b.households.max(rec_h), b.residents.max(rec_r));
        for slot in a.base.iter().chain(a.child.iter()) {
            per_grid.entry(*slot).or_default().add(h, r);
        }
    }
    Assignment {
        buildings,
        households,
        per_grid,
    }
}

fn contains_coord(r: Rect<f64>, c: Coord<f64>) -> bool {
    c.x >= r.min().x && c.x <= r.max().x && c.y >= r.min().y && c.y <= r.max().y
}

fn child_at_point(
    d: &District,
    base: Option<u32>,
    p: Coord<f64>,
    as_of: Option<NaiveDate>,
) -> Option<u32> {
    let base = d.slot(base?);
    d.slots_at_point(&Layer::Micro, p, as_of)
        .filter(|&s| {
            d.slot(s).parent.as_deref() == Some(base.id.0.as_str()) && d.prepared(s).contains(p)
        })
        .min_by(|a, b| d.slot(*a).code.cmp(&d.slot(*b).code))
}

/// Assigns one building (by index in [`District::buildings`]).
pub fn assign_building(d: &District, index: usize, as_of: Option<NaiveDate>) -> BuildingAssignment {
    let b: &Building = &d.buildings()[index];
    match &b.footprint {
        Footprint::Point(p) => {
            let base = base_at(d, p.0, as_of).0.slot;
            BuildingAssignment {
                building: index,
                base,
                child: child_at_point(d, base, p.0, as_of),
                shares: base.map(|s| vec![(s, 1.0)]).unwrap_or_default(),
                failed: vec![],
            }
        }
        Footprint::Polygon(poly) => {
            let (shares, mut failed) = polygon_shares(d, &Layer::Base, poly, as_of);
            let base = shares.first().map(|(s, _)| *s);
            let (child_shares, child_failed) = polygon_shares(d, &Layer::Micro, poly, as_of);
            failed.extend(child_failed);
            let child = child_shares
                .into_iter()
                .find(|(s, share)| {
                    *share > 0.5
                        && base.is_some_and(|b| {
                            d.slot(*s).parent.as_deref() == Some(d.slot(b).id.0.as_str())
                        })
                })
                .map(|(s, _)| s);
            BuildingAssignment {
                building: index,
                base,
                child,
                shares,
                failed,
            }
        }
    }
}

/// Grids of `layer`'s group holding part of `poly`, with their share of its area, largest first
/// (ties: lowest code), and the candidates whose share could not be computed.
fn polygon_shares(
    d: &District,
    layer: &Layer,
    poly: &Polygon<f64>,
    as_of: Option<NaiveDate>,
) -> (Vec<(u32, f64)>, Vec<ShareFailure>) {
    let Some(bbox) = poly.bounding_rect() else {
        return (vec![], vec![]);
    };
    let candidates = d.slots_in_rect(layer, bbox, as_of);
    let Some(first) = poly.exterior().0.first().copied() else {
        return (vec![], vec![]);
    };
    // Fast path: no candidate's boundary passes through the building's box, so the building is
    // wholly inside the candidate holding its first vertex, or in none.
    if candidates
        .iter()
        .all(|&s| !d.prepared(s).boundary_touches_rect(bbox))
    {
        let inside = candidates
            .into_iter()
            .filter(|&s| d.prepared(s).contains(first))
            .min_by(|a, b| d.slot(*a).code.cmp(&d.slot(*b).code))
            .map(|s| vec![(s, 1.0)])
            .unwrap_or_default();
        return (inside, vec![]);
    }
    let footprint = MultiPolygon(vec![poly.clone()]);
    let total = polygon_area_m2(poly);
    if total <= 0.0 {
        return (vec![], vec![]);
    }
    let mut shares: Vec<(u32, f64)> = Vec::new();
    let mut failed = Vec::new();
    for s in candidates {
        match lattice::intersection(&footprint, &d.slot(s).geometry) {
            Ok(part) => {
                let area = crate::measure::area_m2(&part);
                if area > 0.0 {
                    shares.push((s, area / total));
                }
            }
            // Not "no part in this grid": the share is unknown, and the caller reports it.
            Err(error) => failed.push(ShareFailure { slot: s, error }),
        }
    }
    // Areas equal to the square centimetre tie, and the lowest code wins.
    shares.sort_by_key(|(s, share)| {
        (
            std::cmp::Reverse((share * total * 1e4).round() as i64),
            d.slot(*s).code.clone(),
        )
    });
    (shares, failed)
}
