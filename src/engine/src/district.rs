//! The in-memory district: admin areas, every grid version, buildings and households, with an
//! R-tree and prepared polygons for each.
//!
//! All versions of every grid are kept, so a date (`as_of`) can select the grids valid then;
//! `None` as a date means the current versions.

use crate::cells::{BaseGrids, CellIndex};
use crate::index::{envelope_of_geometry, Entry, SlotIndex};
use crate::lattice;
use crate::model::{AdminArea, AdminLevel, Building, Footprint, Grid, GridId, Household, Layer};
use crate::prepared::PreparedPolygon;
use chrono::NaiveDate;
use geo::{BoundingRect, Coord, MultiPolygon, Rect};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Why a set of areas and grids cannot be loaded as a district.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelError {
    DuplicateArea(String),
    UnknownParentArea {
        area: String,
        parent: String,
    },
    DuplicateGridVersion {
        id: GridId,
        version: u32,
    },
    UnknownParent {
        grid: GridId,
        parent: String,
    },
    UnknownMember {
        grid: GridId,
        member: GridId,
    },
    /// A composite version names a known base grid that has no version when it needs one
    /// (a current composite, a retired member).
    MemberNotValid {
        grid: GridId,
        version: u32,
        member: GridId,
    },
    /// A composite names a member that is not a base grid.
    MemberNotBase {
        grid: GridId,
        member: GridId,
    },
    EmptyGeometry(GridId),
    Overlay(GridId, lattice::OverlayError),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::DuplicateArea(code) => write!(f, "admin area {code} appears twice"),
            ModelError::UnknownParentArea { area, parent } => {
                write!(f, "admin area {area} names unknown parent area {parent}")
            }
            ModelError::DuplicateGridVersion { id, version } => {
                write!(f, "grid {id} version {version} appears twice")
            }
            ModelError::UnknownParent { grid, parent } => {
                write!(f, "grid {grid} names unknown parent {parent}")
            }
            ModelError::UnknownMember { grid, member } => {
                write!(f, "composite grid {grid} names unknown base grid {member}")
            }
            ModelError::MemberNotValid {
                grid,
                version,
                member,
            } => write!(
                f,
                "composite grid {grid} version {version} names base grid {member}, which has no version valid then"
            ),
            ModelError::MemberNotBase { grid, member } => {
                write!(f, "composite grid {grid} names {member}, which is not a base grid")
            }
            ModelError::EmptyGeometry(id) => write!(f, "grid {id} has an empty geometry"),
            ModelError::Overlay(id, e) => write!(f, "grid {id}: {e}"),
        }
    }
}

impl std::error::Error for ModelError {}

/// Index group: base grids, child grids (micro and special are siblings), composite grids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group {
    Base,
    Child,
    Composite,
}

fn group_of(layer: &Layer) -> Group {
    match layer {
        Layer::Base => Group::Base,
        Layer::Micro | Layer::Special => Group::Child,
        Layer::Composite => Group::Composite,
    }
}

/// The district: a value whose clone is cheap and whose changes copy only what they touch.
///
/// Every part sits behind an `Arc`, so a clone (the view an edit is planned on, the next
/// snapshot the service publishes) shares all of them with the original; a change takes its own
/// copy of a part with `Arc::make_mut` only when it writes it, and only while it is shared.
/// - Admin areas, buildings and households (and their prepared polygons and indexes) are never
///   changed by edits: they stay shared by every view of a district.
/// - Grid versions and their prepared polygons are `Arc`s per element: a change copies the
///   vector of pointers (and the one grid it closes or reopens), never the geometries.
/// - The version, parent and member maps and the three R-trees are copied whole on the first
///   change of a view (small beside the geometries; see `planning_view_cost` in
///   tests/snapshot_figures.rs for what that costs). Why not a persistent map (`imbl` 7): it
///   makes that copy free (50,000 keys, clone + insert + drop: 11.4 ms → 0.03 ms in a debug
///   build) but makes every read of the map slower (50,000 gets: 21 → 49 ms), and reads are
///   the service's hot path while a view is copied once per edit.
/// - The cell index is shared too and copied (then refreshed in place) on the first change of
///   a base grid.
#[derive(Debug, Clone, Default)]
pub struct District {
    areas: Arc<Vec<AdminArea>>,
    area_slots: Arc<HashMap<String, usize>>,
    area_prepared: Arc<Vec<Option<PreparedPolygon>>>,
    community_index: Arc<SlotIndex>,
    grids: Arc<Vec<Arc<Grid>>>,
    prepared: Arc<Vec<Arc<PreparedPolygon>>>,
    /// Slots of every version of a grid, oldest first.
    versions: Arc<HashMap<GridId, Vec<u32>>>,
    /// Slots of every version by parent (community code or base grid id).
    by_parent: Arc<HashMap<String, Vec<u32>>>,
    /// Slots of composite grid versions by member base grid.
    by_member: Arc<HashMap<GridId, Vec<u32>>>,
    base_index: Arc<SlotIndex>,
    child_index: Arc<SlotIndex>,
    composite_index: Arc<SlotIndex>,
    buildings: Arc<Vec<Building>>,
    building_slots: Arc<HashMap<String, usize>>,
    building_index: Arc<SlotIndex>,
    households: Arc<Vec<Household>>,
    /// Cell index of the current base grids for batch lookups: built on first use, kept
    /// current by edits (or dropped, to be rebuilt). None inside: too many slots for it.
    base_cells: OnceLock<Option<Arc<CellIndex>>>,
}

