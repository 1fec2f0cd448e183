//! One behavioural suite run against every backend (memory, GeoPackage, PostGIS): what the
//! service relies on, whatever it is stored in.

use crate::common::store::{Backend, TestStore};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use geo::{Coord, MapCoords, MultiPolygon};
use wangge::engine::edit::{ChangeSet, GridChange};
use wangge::engine::{Footprint, Grid, GridId, GridStatus, Household, HouseholdLocation};
use wangge::io::dataset::Dataset;
use wangge::store::{
    ChangeMeta, Person, PersonRole, Role, Store, StoreError, TokenRecord, UnknownOperation,
};

fn demo() -> Dataset {
    let mut ds = crate::common::demo_dataset();
    // The demo keeps households as building counts; add a few records of both kinds.
    for i in 0..50 {
        let b = &ds.buildings[i * 7];
        let location = if i % 2 == 0 {
            HouseholdLocation::Building(b.id.clone())
        } else {
            HouseholdLocation::Point(geo::Point::new(118.3123457 + i as f64 * 1e-7, 29.7000001))
        };
        ds.households.push(Household {
            id: format!("h{i}"),
            location,
            residents: i as u32 % 6,
        });
    }
    ds
}

/// Times with whole microseconds: PostgreSQL keeps timestamps to the microsecond.
fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, minute, 7)
        .single()
        .expect("valid time")
        + chrono::Duration::microseconds(123_456)
}

fn meta(op: &str, minute: u32) -> ChangeMeta {
    ChangeMeta {
        actor: "planner-1".into(),
        reason: format!("test {op} 网格调整"),
        operation: op.parse().expect("a known operation"),
        at: at(minute),
    }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, d).expect("valid date")
}

/// Compares coordinates bit for bit (PartialEq on f64 would accept -0.0 for 0.0).
fn assert_bits(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, what: &str) {
    let bits = |m: &MultiPolygon<f64>| -> Vec<(u64, u64)> {
        use geo::CoordsIter;
        m.coords_iter()
            .map(|c| (c.x.to_bits(), c.y.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(a), bits(b), "{what}: coordinates differ");
}

fn assert_same_data(got: &Dataset, want: &Dataset) {
    assert_eq!(got.areas, want.areas, "areas");
    assert_eq!(got.grids.len(), want.grids.len(), "grid versions");
    for (g, w) in got.grids.iter().zip(&want.grids) {
        assert_eq!(g, w, "grid {} v{}", w.id, w.version);
        assert_bits(&g.geometry, &w.geometry, &format!("grid {}", w.id));
    }
    assert_eq!(got.buildings, want.buildings, "buildings");
    assert_eq!(got.households, want.households, "households");
}

fn current<'a>(ds: &'a Dataset, id: &GridId) -> &'a Grid {
    ds.grids
        .iter()
        .find(|g| &g.id == id && g.valid_to.is_none())
        .expect("current version")
}

/// The next version of `g` on `date`, moved by 1e-7° so the geometry really changes.
fn next_version(g: &Grid, date: NaiveDate) -> Grid {
    let mut n = g.clone();
    n.version += 1;
    n.valid_from = date;
    n.valid_to = None;
    n.status = GridStatus::Suspended;
    n.geometry = g.geometry.map_coords(|c| Coord {
        x: ((c.x + 1e-7) * 1e7).round() / 1e7,
        y: c.y,
    });
    n
}

fn reshape(g: &Grid, date: NaiveDate) -> ChangeSet {
    ChangeSet {
        date,
        changes: vec![GridChange {
            before: Some(g.clone()),
            after: Some(next_version(g, date)),
        }],
    }
}

macro_rules! every_backend {
    ($($name:ident),* $(,)?) => {
        mod memory { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Memory).await } )* }
        mod gpkg { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Gpkg).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Postgres).await } )* }
    };
}

