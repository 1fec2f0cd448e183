//! Deterministic synthetic datasets built on the demo's synthetic city: `nx × ny` base grids
//! and `households` households, alternately in a building and at a lattice point.

use wangge::demo::city::city;
use wangge::engine::{Household, HouseholdLocation};
use wangge::io::dataset::Dataset;

pub(crate) fn dataset(nx: usize, ny: usize, households: usize) -> Dataset {
    let c = city(nx, ny, 10.min(nx.max(1)), 0);
    let mut hs = Vec::with_capacity(households);
    let nb = c.buildings.len().max(1);
    for i in 0..households {
        let location = if i % 2 == 0 || c.buildings.is_empty() {
            // A point on the 1e-7° lattice inside the city's extent.
            let x = 118.0 + ((i * 7919) % (nx * 1000).max(1)) as f64 * 1e-6;
            let y = 29.5 + ((i * 104_729) % (ny * 1000).max(1)) as f64 * 1e-6;
            HouseholdLocation::Point(geo::Point::new(
                (x * 1e7).round() / 1e7,
                (y * 1e7).round() / 1e7,
            ))
        } else {
            HouseholdLocation::Building(c.buildings[i % nb].id.clone())
        };
        hs.push(Household {
            id: format!("H{i:08}"),
            location,
            residents: (i % 5) as u32 + 1,
        });
    }
    Dataset {
        areas: c.areas,
        grids: c.grids,
        buildings: c.buildings,
        households: hs,
        reading_problems: vec![],
    }
}