impl District {
    /// Builds the district and its indexes. Geometries are snapped to the coordinate lattice and
    /// rings oriented; current composite grids get their geometry from their members, closed
    /// ones keep the geometry they were stored with (see `composite_geometry`).
    pub fn new(
        areas: Vec<AdminArea>,
        grids: Vec<Grid>,
        buildings: Vec<Building>,
        households: Vec<Household>,
    ) -> Result<Self, ModelError> {
        let mut district = District::default();
        let mut area_slots = HashMap::new();
        let mut area_list = Vec::with_capacity(areas.len());
        for mut area in areas {
            if area_slots.contains_key(&area.code) {
                return Err(ModelError::DuplicateArea(area.code));
            }
            area.geometry = area.geometry.as_ref().map(normalise);
            area_slots.insert(area.code.clone(), area_list.len());
            area_list.push(area);
        }
        district.areas = Arc::new(area_list);
        district.area_slots = Arc::new(area_slots);
        for area in district.areas.iter() {
            if let Some(parent) = &area.parent {
                if !district.area_slots.contains_key(parent) {
                    return Err(ModelError::UnknownParentArea {
                        area: area.code.clone(),
                        parent: parent.clone(),
                    });
                }
            }
        }
        district.area_prepared = Arc::new(
            district
                .areas
                .iter()
                .map(|a| a.geometry.as_ref().map(PreparedPolygon::new))
                .collect(),
        );
        district.community_index = Arc::new(SlotIndex::bulk(
            district
                .areas
                .iter()
                .enumerate()
                .filter(|(_, a)| a.level == AdminLevel::Community)
                .filter_map(|(i, a)| {
                    let env = envelope_of_geometry(a.geometry.as_ref()?)?;
                    Some(Entry {
                        envelope: env,
                        slot: i as u32,
                    })
                })
                .collect(),
        ));

        let mut grids = grids;
        // Composite grids last: their geometry is the union of base grids loaded before them.
        grids.sort_by_key(|g| g.layer == Layer::Composite);
        for grid in grids {
            district.push_grid(grid)?;
        }
        district.check_references()?;
        district.rebuild_grid_indexes();

        district.building_slots = Arc::new(
            buildings
                .iter()
                .enumerate()
                .map(|(i, b)| (b.id.clone(), i))
                .collect(),
        );
        district.building_index = Arc::new(SlotIndex::bulk(
            buildings
                .iter()
                .enumerate()
                .filter_map(|(i, b)| {
                    let rect = footprint_rect(&b.footprint)?;
                    Some(Entry {
                        envelope: crate::index::envelope_of(rect),
                        slot: i as u32,
                    })
                })
                .collect(),
        ));
        district.buildings = Arc::new(buildings);
        district.households = Arc::new(households);
        Ok(district)
    }

