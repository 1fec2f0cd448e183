//! What an edit does to people and to the validation report.
//!
//! Computed by comparing the district before and after the change set over the affected region
//! only: buildings are assigned with [`assign_in_rect`] over the bounding box of every changed
//! geometry, and validation runs around the changed grids. All calls to validation go through
//! [`validate_around`] below so that swapping the implementation is one line.

use super::change::ChangeSet;
use crate::assign::assign_in_rect;
use crate::district::District;
use crate::model::{GridId, HouseholdLocation, Layer};
use crate::validate::{Config, Delta, Report};
use chrono::NaiveDate;
use geo::{BoundingRect, Rect};
use std::collections::{BTreeMap, HashMap};

/// The one place the edit module calls validation. Before and after an edit it must examine the
/// same region (the old and new shapes together), so that a problem is matched with itself.
pub fn validate_around(
    d: &District,
    grids: &[GridId],
    region: Option<Rect<f64>>,
    as_of: Option<NaiveDate>,
    config: &Config,
) -> Report {
    match region {
        Some(r) => crate::validate::validate_around_in(d, grids, r, as_of, config),
        None => crate::validate::validate_around(d, grids, as_of, config),
    }
}

/// A building or household whose base grid changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moved {
    pub id: String,
    pub from: Option<GridId>,
    pub to: Option<GridId>,
}

/// A micro/special grid given a new parent because its base grid was split or merged away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reparented {
    pub child: GridId,
    pub from: Option<GridId>,
    pub to: GridId,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Impact {
    pub buildings_moved: Vec<Moved>,
    pub households_moved: Vec<Moved>,
    /// Households of the moved buildings (a building counts the larger of its own household count
    /// and its household records, as in assignment) plus moved point-located households.
    pub households_changing_grid: u32,
    pub reparented: Vec<Reparented>,
    /// Problems the edit creates and solves around the changed grids.
    pub problems: Delta,
}

/// Where buildings and households are, and the problems around the changed grids, at one moment.
pub(crate) struct Snapshot {
    buildings: BTreeMap<String, Option<GridId>>,
    households: BTreeMap<String, Option<GridId>>,
    report: Report,
}

/// Bounding box of every changed base/micro/special geometry, before and after. Composites are
/// left out: they are unions of base grids and would widen the box to whole networks.
pub(crate) fn affected_rect(cs: &ChangeSet) -> Option<Rect<f64>> {
    cs.changes
        .iter()
        .flat_map(|c| c.before.iter().chain(c.after.iter()))
        .filter(|g| g.layer != Layer::Composite)
        .filter_map(|g| g.geometry.bounding_rect())
        .reduce(crate::index::union_rect)
}

pub(crate) fn snapshot(
    d: &District,
    rect: Option<Rect<f64>>,
    ids: &[GridId],
    config: &Config,
) -> Snapshot {
    let mut buildings = BTreeMap::new();
    let mut households = BTreeMap::new();
    if let Some(r) = rect {
        let a = assign_in_rect(d, r, None);
        let id_of = |slot: Option<u32>| slot.map(|s| d.slot(s).id.clone());
        for b in &a.buildings {
            buildings.insert(d.buildings()[b.building].id.clone(), id_of(b.base));
        }
        for (h, slot) in &a.households {
            households.insert(d.households()[*h].id.clone(), id_of(*slot));
        }
    }
    Snapshot {
        buildings,
        households,
        report: validate_around(d, ids, rect, None, config),
    }
}

fn moved(
    before: &BTreeMap<String, Option<GridId>>,
    after: &BTreeMap<String, Option<GridId>>,
) -> Vec<Moved> {
    before
        .iter()
        .filter_map(|(id, from)| {
            let to = after.get(id).cloned().flatten();
            (*from != to).then(|| Moved {
                id: id.clone(),
                from: from.clone(),
                to,
            })
        })
        .collect()
}

pub(crate) fn compare(
    d: &District,
    before: Snapshot,
    after: Snapshot,
    reparented: Vec<Reparented>,
) -> Impact {
    let buildings_moved = moved(&before.buildings, &after.buildings);
    let households_moved = moved(&before.households, &after.households);
    let moved_buildings: HashMap<&str, ()> = buildings_moved
        .iter()
        .map(|m| (m.id.as_str(), ()))
        .collect();
    let mut records: HashMap<&str, u32> = HashMap::new();
    let mut point_households = 0u32;
    let moved_households: HashMap<&str, ()> = households_moved
        .iter()
        .map(|m| (m.id.as_str(), ()))
        .collect();
    for h in d.households() {
        match &h.location {
            HouseholdLocation::Building(b) if moved_buildings.contains_key(b.as_str()) => {
                *records.entry(b.as_str()).or_default() += 1;
            }
            HouseholdLocation::Point(_) if moved_households.contains_key(h.id.as_str()) => {
                point_households += 1;
            }
            _ => {}
        }
    }
    let building_households: u32 = buildings_moved
        .iter()
        .filter_map(|m| d.building(&m.id))
        .map(|b| {
            b.households
                .max(records.get(b.id.as_str()).copied().unwrap_or(0))
        })
        .sum();
    Impact {
        buildings_moved,
        households_moved,
        households_changing_grid: building_households + point_households,
        reparented,
        problems: before.report.delta(&after.report),
    }
}
