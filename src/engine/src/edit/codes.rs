//! Grid codes for new grids.
//!
//! A grid's code is its parent's code followed by a sequence number: a base grid's parent is its
//! community (12-digit code), a micro or special grid's parent is its base grid. New codes take
//! the next sequence numbers after the highest one ever used under that parent, counting every
//! version including retired ones, so a retired code is never handed out again (records and
//! reports that name it stay unambiguous).
//!
//! Micro grids are numbered `<base code>W<seq>` (微) and special grids `<base code>Z<seq>` (专),
//! so the two kinds never compete for numbers and a code tells its layer.

use crate::district::District;
use crate::model::{GridId, Layer};

/// Width of the sequence part when no sibling shows another width.
pub const DEFAULT_SEQUENCE_WIDTH: usize = 3;

/// The widest sequence part a code given by a client may have.
pub const MAX_SEQUENCE_WIDTH: usize = 6;

/// Whether `code`, given by a client for a grid of `layer` under `parent`, follows the code
/// rule: [`prefix_for`] (the community's 12-digit code; for micro/special grids the base grid's
/// code and `W`/`Z`) followed by a sequence of [`DEFAULT_SEQUENCE_WIDTH`] to
/// [`MAX_SEQUENCE_WIDTH`] ASCII digits. The error says what was expected.
pub fn check_code(d: &District, layer: &Layer, parent: &str, code: &str) -> Result<(), String> {
    let prefix = prefix_for(d, layer, parent);
    let seq = code.strip_prefix(prefix.as_str());
    let ok = seq.is_some_and(|seq| {
        (DEFAULT_SEQUENCE_WIDTH..=MAX_SEQUENCE_WIDTH).contains(&seq.len())
            && seq.bytes().all(|b| b.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{code:?} does not follow the code rule for a {} grid under {parent}: {prefix} \
             followed by {DEFAULT_SEQUENCE_WIDTH} to {MAX_SEQUENCE_WIDTH} digits (e.g. {prefix}{:0w$})",
            layer.as_str(),
            1,
            w = DEFAULT_SEQUENCE_WIDTH
        ))
    }
}

/// The code prefix under which grids of `layer` under `parent` (a community code, or a base grid
/// id) are numbered.
pub fn prefix_for(d: &District, layer: &Layer, parent: &str) -> String {
    let letter = match layer {
        Layer::Micro => "W",
        Layer::Special => "Z",
        _ => "",
    };
    if layer.is_child() {
        if let Some(base) = d.history(&GridId(parent.to_string())).last() {
            return format!("{}{letter}", base.code);
        }
    }
    format!("{parent}{letter}")
}

/// The next `n` unused codes for grids of `layer` under `parent`, with at least `width` digits.
pub fn next_codes(
    d: &District,
    layer: &Layer,
    parent: &str,
    n: usize,
    width: usize,
) -> Vec<String> {
    let prefix = prefix_for(d, layer, parent);
    let mut max = 0u64;
    let mut width = width.max(1);
    for g in d.versions_with_parent(parent) {
        let Some(seq) = g.code.strip_prefix(prefix.as_str()) else {
            continue;
        };
        if g.layer != *layer || seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        width = width.max(seq.len());
        // Over-long sequences cannot be parsed; they cannot collide with the ones we make.
        if let Ok(v) = seq.parse::<u64>() {
            max = max.max(v);
        }
    }
    // A code outside the pattern may still hold a value we would make (hand-entered data).
    let used: std::collections::HashSet<&str> = d
        .versions_with_parent(parent)
        .map(|g| g.code.as_str())
        .collect();
    let mut out = Vec::with_capacity(n);
    let mut next = max;
    while out.len() < n {
        next += 1;
        let code = format!("{prefix}{next:0width$}");
        if !used.contains(code.as_str()) {
            out.push(code);
        }
    }
    out
}

#[cfg(test)]
mod numbering_tests {
    use super::*;
    use crate::model::{AdminArea, AdminLevel, AreaKind, Grid};
    use geo::{LineString, MultiPolygon, Polygon};

    fn grid(code: &str, layer: Layer, parent: &str, retired: bool) -> Grid {
        let sq = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 1.0),
                (0.0, 1.0),
                (0.0, 0.0),
            ]),
            vec![],
        )]);
        let mut g = Grid::new(
            code,
            layer,
            Some(parent),
            sq,
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
        );
        g.valid_to =
            retired.then(|| chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default());
        g
    }

    #[test]
    fn codes_extend_the_parent_never_reuse_retired_ones_and_keep_micro_and_special_apart() {
        let community = AdminArea {
            code: "341002001001".into(),
            name: "c".into(),
            level: AdminLevel::Community,
            parent: None,
            kind: AreaKind::Urban,
            geometry: None,
        };
        let grids = vec![
            grid("341002001001001", Layer::Base, "341002001001", false),
            grid("341002001001002", Layer::Base, "341002001001", true),
            grid(
                "341002001001001W001",
                Layer::Micro,
                "341002001001001",
                false,
            ),
            grid(
                "341002001001001Z004",
                Layer::Special,
                "341002001001001",
                true,
            ),
        ];
        let d = District::new(vec![community], grids, vec![], vec![]).expect("district");
        assert_eq!(
            next_codes(&d, &Layer::Base, "341002001001", 2, 3),
            vec!["341002001001003", "341002001001004"]
        );
        assert_eq!(
            next_codes(&d, &Layer::Micro, "341002001001001", 1, 3),
            vec!["341002001001001W002"]
        );
        assert_eq!(
            next_codes(&d, &Layer::Special, "341002001001001", 1, 3),
            vec!["341002001001001Z005"]
        );
        // Codes given by a client must follow the rule.
        assert!(check_code(&d, &Layer::Base, "341002001001", "341002001001007").is_ok());
        assert!(check_code(&d, &Layer::Micro, "341002001001001", "341002001001001W012").is_ok());
        for bad in [
            "341002001001",
            "34100200100107",
            "341002001002001",
            "341002001001\u{202e}001",
            "341002001001001'; DROP TABLE grids; --",
            "341002001001１２３",
            "341002001001W001",
        ] {
            assert!(
                check_code(&d, &Layer::Base, "341002001001", bad).is_err(),
                "{bad:?}"
            );
        }
        assert!(check_code(
            &d,
            &Layer::Special,
            "341002001001001",
            "341002001001001W001"
        )
        .is_err());
        // A wider configured sequence.
        assert_eq!(
            next_codes(&d, &Layer::Base, "341002001001", 1, 4),
            vec!["3410020010010003"]
        );
    }
}
