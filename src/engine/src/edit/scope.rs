//! How far an edit reaches, judged on the geometry it saves (not only on the codes it claims).
//!
//! - [`check_within_district`]: every edit, whoever makes it, keeps new geometries near the
//!   district and no larger than it (a near-world base grid would otherwise be found by lookups
//!   anywhere on earth). [`plan`](super::plan()) runs it for every edit, drafts included.
//! - [`check_inside_areas`]: a planner's edit stays inside the planner's admin areas. A grid is
//!   inside when the area chain it claims (its community, or its base grid's) meets the areas,
//!   and — when the edit gives it a new geometry — that geometry lies inside the areas' union.
//!   A composite grid is inside only when every member base grid is; a composite that only
//!   follows its members ([`Plan::followers`](super::Plan)) is judged by those members' changes.
//!   A change that only inserts vertices on a neighbour's existing edges (T-junction repair, its
//!   shape unchanged up to lattice rounding) is not an edit of that neighbour.
//!
//! A check that cannot run (an area without a boundary, an overlay that fails) refuses the edit:
//! it never passes silently.

use super::change::{ChangeSet, GridChange};
use super::error::EditError;
use super::topology::{on_segment_interior, ring_units, rings, Pt, ON_EDGE_UNITS};
use crate::district::District;
use crate::lattice;
use crate::measure::{area_m2, mean_width_m, METRES_PER_DEGREE};
use crate::model::{Grid, GridId, Layer};
use geo::{BoundingRect, MultiPolygon, Rect};
use std::collections::HashSet;
use std::fmt;

/// How far (metres) beyond the bounding box of the district's admin areas a new geometry may
/// reach before it is refused as lying outside the district.
pub const DEFAULT_DISTRICT_MARGIN_M: f64 = 1_000.0;

/// Parts of a new geometry outside a planner's areas thinner than this (mean width, metres) are
/// lattice rounding, not a reach into another area: a cut across a slanted border lands on the
/// nearest lattice point, up to ~0.8 cm beside the border (see [`ON_EDGE_UNITS`]).
const ROUNDING_WIDTH_M: f64 = 0.03;

/// The district's extent and size, from its admin areas (or, without area boundaries, from its
/// current base grids).
struct Bounds {
    rect: Rect<f64>,
    area_m2: f64,
    from_areas: bool,
}

fn district_bounds(d: &District, skip: &HashSet<&GridId>) -> Option<Bounds> {
    let mut rect: Option<Rect<f64>> = None;
    let mut area = 0.0;
    for a in d.areas() {
        let Some(g) = &a.geometry else { continue };
        let Some(r) = g.bounding_rect() else { continue };
        rect = Some(rect.map_or(r, |x| crate::index::union_rect(x, r)));
        // The district's size is that of its root areas (those without a parent in it).
        let is_root = a.parent.as_deref().is_none_or(|p| d.area(p).is_none());
        if is_root {
            area += area_m2(g);
        }
    }
    if let Some(rect) = rect {
        return Some(Bounds {
            rect,
            area_m2: area,
            from_areas: true,
        });
    }
    // A district read without admin areas: its current base grids stand for it.
    let rect = d
        .grids_of_layer(&Layer::Base, None)
        .into_iter()
        .filter(|g| !skip.contains(&g.id))
        .filter_map(|g| g.geometry.bounding_rect())
        .reduce(crate::index::union_rect)?;
    let area_m2 = area_m2(&MultiPolygon::from(rect.to_polygon()));
    Some(Bounds {
        rect,
        area_m2,
        from_areas: false,
    })
}

/// A change gives its grid a geometry it did not have (created, or reshaped).
fn new_geometry(c: &GridChange) -> Option<&Grid> {
    let after = c.after.as_ref()?;
    match &c.before {
        Some(b) if b.geometry == after.geometry => None,
        _ => Some(after),
    }
}