every_backend!(
    import_then_load_is_identical,
    commit_closes_old_and_opens_new_version,
    conflict_is_refused_and_nothing_written,
    create_with_used_id_or_code_is_refused,
    change_log_order_and_contents,
    people_and_tokens_crud,
    is_empty_until_import,
    a_change_planned_before_another_commit_is_stale,
    an_unknown_stored_operation_is_a_typed_error,
    a_change_set_without_after_versions_inserts_nothing_and_is_logged,
    a_version_above_i32_max_is_refused_alike_and_nothing_written,
);

async fn import_then_load_is_identical(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = demo();
    let id = t
        .store
        .import(&ds, &meta("import", 0))
        .await
        .expect("import");
    assert_eq!(id, 1);
    // Read through a second handle, as another process would.
    let got = t.reopen().await.load().await.expect("load");
    assert_same_data(&got, &ds);
    assert!(
        got.grids.iter().any(|g| !g.members.is_empty()),
        "composites kept members"
    );
    assert!(got
        .buildings
        .iter()
        .any(|b| matches!(b.footprint, Footprint::Polygon(_))));
    got.into_district()
        .expect("the loaded dataset builds a district");
}

async fn commit_closes_old_and_opens_new_version(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = demo();
    t.store
        .import(&ds, &meta("import", 0))
        .await
        .expect("import");
    let g = current(&ds, &ds.grids[3].id).clone();
    let change = reshape(&g, day(5));
    let id = t
        .store
        .commit(&change, &meta("reshape", 1))
        .await
        .expect("commit");
    assert_eq!(id, 2);
    let got = t.store.load().await.expect("load");
    let versions: Vec<&Grid> = got.grids.iter().filter(|x| x.id == g.id).collect();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].version, g.version);
    assert_eq!(
        versions[0].valid_to,
        Some(day(5)),
        "old version closed on the change date"
    );
    let new = versions[1];
    assert_eq!(new, change.changes[0].after.as_ref().expect("after"));
    assert_bits(
        &new.geometry,
        &change.changes[0].after.as_ref().expect("after").geometry,
        "new version",
    );
    assert_eq!(got.grids.len(), ds.grids.len() + 1);
}

async fn conflict_is_refused_and_nothing_written(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = demo();
    t.store
        .import(&ds, &meta("import", 0))
        .await
        .expect("import");
    let g = current(&ds, &ds.grids[3].id).clone();
    let other = current(&ds, &ds.grids[4].id).clone();
    t.store
        .commit(&reshape(&g, day(5)), &meta("reshape", 1))
        .await
        .expect("first edit");
    let before = t.store.load().await.expect("load");
    // A second edit made against the old version, together with a valid change of another grid:
    // the whole change set is refused.
    let mut stale = reshape(&other, day(6));
    stale.changes.extend(reshape(&g, day(6)).changes);
    let err = t
        .store
        .commit(&stale, &meta("reshape", 2))
        .await
        .expect_err("stale edit");
    assert_eq!(
        err,
        StoreError::Conflict {
            grid: g.id.clone(),
            expected: g.version,
            actual: g.version + 1
        }
    );
    // Retiring a grid that has no current version any more reports actual 0.
    let retired = ChangeSet {
        date: day(7),
        changes: vec![GridChange {
            before: Some(next_version(&g, day(5))),
            after: None,
        }],
    };
    t.store
        .commit(&retired, &meta("retire", 3))
        .await
        .expect("retire");
    let after_retire = t.store.load().await.expect("load");
    let gone = t
        .store
        .commit(
            &reshape(&next_version(&g, day(5)), day(8)),
            &meta("reshape", 4),
        )
        .await;
    assert_eq!(
        gone,
        Err(StoreError::Conflict {
            grid: g.id.clone(),
            expected: g.version + 1,
            actual: 0
        })
    );
    assert_same_data(&t.store.load().await.expect("load"), &after_retire);
    assert_eq!(
        after_retire.grids.len(),
        before.grids.len(),
        "retire only closes"
    );
    assert_eq!(
        t.store.latest_change().await.expect("latest"),
        3,
        "refused edits are not logged"
    );
    // Nothing of the refused set was written.
    let other_versions = after_retire
        .grids
        .iter()
        .filter(|x| x.id == other.id)
        .count();
    assert_eq!(other_versions, 1);
}