    fn push_grid(&mut self, mut grid: Grid) -> Result<u32, ModelError> {
        if grid.layer == Layer::Composite {
            grid.geometry = self.composite_geometry(&grid)?;
        } else {
            grid.geometry = normalise(&grid.geometry);
        }
        if grid.geometry.0.is_empty() {
            return Err(ModelError::EmptyGeometry(grid.id.clone()));
        }
        let slots = Arc::make_mut(&mut self.versions)
            .entry(grid.id.clone())
            .or_default();
        for &s in slots.iter() {
            if self.grids[s as usize].version == grid.version {
                return Err(ModelError::DuplicateGridVersion {
                    id: grid.id.clone(),
                    version: grid.version,
                });
            }
        }
        let slot = self.grids.len() as u32;
        slots.push(slot);
        slots.sort_by_key(|s| {
            if *s == slot {
                grid.version
            } else {
                self.grids[*s as usize].version
            }
        });
        Arc::make_mut(&mut self.prepared).push(Arc::new(PreparedPolygon::new(&grid.geometry)));
        if let Some(parent) = &grid.parent {
            Arc::make_mut(&mut self.by_parent)
                .entry(parent.clone())
                .or_default()
                .push(slot);
        }
        for member in &grid.members {
            Arc::make_mut(&mut self.by_member)
                .entry(member.clone())
                .or_default()
                .push(slot);
        }
        Arc::make_mut(&mut self.grids).push(Arc::new(grid));
        Ok(slot)
    }

