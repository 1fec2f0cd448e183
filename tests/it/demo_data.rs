//! The committed demo dataset is exactly what the generator produces from its sources, and it
//! loads as a consistent district.

use std::path::PathBuf;
use wangge::io::dataset::{load_dir, write_dir, Dataset, AREAS, BUILDINGS, GRIDS};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_demo_files_are_reproduced_by_the_generator() {
    let source = root().join("geodata/tunxi/source");
    let read = |n: &str| std::fs::read_to_string(source.join(n)).expect("source file");
    let demo = wangge::demo::generate(&read("district.geojson"), &read("divisions.json"))
        .expect("generate");
    let tmp = tempfile::tempdir().expect("tempdir");
    let ds = Dataset {
        areas: demo.areas,
        grids: demo.grids,
        buildings: demo.buildings,
        households: demo.households,
        reading_problems: vec![],
    };
    write_dir(tmp.path(), &ds).expect("write");
    for name in [AREAS, GRIDS, BUILDINGS] {
        let fresh = std::fs::read(tmp.path().join(name)).expect("fresh");
        let committed = std::fs::read(root().join("geodata/tunxi").join(name)).expect("committed");
        assert!(
            fresh == committed,
            "{name} differs from the generator's output: run `wangge demo build`"
        );
    }
}

#[test]
fn demo_dataset_round_trips_through_geojson_unchanged() {
    let ds = load_dir(&root().join("geodata/tunxi")).expect("load");
    let (district, reading_problems) = ds.clone().into_district().expect("district");
    assert!(reading_problems.is_empty());
    assert_eq!(
        district
            .areas_of_level(wangge::engine::AdminLevel::Town)
            .len(),
        9
    );
    assert_eq!(
        district
            .areas_of_level(wangge::engine::AdminLevel::Community)
            .len(),
        76
    );
    // Writing what was read gives the same files: nothing is lost or reformatted.
    let tmp = tempfile::tempdir().expect("tempdir");
    write_dir(tmp.path(), &ds).expect("write");
    for name in [AREAS, GRIDS, BUILDINGS] {
        let again = std::fs::read(tmp.path().join(name)).expect("again");
        let committed = std::fs::read(root().join("geodata/tunxi").join(name)).expect("committed");
        assert!(
            again == committed,
            "{name} changed in a read/write round trip"
        );
    }
}