async fn create_with_used_id_or_code_is_refused(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = demo();
    t.store
        .import(&ds, &meta("import", 0))
        .await
        .expect("import");
    let g = current(&ds, &ds.grids[10].id).clone();
    let mut same_id = next_version(&g, day(5));
    same_id.code = "NEW-CODE-1".into();
    let mut same_code = next_version(&g, day(5));
    same_code.id = GridId("new-grid-1".into());
    for after in [same_id, same_code] {
        let c = ChangeSet {
            date: day(5),
            changes: vec![GridChange {
                before: None,
                after: Some(after),
            }],
        };
        match t.store.commit(&c, &meta("create", 1)).await {
            Err(StoreError::Invalid(m)) => assert!(m.contains("already in use"), "{m}"),
            other => panic!("create with a used id or code: {other:?}"),
        }
    }
    assert_same_data(&t.store.load().await.expect("load"), &ds);
    assert_eq!(t.store.latest_change().await.expect("latest"), 1);
    // A fresh id and code is accepted.
    let mut fresh = next_version(&g, day(5));
    fresh.id = GridId("new-grid-2".into());
    fresh.code = "NEW-CODE-2".into();
    fresh.version = 1;
    let c = ChangeSet {
        date: day(5),
        changes: vec![GridChange {
            before: None,
            after: Some(fresh.clone()),
        }],
    };
    t.store
        .commit(&c, &meta("create", 2))
        .await
        .expect("create");
    assert_eq!(
        t.store.load().await.expect("load").grids.last(),
        Some(&fresh)
    );
}

async fn change_log_order_and_contents(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = demo();
    let import_meta = meta("import", 0);
    t.store.import(&ds, &import_meta).await.expect("import");
    let mut expected = vec![];
    for (i, idx) in [3usize, 20, 40].into_iter().enumerate() {
        let g = current(&ds, &ds.grids[idx].id).clone();
        let c = reshape(&g, day(10 + i as u32));
        let m = meta("reshape", 10 + i as u32);
        let id = t.store.commit(&c, &m).await.expect("commit");
        expected.push((id, m, c));
    }
    let log = t.reopen().await.changes_after(0).await.expect("log");
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].id, 1);
    assert_eq!(log[0].meta, import_meta);
    assert!(log[0].changes.changes.is_empty());
    for (entry, (id, m, c)) in log[1..].iter().zip(&expected) {
        assert_eq!(entry.id, *id);
        assert_eq!(&entry.meta, m, "who/when/why/operation");
        assert_eq!(&entry.changes, c, "before/after");
        let a = entry.changes.changes[0].after.as_ref().expect("after");
        assert_bits(
            &a.geometry,
            &c.changes[0].after.as_ref().expect("after").geometry,
            "logged geometry",
        );
    }
    assert!(log.windows(2).all(|w| w[0].id < w[1].id), "ids increase");
    let tail = t.store.changes_after(2).await.expect("tail");
    assert_eq!(tail.iter().map(|c| c.id).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(t.store.latest_change().await.expect("latest"), 4);
}