    /// The geometry of a composite grid version.
    ///
    /// A current version is the union of its members' current versions: members are always
    /// current while their composite is, because every change of a member gives its composites
    /// a new version (`edit::followups::composites`).
    ///
    /// A closed version is history: it keeps the geometry it was stored with, which is the
    /// union of its members as they were while it was current. It is not derived again from
    /// dates, because dates cannot order the changes of one day: when a member version and
    /// the composite version made from it are both replaced the same day, that member version
    /// is valid on no date (see [`Grid::valid_to`]) and the state the composite was made from
    /// can no longer be found by date. Only a closed version stored without a geometry (a
    /// members-only dataset file) is derived, from its members' last versions of its last day.
    fn composite_geometry(&self, grid: &Grid) -> Result<MultiPolygon<f64>, ModelError> {
        let Some(valid_to) = grid.valid_to else {
            let parts = grid
                .members
                .iter()
                .map(|m| {
                    self.grid(m, None)
                        .map(|g| &g.geometry)
                        .ok_or_else(|| self.member_error(grid, m))
                })
                .collect::<Result<Vec<_>, _>>()?;
            return lattice::union_all(parts).map_err(|e| ModelError::Overlay(grid.id.clone(), e));
        };
        if !grid.geometry.0.is_empty() {
            return Ok(normalise(&grid.geometry));
        }
        let last_day = valid_to.pred_opt().unwrap_or(valid_to).max(grid.valid_from);
        let parts = grid
            .members
            .iter()
            .map(|m| {
                self.last_version_of_day(m, last_day)
                    .map(|g| &g.geometry)
                    .ok_or_else(|| self.member_error(grid, m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        lattice::union_all(parts).map_err(|e| ModelError::Overlay(grid.id.clone(), e))
    }

    /// Why a member of a composite version cannot be found.
    fn member_error(&self, grid: &Grid, member: &GridId) -> ModelError {
        if self.versions.contains_key(member) {
            ModelError::MemberNotValid {
                grid: grid.id.clone(),
                version: grid.version,
                member: member.clone(),
            }
        } else {
            ModelError::UnknownMember {
                grid: grid.id.clone(),
                member: member.clone(),
            }
        }
    }

    /// The last version of a grid that existed at some moment of `day`: began on or before it
    /// and had not ended before it. Unlike [`District::grid`] this also finds a version
    /// opened and replaced during `day`.
    pub fn last_version_of_day(&self, id: &GridId, day: NaiveDate) -> Option<&Grid> {
        self.versions
            .get(id)?
            .iter()
            .rev()
            .map(|&s| self.slot(s))
            .find(|g| g.valid_from <= day && g.valid_to.is_none_or(|end| end >= day))
    }

    fn check_references(&self) -> Result<(), ModelError> {
        for g in self.grids.iter() {
            // Every version's members, closed ones included (their kept geometry was not
            // looked up): each names a base grid.
            for m in &g.members {
                match self.versions.get(m).and_then(|s| s.first()) {
                    None => {
                        return Err(ModelError::UnknownMember {
                            grid: g.id.clone(),
                            member: m.clone(),
                        })
                    }
                    Some(&s) if self.grids[s as usize].layer != Layer::Base => {
                        return Err(ModelError::MemberNotBase {
                            grid: g.id.clone(),
                            member: m.clone(),
                        })
                    }
                    Some(_) => {}
                }
            }
            let Some(parent) = &g.parent else { continue };
            let known = match g.layer {
                Layer::Base => self.area_slots.contains_key(parent),
                Layer::Micro | Layer::Special => {
                    self.versions.contains_key(&GridId(parent.clone()))
                }
                Layer::Composite => true,
            };
            if !known {
                return Err(ModelError::UnknownParent {
                    grid: g.id.clone(),
                    parent: parent.clone(),
                });
            }
        }
        Ok(())
    }

    fn rebuild_grid_indexes(&mut self) {
        let mut by_group: HashMap<Group, Vec<Entry>> = HashMap::new();
        for (i, g) in self.grids.iter().enumerate() {
            if let Some(env) = envelope_of_geometry(&g.geometry) {
                by_group.entry(group_of(&g.layer)).or_default().push(Entry {
                    envelope: env,
                    slot: i as u32,
                });
            }
        }
        let mut bulk =
            |group| Arc::new(SlotIndex::bulk(by_group.remove(&group).unwrap_or_default()));
        self.base_index = bulk(Group::Base);
        self.child_index = bulk(Group::Child);
        self.composite_index = bulk(Group::Composite);
    }

    fn index_mut(&mut self, layer: &Layer) -> &mut SlotIndex {
        match group_of(layer) {
            Group::Base => Arc::make_mut(&mut self.base_index),
            Group::Child => Arc::make_mut(&mut self.child_index),
            Group::Composite => Arc::make_mut(&mut self.composite_index),
        }
    }

    fn index(&self, layer: &Layer) -> &SlotIndex {
        match group_of(layer) {
            Group::Base => &self.base_index,
            Group::Child => &self.child_index,
            Group::Composite => &self.composite_index,
        }
    }

    // ----- reading -----

    pub fn areas(&self) -> &[AdminArea] {
        &self.areas
    }

    pub fn area(&self, code: &str) -> Option<&AdminArea> {
        self.area_slots.get(code).map(|&i| &self.areas[i])
    }

    pub fn area_prepared(&self, code: &str) -> Option<&PreparedPolygon> {
        self.area_slots
            .get(code)
            .and_then(|&i| self.area_prepared[i].as_ref())
    }

    /// Areas of one level, in code order.
    pub fn areas_of_level(&self, level: AdminLevel) -> Vec<&AdminArea> {
        let mut out: Vec<&AdminArea> = self.areas.iter().filter(|a| a.level == level).collect();
        out.sort_by(|a, b| a.code.cmp(&b.code));
        out
    }

    /// The community whose polygon holds `p` under the boundary rule, if any.
    pub fn community_at(&self, p: Coord<f64>) -> Option<&AdminArea> {
        self.community_index
            .at_point(p)
            .filter(|&s| {
                self.area_prepared[s as usize]
                    .as_ref()
                    .is_some_and(|pp| pp.contains(p))
            })
            .map(|s| &self.areas[s as usize])
            .min_by(|a, b| a.code.cmp(&b.code))
    }

    /// Communities whose bounding boxes meet `r`.
    pub fn communities_in(&self, r: Rect<f64>) -> Vec<&AdminArea> {
        self.community_index
            .in_rect(r)
            .map(|s| &self.areas[s as usize])
            .collect()
    }

    /// The chain of areas from `code` up to the district.
    pub fn area_chain(&self, code: &str) -> Vec<&AdminArea> {
        let mut out = Vec::new();
        let mut next = Some(code.to_string());
        while let Some(c) = next {
            let Some(a) = self.area(&c) else { break };
            if out.iter().any(|x: &&AdminArea| x.code == a.code) {
                break;
            }
            next = a.parent.clone();
            out.push(a);
        }
        out
    }

    /// Every stored grid version, by slot (each shared between the views of a district).
    pub fn all_versions(&self) -> &[Arc<Grid>] {
        &self.grids
    }

    pub fn slot(&self, slot: u32) -> &Grid {
        &self.grids[slot as usize]
    }

    /// The grid in `slot`, for changing: this view's own copy of it (and of the slot vector),
    /// taken only while shared with another view.
    fn slot_mut(&mut self, slot: u32) -> &mut Grid {
        Arc::make_mut(&mut Arc::make_mut(&mut self.grids)[slot as usize])
    }

    pub fn prepared(&self, slot: u32) -> &PreparedPolygon {
        &self.prepared[slot as usize]
    }

    /// A copy-on-write view to plan an edit on: a clone without the batch-lookup cell index.
    ///
    /// Why without it: planning never does batch lookups, and keeping a shared index current
    /// through the plan's changes means copying it and reclassifying the cells under every
    /// changed grid, which cost more than the rest of the view (`planning_view_cost` in
    /// tests/snapshot_figures.rs). Should a batch lookup run on the view, it builds its own.
    pub fn planning_view(&self) -> District {
        District {
            base_cells: OnceLock::new(),
            ..self.clone()
        }
    }

    /// The cell index of the current base grids, built on first use.
    pub fn base_cells(&self) -> Option<&CellIndex> {
        self.base_cells
            .get_or_init(|| CellIndex::build(self).map(Arc::new))
            .as_deref()
    }

    /// Keeps the cell index current after a grid version appeared, disappeared or changed
    /// visibility; drops it when it cannot be updated in place (it is then rebuilt on next use).
    fn cells_changed(&mut self, rect: Option<Rect<f64>>) {
        let Some(rect) = rect else { return };
        if let Some(Some(mut cells)) = self.base_cells.take() {
            // Shared with other views: this one refreshes its own copy.
            if Arc::make_mut(&mut cells).refresh(self, rect) {
                self.base_cells = OnceLock::from(Some(cells));
            }
        }
    }

    /// Whether a slot is visible on a date (`None`: current versions).
    pub fn visible(&self, slot: u32, as_of: Option<NaiveDate>) -> bool {
        let g = &self.grids[slot as usize];
        match as_of {
            None => g.is_current(),
            Some(d) => g.is_valid_on(d),
        }
    }

    /// The version of a grid valid on a date (`None`: the current version).
    pub fn grid(&self, id: &GridId, as_of: Option<NaiveDate>) -> Option<&Grid> {
        self.grid_slot(id, as_of).map(|s| self.slot(s))
    }

    pub fn grid_slot(&self, id: &GridId, as_of: Option<NaiveDate>) -> Option<u32> {
        self.versions
            .get(id)?
            .iter()
            .rev()
            .copied()
            .find(|&s| self.visible(s, as_of))
    }

    /// Every version of a grid, oldest first.
    pub fn history(&self, id: &GridId) -> Vec<&Grid> {
        self.versions
            .get(id)
            .map(|slots| slots.iter().map(|&s| self.slot(s)).collect())
            .unwrap_or_default()
    }

    /// Slots of the grids of a layer visible on a date, in code order.
    pub fn layer_slots(&self, layer: &Layer, as_of: Option<NaiveDate>) -> Vec<u32> {
        let mut out: Vec<u32> = (0..self.grids.len() as u32)
            .filter(|&s| self.grids[s as usize].layer == *layer && self.visible(s, as_of))
            .collect();
        out.sort_by(|a, b| {
            self.grids[*a as usize]
                .code
                .cmp(&self.grids[*b as usize].code)
        });
        out
    }

    pub fn grids_of_layer(&self, layer: &Layer, as_of: Option<NaiveDate>) -> Vec<&Grid> {
        self.layer_slots(layer, as_of)
            .into_iter()
            .map(|s| self.slot(s))
            .collect()
    }

    /// Visible grids of the layer's index group whose boxes meet `r` (micro and special share
    /// one group).
    pub fn slots_in_rect(&self, layer: &Layer, r: Rect<f64>, as_of: Option<NaiveDate>) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .index(layer)
            .in_rect(r)
            .filter(|&s| self.visible(s, as_of))
            .collect();
        out.sort_unstable();
        out
    }

    /// Visible grids of the layer's index group whose boxes hold `p`.
    pub fn slots_at_point(
        &self,
        layer: &Layer,
        p: Coord<f64>,
        as_of: Option<NaiveDate>,
    ) -> impl Iterator<Item = u32> + '_ {
        self.index(layer)
            .at_point(p)
            .filter(move |&s| self.visible(s, as_of))
    }

    /// Visible grids by increasing box distance from `p`.
    pub fn slots_nearest(
        &self,
        layer: &Layer,
        p: Coord<f64>,
        as_of: Option<NaiveDate>,
    ) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.index(layer)
            .nearest(p)
            .filter(move |(s, _)| self.visible(*s, as_of))
    }

    /// Visible grids whose parent is `parent`, in code order.
    fn visible_children(
        &self,
        parent: &str,
        as_of: Option<NaiveDate>,
        keep: impl Fn(&Grid) -> bool,
    ) -> Vec<&Grid> {
        let mut out: Vec<&Grid> = self
            .by_parent
            .get(parent)
            .into_iter()
            .flatten()
            .filter(|&&s| self.visible(s, as_of))
            .map(|&s| self.slot(s))
            .filter(|g| keep(g))
            .collect();
        out.sort_by(|a, b| a.code.cmp(&b.code));
        out
    }

    /// Every version of every grid whose parent is `parent`, retired ones included.
    /// Slots of every version whose parent is `parent`.
    pub fn slots_with_parent<'a>(&'a self, parent: &str) -> impl Iterator<Item = u32> + 'a {
        self.by_parent.get(parent).into_iter().flatten().copied()
    }

    pub fn versions_with_parent<'a>(&'a self, parent: &str) -> impl Iterator<Item = &'a Grid> + 'a {
        self.by_parent
            .get(parent)
            .into_iter()
            .flatten()
            .map(|&s| self.slot(s))
    }

    /// Base grids of a community, visible on a date, in code order.
    pub fn base_grids_of(&self, community: &str, as_of: Option<NaiveDate>) -> Vec<&Grid> {
        self.visible_children(community, as_of, |g| g.layer == Layer::Base)
    }

    /// Micro and special grids of a base grid, visible on a date, in code order.
    pub fn children_of(&self, base: &GridId, as_of: Option<NaiveDate>) -> Vec<&Grid> {
        self.visible_children(&base.0, as_of, |g| g.layer.is_child())
    }

    /// Composite grids that include a base grid.
    pub fn composites_of(&self, base: &GridId, as_of: Option<NaiveDate>) -> Vec<&Grid> {
        let mut out: Vec<&Grid> = self
            .by_member
            .get(base)
            .into_iter()
            .flatten()
            .filter(|&&s| self.visible(s, as_of))
            .map(|&s| self.slot(s))
            .collect();
        out.sort_by(|a, b| (a.network.as_deref(), &a.code).cmp(&(b.network.as_deref(), &b.code)));
        out
    }

    pub fn buildings(&self) -> &[Building] {
        &self.buildings
    }

    pub fn building(&self, id: &str) -> Option<&Building> {
        self.building_slots.get(id).map(|&i| &self.buildings[i])
    }

    pub fn building_index_of(&self, id: &str) -> Option<usize> {
        self.building_slots.get(id).copied()
    }

    pub fn buildings_in(&self, r: Rect<f64>) -> Vec<&Building> {
        let mut slots: Vec<u32> = self.building_index.in_rect(r).collect();
        slots.sort_unstable();
        slots
            .into_iter()
            .map(|s| &self.buildings[s as usize])
            .collect()
    }

    pub fn households(&self) -> &[Household] {
        &self.households
    }

    /// Bounding box of every current grid and area.
    pub fn extent(&self) -> Option<Rect<f64>> {
        self.areas
            .iter()
            .filter_map(|a| a.geometry.as_ref()?.bounding_rect())
            .chain(self.grids.iter().filter_map(|g| g.geometry.bounding_rect()))
            .reduce(crate::index::union_rect)
    }

    // ----- changing -----

    /// Closes the current version of `id` on `date` (exclusive end). Returns false when the grid
    /// has no current version.
    pub fn close_version(&mut self, id: &GridId, date: NaiveDate) -> bool {
        let Some(slot) = self.grid_slot(id, None) else {
            return false;
        };
        self.slot_mut(slot).valid_to = Some(date);
        self.cells_changed(base_box(self.slot(slot)));
        true
    }

    /// Adds a new grid version (the caller closes the previous one first) and indexes it.
    pub fn add_version(&mut self, grid: Grid) -> Result<u32, ModelError> {
        let layer = grid.layer.clone();
        let slot = self.push_grid(grid)?;
        if let Some(env) = envelope_of_geometry(&self.slot(slot).geometry) {
            self.index_mut(&layer).insert(Entry {
                envelope: env,
                slot,
            });
        }
        self.cells_changed(base_box(self.slot(slot)));
        Ok(slot)
    }

    /// Drops a version added in error (used to undo a change set that failed half-way).
    pub fn remove_last_version(&mut self, id: &GridId) -> Option<Grid> {
        let slot = *self.versions.get(id)?.last()?;
        if slot as usize != self.grids.len() - 1 {
            return None;
        }
        let versions = Arc::make_mut(&mut self.versions);
        if let Some(slots) = versions.get_mut(id) {
            slots.pop();
            if slots.is_empty() {
                versions.remove(id);
            }
        }
        let grid = Arc::unwrap_or_clone(Arc::make_mut(&mut self.grids).pop()?);
        Arc::make_mut(&mut self.prepared).pop();
        if let Some(parent) = &grid.parent {
            if let Some(v) = Arc::make_mut(&mut self.by_parent).get_mut(parent) {
                v.retain(|&s| s != slot);
            }
        }
        for member in &grid.members {
            if let Some(v) = Arc::make_mut(&mut self.by_member).get_mut(member) {
                v.retain(|&s| s != slot);
            }
        }
        if let Some(env) = envelope_of_geometry(&grid.geometry) {
            self.index_mut(&grid.layer).remove(&Entry {
                envelope: env,
                slot,
            });
        }
        self.cells_changed(base_box(&grid));
        Some(grid)
    }

    /// Reopens a version closed by [`District::close_version`].
    pub fn reopen(&mut self, id: &GridId, closed_on: NaiveDate) -> bool {
        let Some(slots) = self.versions.get(id) else {
            return false;
        };
        let Some(s) = slots
            .iter()
            .rev()
            .copied()
            .find(|&s| self.slot(s).valid_to == Some(closed_on))
        else {
            return false;
        };
        self.slot_mut(s).valid_to = None;
        self.cells_changed(base_box(self.slot(s)));
        true
    }
}

