//! A view of the district: change sets pending over a snapshot.
//!
//! The service serves one view, the current district, and plans every edit on a throw-away
//! copy of it. Proposals (several pending change sets that are not committed yet) need more
//! than one view to live side by side, each over the same snapshot and each seeing only its own
//! changes. [`View`] is that: it keeps the snapshot it started from, the change sets applied on
//! top in order, and the district they give. Because [`District`] clones share every part
//! until a part is written, a view costs only what its changes touch.

use crate::district::District;
use crate::edit::{apply, ChangeSet, EditError};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct View {
    base: Arc<District>,
    changes: Vec<ChangeSet>,
    district: Arc<District>,
}

impl View {
    /// A view with no change of its own: it shows `base`.
    pub fn over(base: Arc<District>) -> Self {
        View {
            district: base.clone(),
            base,
            changes: Vec::new(),
        }
    }

    /// The snapshot the view started from (never changed by the view).
    pub fn base(&self) -> &Arc<District> {
        &self.base
    }

    /// The change sets applied on top of the base, in order.
    pub fn changes(&self) -> &[ChangeSet] {
        &self.changes
    }

    /// The district the view shows: the base with its change sets.
    pub fn district(&self) -> &Arc<District> {
        &self.district
    }

    /// Applies a change set on top of the view. It is applied to a copy of the view's district,
    /// so a refused change set leaves the view as it was (and never touches the base, nor any
    /// other view over it).
    pub fn apply(&mut self, changes: ChangeSet) -> Result<(), EditError> {
        let mut next = District::clone(&self.district);
        apply(&mut next, &changes)?;
        self.district = Arc::new(next);
        self.changes.push(changes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::{plan, Edit, EditOptions};
    use crate::model::{AdminArea, AdminLevel, AreaKind, Grid, GridId, GridStatus, Layer};
    use chrono::NaiveDate;
    use geo::{polygon, MultiPolygon};

    const COMMUNITY: &str = "341002001001";

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).expect("valid date")
    }

    fn square(x0: f64) -> MultiPolygon<f64> {
        let (y0, s) = (29.70, 0.01);
        MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s)],
        ])
    }

    fn base_grid(n: u32, x0: f64) -> Grid {
        let mut g = Grid::new(
            &format!("{COMMUNITY}{n:03}"),
            Layer::Base,
            Some(COMMUNITY),
            square(x0),
            day(1),
        );
        g.kind = AreaKind::Urban;
        g
    }

    fn two_grids() -> District {
        let area = AdminArea {
            code: COMMUNITY.into(),
            name: "test community".into(),
            level: AdminLevel::Community,
            parent: None,
            kind: AreaKind::Urban,
            geometry: Some(MultiPolygon(vec![
                polygon![(x: 118.30, y: 29.70), (x: 118.32, y: 29.70), (x: 118.32, y: 29.71), (x: 118.30, y: 29.71)],
            ])),
        };
        District::new(
            vec![area],
            vec![base_grid(1, 118.30), base_grid(2, 118.31)],
            vec![],
            vec![],
        )
        .expect("valid fixture")
    }

    fn suspend(d: &District, id: &GridId) -> ChangeSet {
        let mut planning = d.clone();
        let edit = Edit::SetStatus {
            id: id.clone(),
            status: GridStatus::Suspended,
        };
        plan(&mut planning, &edit, &EditOptions::on(day(10)))
            .expect("a status change plans")
            .changes
    }

    fn status(d: &District, id: &GridId) -> Option<GridStatus> {
        d.grid(id, None).map(|g| g.status)
    }

    /// Two proposals over one snapshot: each sees its own change, neither sees the other's,
    /// and the snapshot itself is untouched.
    #[test]
    fn two_views_over_one_snapshot_do_not_see_each_others_changes() {
        let snapshot = Arc::new(two_grids());
        let (one, two) = (
            GridId::from(format!("{COMMUNITY}001").as_str()),
            GridId::from(format!("{COMMUNITY}002").as_str()),
        );
        let mut a = View::over(snapshot.clone());
        let mut b = View::over(snapshot.clone());
        a.apply(suspend(&snapshot, &one)).expect("a applies");
        b.apply(suspend(&snapshot, &two)).expect("b applies");

        assert_eq!(status(a.district(), &one), Some(GridStatus::Suspended));
        assert_eq!(status(a.district(), &two), Some(GridStatus::Active));
        assert_eq!(status(b.district(), &one), Some(GridStatus::Active));
        assert_eq!(status(b.district(), &two), Some(GridStatus::Suspended));
        assert_eq!(status(&snapshot, &one), Some(GridStatus::Active));
        assert_eq!(status(&snapshot, &two), Some(GridStatus::Active));
        assert_eq!(
            snapshot.history(&one).len(),
            1,
            "no version added to the base"
        );
        assert!(Arc::ptr_eq(a.base(), b.base()));
        assert_eq!((a.changes().len(), b.changes().len()), (1, 1));

        // A change set a view refuses (it was already applied there) leaves that view as it was.
        let before = a.district().clone();
        assert!(a.apply(suspend(&snapshot, &one)).is_err());
        assert!(Arc::ptr_eq(&before, a.district()));
        assert_eq!(a.changes().len(), 1);
    }
}