async fn people_and_tokens_crud(b: Backend) {
    let t = TestStore::new(b).await;
    let p1 = Person {
        id: "p1".into(),
        name: "张三".into(),
        role: PersonRole::GridWorker,
        grids: vec![GridId("g1".into())],
        phone: Some("13800000000".into()),
    };
    let p2 = Person {
        id: "p2".into(),
        name: "李四".into(),
        role: PersonRole::BusinessTeam,
        grids: vec![GridId("g1".into()), GridId("g2".into())],
        phone: None,
    };
    t.store.put_person(&p1).await.expect("put p1");
    t.store.put_person(&p2).await.expect("put p2");
    let p1b = Person {
        name: "张三丰".into(),
        role: PersonRole::GridHead,
        ..p1.clone()
    };
    t.store.put_person(&p1b).await.expect("replace p1");
    assert_eq!(
        t.store.people().await.expect("people"),
        vec![p2.clone(), p1b.clone()]
    );
    assert!(t.store.remove_person("p2").await.expect("remove"));
    assert!(!t.store.remove_person("p2").await.expect("remove again"));
    assert_eq!(t.reopen().await.people().await.expect("people"), vec![p1b]);

    let tok = TokenRecord {
        id: "t1".into(),
        name: "planner".into(),
        role: Role::Planner,
        areas: vec!["341002001001".into()],
        secret_hash: "sha256:abc".into(),
        created_at: at(30),
    };
    let admin = TokenRecord {
        id: "t2".into(),
        name: "admin".into(),
        role: Role::Admin,
        areas: vec![],
        secret_hash: "sha256:def".into(),
        created_at: at(31),
    };
    t.store.put_token(&tok).await.expect("put t1");
    t.store.put_token(&admin).await.expect("put t2");
    assert_eq!(
        t.store.tokens().await.expect("tokens"),
        vec![tok.clone(), admin.clone()]
    );
    assert!(t.store.remove_token("t1").await.expect("remove"));
    assert!(!t.store.remove_token("nope").await.expect("remove unknown"));
    assert_eq!(
        t.reopen().await.tokens().await.expect("tokens"),
        vec![admin]
    );
}

async fn is_empty_until_import(b: Backend) {
    let t = TestStore::new(b).await;
    assert!(t.store.is_empty().await.expect("is_empty"));
    assert_eq!(t.store.latest_change().await.expect("latest"), 0);
    assert!(t.store.changes_after(0).await.expect("log").is_empty());
    t.store
        .import(&demo(), &meta("import", 0))
        .await
        .expect("import");
    assert!(!t.store.is_empty().await.expect("is_empty"));
    assert!(!t.reopen().await.is_empty().await.expect("is_empty"));
    // Importing the same grid versions again is refused, whole.
    let again = t.store.import(&demo(), &meta("import", 1)).await;
    assert!(matches!(again, Err(StoreError::Invalid(_))), "{again:?}");
    assert_eq!(t.store.latest_change().await.expect("latest"), 1);
}

#[allow(dead_code)]
fn _store_is_send(s: Store) -> impl Send {
    s
}

/// A change set planned on an older log position is refused as stale, even when it rewrites
/// other grids than the change committed in between; planned on the newest position it is stored.
async fn a_change_planned_before_another_commit_is_stale(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = demo();
    let base = t
        .store
        .import(&ds, &meta("import", 0))
        .await
        .expect("import");
    assert_eq!(t.store.latest_change().await.expect("latest"), base);
    let g = current(&ds, &ds.grids[3].id).clone();
    let other = current(&ds, &ds.grids[4].id).clone();
    // Another process commits first.
    let first = t
        .store
        .commit_based_on(&reshape(&g, day(5)), &meta("reshape", 1), base)
        .await
        .expect("first edit");
    let before = t.store.load().await.expect("load");
    let err = t
        .store
        .commit_based_on(&reshape(&other, day(5)), &meta("reshape", 2), base)
        .await
        .expect_err("planned on a stale position");
    assert_eq!(
        err,
        StoreError::Stale {
            based_on: base,
            latest: first
        }
    );
    assert_eq!(
        t.store.load().await.expect("load").grids.len(),
        before.grids.len()
    );
    // Planned again on the newest position, it goes through.
    t.store
        .commit_based_on(&reshape(&other, day(5)), &meta("reshape", 2), first)
        .await
        .expect("replanned edit");
}