/// The cell index reads the current base grids through this (see [`BaseGrids`]).
impl BaseGrids for District {
    fn current_base(&self) -> Vec<u32> {
        self.layer_slots(&Layer::Base, None)
    }

    fn current_base_in(&self, r: Rect<f64>) -> Vec<u32> {
        self.slots_in_rect(&Layer::Base, r, None)
    }

    fn prepared(&self, slot: u32) -> &PreparedPolygon {
        District::prepared(self, slot)
    }

    fn code(&self, slot: u32) -> &str {
        &self.slot(slot).code
    }
}

/// Snaps to the lattice and orients rings (exterior counter-clockwise, holes clockwise):
/// winding is normalised on the way in, never reported.
pub fn normalise(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::orient::{Direction, Orient};
    lattice::snap_multipolygon(mp).orient(Direction::Default)
}

/// The box of a base grid version (other layers have no cell index).
fn base_box(g: &Grid) -> Option<Rect<f64>> {
    (g.layer == Layer::Base)
        .then(|| g.geometry.bounding_rect())
        .flatten()
}

fn footprint_rect(f: &Footprint) -> Option<Rect<f64>> {
    match f {
        Footprint::Polygon(p) => p.bounding_rect(),
        Footprint::Point(p) => Some(Rect::new(p.0, p.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon};

    fn square(x0: f64, y0: f64, side: f64) -> MultiPolygon<f64> {
        let (x1, y1) = (x0 + side, y0 + side);
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )])
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).expect("valid date")
    }

    /// Same area and same box (a union may start its ring elsewhere).
    fn assert_same_shape(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, what: &str) {
        use geo::Area;
        assert_eq!(a.bounding_rect(), b.bounding_rect(), "{what}: boxes");
        assert!(
            (a.unsigned_area() - b.unsigned_area()).abs() < 1e-12,
            "{what}: areas"
        );
    }

    fn version(
        id: &str,
        layer: Layer,
        v: u32,
        geometry: MultiPolygon<f64>,
        from: NaiveDate,
        to: Option<NaiveDate>,
    ) -> Grid {
        let mut g = Grid::new(id, layer, None, geometry, from);
        g.version = v;
        g.valid_to = to;
        g
    }

    fn composite(v: u32, members: &[&str], from: NaiveDate, to: Option<NaiveDate>) -> Grid {
        let mut g = version("C", Layer::Composite, v, MultiPolygon(vec![]), from, to);
        g.members = members.iter().map(|&m| GridId::from(m)).collect();
        g
    }

    /// A status change of A and a split of A on day 2: A's version 2 and the composite's
    /// version 2 were opened and closed on day 2. The records load, the closed composite keeps
    /// its stored geometry, and as of day 2 the last versions of that day show.
    #[test]
    fn same_day_versions_load_and_as_of_shows_the_last_of_the_day() {
        let a = square(118.0, 29.0, 0.01);
        let (west, east) = (
            normalise(&MultiPolygon(vec![Polygon::new(
                LineString::from(vec![
                    (118.0, 29.0),
                    (118.005, 29.0),
                    (118.005, 29.01),
                    (118.0, 29.01),
                    (118.0, 29.0),
                ]),
                vec![],
            )])),
            normalise(&MultiPolygon(vec![Polygon::new(
                LineString::from(vec![
                    (118.005, 29.0),
                    (118.01, 29.0),
                    (118.01, 29.01),
                    (118.005, 29.01),
                    (118.005, 29.0),
                ]),
                vec![],
            )])),
        );
        let mut stored = composite(2, &["A"], day(2), Some(day(2)));
        stored.geometry = a.clone();
        let grids = vec![
            composite(3, &["B", "D"], day(2), None),
            stored,
            composite(1, &["A"], day(1), Some(day(2))),
            version("A", Layer::Base, 1, a.clone(), day(1), Some(day(2))),
            version("A", Layer::Base, 2, a.clone(), day(2), Some(day(2))),
            version("B", Layer::Base, 1, west, day(2), None),
            version("D", Layer::Base, 1, east, day(2), None),
        ];
        let d = District::new(vec![], grids, vec![], vec![]).expect("the records load");
        let c = GridId::from("C");
        assert_eq!(d.grid(&c, Some(day(2))).map(|g| g.version), Some(3));
        assert_eq!(d.grid(&c, Some(day(1))).map(|g| g.version), Some(1));
        assert_eq!(d.grid(&GridId::from("A"), Some(day(2))), None);
        assert_eq!(
            d.grid(&GridId::from("A"), Some(day(1))).map(|g| g.version),
            Some(1)
        );
        let history = d.history(&c);
        assert_eq!(
            history.iter().map(|g| g.version).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(
            history[1].geometry,
            normalise(&a),
            "a closed version keeps its geometry"
        );
        // Version 1 was stored without one: derived from A as it was on day 1.
        assert_same_shape(&history[0].geometry, &a, "version 1");
        // The current version is the union of its current members: A's square again.
        assert_same_shape(&history[2].geometry, &a, "version 3");
    }

    /// A closed composite version without a stored geometry takes its members' versions of its
    /// last day, not of its first.
    #[test]
    fn closed_composite_without_geometry_is_derived_from_its_last_day() {
        let small = square(118.0, 29.0, 0.01);
        let large = square(118.0, 29.0, 0.02);
        let grids = vec![
            composite(1, &["A"], day(1), Some(day(5))),
            version("A", Layer::Base, 1, small.clone(), day(1), Some(day(3))),
            version("A", Layer::Base, 2, large.clone(), day(3), None),
        ];
        let d = District::new(vec![], grids, vec![], vec![]).expect("the records load");
        assert_same_shape(
            &d.history(&GridId::from("C"))[0].geometry,
            &large,
            "version 1",
        );
    }

    #[test]
    fn composite_members_must_be_known_base_grids() {
        let a = square(118.0, 29.0, 0.01);
        let mut closed = composite(1, &["X"], day(1), Some(day(2)));
        closed.geometry = a.clone();
        let err = District::new(
            vec![],
            vec![
                closed,
                version("A", Layer::Base, 1, a.clone(), day(1), None),
            ],
            vec![],
            vec![],
        )
        .expect_err("an unknown member");
        assert_eq!(
            err,
            ModelError::UnknownMember {
                grid: GridId::from("C"),
                member: GridId::from("X"),
            }
        );
        let err = District::new(
            vec![],
            vec![
                composite(1, &["A"], day(1), None),
                version("A", Layer::Base, 1, a.clone(), day(1), Some(day(2))),
            ],
            vec![],
            vec![],
        )
        .expect_err("a current composite of a retired member");
        assert!(
            matches!(err, ModelError::MemberNotValid { ref member, .. } if member.0 == "A"),
            "{err}"
        );
        let mut micro = version("M", Layer::Micro, 1, a.clone(), day(1), None);
        micro.parent = Some("A".into());
        let err = District::new(
            vec![],
            vec![
                composite(1, &["M"], day(1), None),
                version("A", Layer::Base, 1, a, day(1), None),
                micro,
            ],
            vec![],
            vec![],
        )
        .expect_err("a micro grid as a member");
        assert!(matches!(err, ModelError::MemberNotBase { .. }), "{err}");
    }
}