/// Refuses an edit that gives a base, micro or special grid a geometry reaching more than
/// `margin_m` beyond the district's bounding box, or larger than the district.
pub(crate) fn check_within_district(
    d: &District,
    changes: &[GridChange],
    margin_m: f64,
) -> Result<(), EditError> {
    let skip: HashSet<&GridId> = changes.iter().filter_map(GridChange::id).collect();
    let mut bounds: Option<Option<Bounds>> = None;
    for c in changes {
        let Some(after) = new_geometry(c) else {
            continue;
        };
        if after.layer == Layer::Composite {
            continue; // The union of its members, which are checked themselves.
        }
        let Some(b) = bounds.get_or_insert_with(|| district_bounds(d, &skip)) else {
            return Ok(()); // An empty district: nothing to compare with.
        };
        let outside = |reason: String| EditError::OutsideDistrict {
            grid: after.id.clone(),
            reason,
        };
        let Some(r) = after.geometry.bounding_rect() else {
            continue; // Empty: refused by the geometry check.
        };
        let beyond = metres_beyond(b.rect, r);
        // A NaN (unmeasurable) refuses too.
        if beyond.is_nan() || beyond > margin_m {
            return Err(outside(format!(
                "it reaches {} beyond the district's {} (at most {margin_m:.0} m allowed)",
                if beyond.is_finite() {
                    format!("{beyond:.0} m")
                } else {
                    "an unmeasurable distance".into()
                },
                if b.from_areas {
                    "admin areas"
                } else {
                    "base grids"
                }
            )));
        }
        let m2 = area_m2(&after.geometry);
        if b.area_m2 > 0.0 && (m2.is_nan() || m2 > b.area_m2) {
            return Err(outside(format!(
                "its area {m2:.0} m² is larger than the district's {:.0} m²",
                b.area_m2
            )));
        }
    }
    Ok(())
}

/// How far (metres, along the larger axis) `inner` reaches outside `outer`; 0 when inside.
/// A bounding-box tolerance: degrees are turned into metres at the box's latitude.
fn metres_beyond(outer: Rect<f64>, inner: Rect<f64>) -> f64 {
    let (o_min, o_max, i_min, i_max) = (outer.min(), outer.max(), inner.min(), inner.max());
    // `f64::max` drops a NaN: test finiteness first.
    if ![i_min.x, i_min.y, i_max.x, i_max.y]
        .iter()
        .all(|v| v.is_finite())
    {
        return f64::INFINITY;
    }
    let dx = (o_min.x - i_min.x).max(i_max.x - o_max.x).max(0.0);
    let dy = (o_min.y - i_min.y).max(i_max.y - o_max.y).max(0.0);
    if !(dx.is_finite() && dy.is_finite()) {
        return f64::INFINITY;
    }
    let lat = ((o_min.y + o_max.y) / 2.0).to_radians().cos().abs();
    (dx * METRES_PER_DEGREE * lat).max(dy * METRES_PER_DEGREE)
}

/// Why a planner's edit is refused by [`check_inside_areas`].
#[derive(Debug, Clone, PartialEq)]
pub enum ScopeError {
    /// The edit changes a grid outside the areas (`by_geometry` false: the areas it claims), or
    /// gives one a geometry reaching out of them (`by_geometry` true).
    Outside {
        grid: GridId,
        reason: String,
        by_geometry: bool,
    },
    /// The check could not be made; the edit is refused rather than let through.
    Unchecked { grid: GridId, reason: String },
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeError::Outside { reason, .. } => f.write_str(reason),
            ScopeError::Unchecked { grid, reason } => write!(
                f,
                "whether grid {grid} stays inside the token's areas could not be checked: {reason}"
            ),
        }
    }
}

impl std::error::Error for ScopeError {}