/// Change logs store the operation as its name; a name no operation has (a newer version's, or
/// damage) is refused with a typed error naming it, never read as some default.
async fn an_unknown_stored_operation_is_a_typed_error(b: Backend) {
    let t = TestStore::new(b).await;
    t.store
        .import(&demo(), &meta("import", 0))
        .await
        .expect("import");
    let tamper = "UPDATE change_sets SET operation = 'frobnicate'";
    match b {
        // The memory store keeps the enum itself: nothing to tamper with.
        Backend::Memory => return,
        Backend::Gpkg => {
            let file = t.dir.path().join("data").join("wangge.gpkg");
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
                .await
                .expect("opening the GeoPackage");
            sqlx::query(tamper).execute(&pool).await.expect("tampering");
            pool.close().await;
        }
        Backend::Postgres => {
            let url = t.url.as_deref().expect("PostgreSQL URL");
            let pool = sqlx::PgPool::connect(url).await.expect("connecting");
            sqlx::query(tamper).execute(&pool).await.expect("tampering");
            pool.close().await;
        }
    }
    assert_eq!(
        t.store.changes_after(0).await,
        Err(StoreError::UnknownOperation(UnknownOperation(
            "frobnicate".into()
        )))
    );
}

/// The three commits had drifted on change sets with no `after` version (PostGIS skipped the
/// insert, the GeoPackage ran an empty one): on every backend a retirement and an empty change
/// set insert no grid version, and each is logged with its own id.
async fn a_change_set_without_after_versions_inserts_nothing_and_is_logged(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = demo();
    t.store
        .import(&ds, &meta("import", 0))
        .await
        .expect("import");
    let g = current(&ds, &ds.grids[2].id).clone();
    let retire = ChangeSet {
        date: day(5),
        changes: vec![GridChange {
            before: Some(g.clone()),
            after: None,
        }],
    };
    let empty = ChangeSet {
        date: day(6),
        changes: vec![],
    };
    assert_eq!(t.store.commit(&retire, &meta("retire", 1)).await, Ok(2));
    assert_eq!(t.store.commit(&empty, &meta("set_status", 2)).await, Ok(3));
    let got = t.reopen().await.load().await.expect("load");
    assert_eq!(got.grids.len(), ds.grids.len(), "no version added");
    let closed = got
        .grids
        .iter()
        .find(|x| x.id == g.id)
        .expect("the retired grid");
    assert_eq!(closed.valid_to, Some(day(5)));
    let log = t.store.changes_after(1).await.expect("log");
    assert_eq!(log.iter().map(|c| c.id).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(log[0].changes, retire);
    assert_eq!(log[1].changes, empty);
}

/// Versions were cast differently (PostGIS `i32`, the GeoPackage `i64`, memory `u32`): a
/// version above `i32::MAX` is now refused as invalid on every backend, with the same message,
/// whether it is the edited or the new version, and nothing is written.
async fn a_version_above_i32_max_is_refused_alike_and_nothing_written(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = demo();
    t.store
        .import(&ds, &meta("import", 0))
        .await
        .expect("import");
    let g = current(&ds, &ds.grids[4].id).clone();
    let big = i32::MAX as u32 + 1;
    let mut too_new = reshape(&g, day(5));
    if let Some(after) = too_new.changes[0].after.as_mut() {
        after.version = big;
    }
    let mut too_old = g.clone();
    too_old.version = big;
    let want = |v: &Grid| {
        Err(StoreError::Invalid(format!(
            "grid {} version {big} is too large (at most {})",
            v.id,
            i32::MAX
        )))
    };
    assert_eq!(
        t.store.commit(&too_new, &meta("reshape", 1)).await,
        want(&g)
    );
    let old = reshape(&too_old, day(5));
    assert_eq!(t.store.commit(&old, &meta("reshape", 2)).await, want(&g));
    assert_same_data(&t.store.load().await.expect("load"), &ds);
    assert_eq!(t.store.latest_change().await, Ok(1), "nothing logged");
}
