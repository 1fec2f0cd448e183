//! Tolerances and household standards for validation.

use crate::model::{AreaKind, Layer};
use geo::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An inclusive band of households per grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub min: u32,
    pub max: u32,
}

impl Band {
    pub fn contains(self, households: u32) -> bool {
        self.min <= households && households <= self.max
    }
}

/// Household standards: which band applies to a grid. The most specific rule wins: an admin
/// area's own band (the grid's community, else its town), then the layer's, then the default
/// for the grid's kind (urban 300–500 households, rural none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standards {
    pub urban: Option<Band>,
    pub rural: Option<Band>,
    pub per_area: HashMap<String, Band>,
    pub per_layer: HashMap<Layer, Band>,
}

impl Default for Standards {
    fn default() -> Self {
        Standards {
            urban: Some(Band { min: 300, max: 500 }),
            rural: None,
            per_area: HashMap::new(),
            per_layer: HashMap::new(),
        }
    }
}

impl Standards {
    /// The band for a grid of `layer` and `kind` whose admin chain (community first) is `areas`.
    /// Micro and special grids have no band unless their layer has one.
    pub fn band_for(&self, layer: &Layer, kind: AreaKind, areas: &[&str]) -> Option<Band> {
        if let Some(b) = areas.iter().find_map(|code| self.per_area.get(*code)) {
            return Some(*b);
        }
        if let Some(b) = self.per_layer.get(layer) {
            return Some(*b);
        }
        if *layer != Layer::Base {
            return None;
        }
        match kind {
            AreaKind::Urban => self.urban,
            AreaKind::Rural => self.rural,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Gaps and overlaps thinner than this mean width are reported as slivers.
    pub sliver_width_m: f64,
    /// Pieces smaller than this are numerical noise and not reported.
    pub min_area_m2: f64,
    /// Areas where gaps are allowed (lakes, rivers…).
    pub allowed_gaps: Option<MultiPolygon<f64>>,
    pub standards: Standards,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sliver_width_m: 0.5,
            min_area_m2: 0.01,
            allowed_gaps: None,
            standards: Standards::default(),
        }
    }
}