/// The admin-area codes a grid claims, community first: a base grid's community chain, a
/// micro/special grid's base grid's (that base grid may be `among` the edit's own new grids).
/// A composite claims nothing by itself (see [`check_inside_areas`]).
pub fn claimed_areas(d: &District, g: &Grid, among: &[&Grid]) -> Vec<String> {
    let community = match g.layer {
        Layer::Base => g.parent.clone(),
        Layer::Micro | Layer::Special => g.parent.as_ref().and_then(|p| {
            let id = GridId(p.clone());
            among
                .iter()
                .find(|b| b.layer == Layer::Base && b.id == id)
                .map(|b| b.parent.clone())
                .or_else(|| d.history(&id).last().map(|b| b.parent.clone()))
                .flatten()
        }),
        Layer::Composite => None,
    };
    community
        .map(|c| {
            d.area_chain(&c)
                .into_iter()
                .map(|a| a.code.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The union of the areas' boundaries, computed once when first needed.
struct Region<'a> {
    d: &'a District,
    codes: &'a [String],
    union: Option<Result<MultiPolygon<f64>, String>>,
}

impl Region<'_> {
    fn get(&mut self) -> &Result<MultiPolygon<f64>, String> {
        let (d, codes) = (self.d, self.codes);
        self.union.get_or_insert_with(|| {
            let geoms: Vec<&MultiPolygon<f64>> = codes
                .iter()
                .filter_map(|c| d.area(c)?.geometry.as_ref())
                .collect();
            if geoms.is_empty() {
                return Err("none of the areas has a boundary to check against".into());
            }
            lattice::union_all(geoms).map_err(|e| format!("the areas' union failed: {e}"))
        })
    }

    /// Areas named by the token that exist but have no boundary.
    fn without_boundary(&self) -> Vec<&str> {
        self.codes
            .iter()
            .filter(|c| self.d.area(c).is_some_and(|a| a.geometry.is_none()))
            .map(String::as_str)
            .collect()
    }
}

/// Checks that a planner holding `areas` may make the change set `cs` (see the module
/// documentation). `followers` are the composites that only follow their members; `holder`
/// names who holds the areas in messages ("token 3f2a…").
pub fn check_inside_areas(
    d: &District,
    cs: &ChangeSet,
    followers: &[GridId],
    areas: &[String],
    holder: &str,
    min_area_m2: f64,
) -> Result<(), ScopeError> {
    let list = || {
        if areas.is_empty() {
            "none".to_string()
        } else {
            areas.join(", ")
        }
    };
    let new_grids: Vec<&Grid> = cs.changes.iter().filter_map(|c| c.after.as_ref()).collect();
    let claim = |g: &Grid| -> Result<(), ScopeError> {
        let chain = claimed_areas(d, g, &new_grids);
        if chain.iter().any(|c| areas.contains(c)) {
            return Ok(());
        }
        let where_ = chain.first().map_or("no area", String::as_str);
        Err(ScopeError::Outside {
            by_geometry: false,
            grid: g.id.clone(),
            reason: format!(
                "grid {} lies in area {where_}, outside the areas of {holder} ({})",
                g.id,
                list()
            ),
        })
    };
    let mut region = Region {
        d,
        codes: areas,
        union: None,
    };
    for c in &cs.changes {
        let Some(g) = c.after.as_ref().or(c.before.as_ref()) else {
            continue;
        };
        if g.layer == Layer::Composite {
            if followers.contains(&g.id) {
                continue;
            }
            let members = c
                .before
                .iter()
                .chain(c.after.iter())
                .flat_map(|x| x.members.iter());
            for m in members {
                let member = cs
                    .change_of(m)
                    .and_then(|mc| mc.after.as_ref().or(mc.before.as_ref()))
                    .or_else(|| d.history(m).last().copied())
                    .ok_or_else(|| ScopeError::Unchecked {
                        grid: g.id.clone(),
                        reason: format!("its member {m} is unknown"),
                    })?;
                claim(member).map_err(|_| ScopeError::Outside {
                    by_geometry: false,
                    grid: g.id.clone(),
                    reason: format!(
                        "composite grid {} has member {} outside the areas of {holder} ({}); a composite is \
                         yours only when all its base grids are",
                        g.id,
                        member.id,
                        list()
                    ),
                })?;
            }
            continue;
        }
        if only_inserts_vertices(c) {
            continue;
        }
        if let Some(b) = &c.before {
            claim(b)?;
        }
        if let Some(a) = &c.after {
            claim(a)?;
        }
        let Some(after) = new_geometry(c) else {
            continue;
        };
        let inside = match region.get() {
            Ok(r) => r,
            Err(reason) => {
                return Err(ScopeError::Unchecked {
                    grid: after.id.clone(),
                    reason: reason.clone(),
                })
            }
        };
        let outside =
            lattice::difference(&after.geometry, inside).map_err(|e| ScopeError::Unchecked {
                grid: after.id.clone(),
                reason: format!("the overlay with the areas failed: {e}"),
            })?;
        let m2 = area_m2(&outside);
        if m2 >= min_area_m2 && mean_width_m(&outside) >= ROUNDING_WIDTH_M {
            let missing = region.without_boundary();
            if !missing.is_empty() {
                return Err(ScopeError::Unchecked {
                    grid: after.id.clone(),
                    reason: format!("area(s) {} have no boundary", missing.join(", ")),
                });
            }
            return Err(ScopeError::Outside {
                by_geometry: true,
                grid: after.id.clone(),
                reason: format!(
                    "the new geometry of grid {} has {m2:.1} m² outside the areas of {holder} ({})",
                    after.id,
                    list()
                ),
            });
        }
    }
    Ok(())
}

/// Whether a change only gives a grid new vertices on its existing edges (T-junction repair):
/// every attribute but the geometry, version dates and the edit's `"draft"` mark is unchanged, dropping the new vertices
/// gives back the old rings, and each new vertex lies within [`ON_EDGE_UNITS`] of the old edge
/// it splits, so the shape is unchanged up to lattice rounding.
pub fn only_inserts_vertices(c: &GridChange) -> bool {
    let (Some(b), Some(a)) = (&c.before, &c.after) else {
        return false;
    };
    let mut same = a.clone();
    same.geometry = b.geometry.clone();
    same.version = b.version;
    same.valid_from = b.valid_from;
    same.valid_to = b.valid_to;
    // A forced plan marks every new version `"draft"`: that belongs to the edit, not the grid.
    if !b.properties.contains_key("draft") {
        same.properties.remove("draft");
    }
    if same != *b || a.geometry == b.geometry {
        return false;
    }
    if a.geometry.0.len() != b.geometry.0.len()
        || a.geometry
            .0
            .iter()
            .zip(&b.geometry.0)
            .any(|(x, y)| x.interiors().len() != y.interiors().len())
    {
        return false;
    }
    rings(&b.geometry)
        .zip(rings(&a.geometry))
        .all(|(rb, ra)| ring_only_gains_vertices(&ring_units(rb), &ring_units(ra)))
}

fn ring_only_gains_vertices(old: &[Pt], new: &[Pt]) -> bool {
    let old_set: HashSet<Pt> = old.iter().copied().collect();
    // Start the new ring at the old ring's first vertex.
    let Some(start) = old.first().and_then(|s| new.iter().position(|p| p == s)) else {
        return old.is_empty() && new.is_empty();
    };
    let n = new.len();
    let rotated: Vec<Pt> = (0..n).map(|i| new[(start + i) % n]).collect();
    let mut kept: Vec<Pt> = Vec::with_capacity(old.len());
    let mut pending: Vec<Pt> = Vec::new();
    for &p in rotated.iter().chain(std::iter::once(&rotated[0])) {
        if old_set.contains(&p) {
            if let Some(&prev) = kept.last() {
                if pending
                    .iter()
                    .any(|&q| on_segment_interior(prev, p, q, ON_EDGE_UNITS).is_none())
                {
                    return false;
                }
            }
            pending.clear();
            kept.push(p);
        } else {
            pending.push(p);
        }
    }
    kept.pop(); // The closing repeat of the first vertex.
    kept == old
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Coord;

    fn ring(pts: &[Pt]) -> Vec<Pt> {
        pts.to_vec()
    }

    #[test]
    fn a_vertex_on_an_edge_is_only_an_insertion_and_one_off_the_edge_is_not() {
        let old = ring(&[(0, 0), (100, 0), (100, 100), (0, 100)]);
        assert!(ring_only_gains_vertices(
            &old,
            &ring(&[(0, 0), (50, 0), (100, 0), (100, 100), (0, 100)])
        ));
        // Within rounding of a slanted edge: still an insertion.
        let slanted = ring(&[(0, 0), (100, 30), (0, 100)]);
        assert!(ring_only_gains_vertices(
            &slanted,
            &ring(&[(0, 0), (50, 15), (100, 30), (0, 100)])
        ));
        // A vertex pulled off the edge changes the shape.
        assert!(!ring_only_gains_vertices(
            &old,
            &ring(&[(0, 0), (50, -5), (100, 0), (100, 100), (0, 100)])
        ));
        // A dropped vertex changes the shape.
        assert!(!ring_only_gains_vertices(
            &old,
            &ring(&[(0, 0), (100, 0), (100, 100)])
        ));
    }

    #[test]
    fn metres_beyond_is_zero_inside_and_grows_outside() {
        let outer = Rect::new(Coord { x: 118.0, y: 29.0 }, Coord { x: 118.5, y: 29.5 });
        let inner = Rect::new(Coord { x: 118.1, y: 29.1 }, Coord { x: 118.2, y: 29.2 });
        assert_eq!(metres_beyond(outer, inner), 0.0);
        let far = Rect::new(Coord { x: 2.3, y: 48.8 }, Coord { x: 2.4, y: 48.9 });
        assert!(metres_beyond(outer, far) > 5_000_000.0);
        let nan = Rect::new(
            Coord {
                x: f64::NAN,
                y: 29.1,
            },
            Coord { x: 118.2, y: 29.2 },
        );
        assert_eq!(metres_beyond(outer, nan), f64::INFINITY);
    }
}
