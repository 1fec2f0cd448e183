//! What the two SQL backends share, written once: the rows they bulk-load ([`Row`]), following
//! the change log ([`follow`]), and — in [`shared_sql!`] — the commit protocol's transaction
//! ([`super::commit::WriteTx`]), the change log, people and tokens.
//!
//! The tiny dialect: both take `$1` placeholders (sqlx's SQLite driver reads `$N` as `?N`) and
//! `CAST(x AS TEXT)`; they differ in the JSON cast on insert (`::jsonb` or none), the column
//! keeping insertion order (`seq` or the GeoPackage's `fid`) and how a timestamp is written
//! (`timestamptz`, or RFC 3339 text ending in `Z`).

use super::geom::Shape;
use super::{record, StoreResult};
use chrono::NaiveDate;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use wangge_engine::{AdminArea, Building, Footprint, Grid, GridId, Household, HouseholdLocation};

/// A column value of a bulk-loaded row, as both bulk loaders (batched INSERT, COPY) write it.
pub(super) enum Val<'a> {
    Null,
    Str(&'a str),
    Text(String),
    Int(i64),
    Real(f64),
    Date(NaiveDate),
    Shape(Shape),
}

fn opt<'a, T>(v: Option<T>, f: impl FnOnce(T) -> Val<'a>) -> Val<'a> {
    v.map_or(Val::Null, f)
}

/// A row of a bulk-loaded table: its values in the order of `COLUMNS`.
pub(super) trait Row: Sync {
    const TABLE: &'static str;
    const COLUMNS: &'static str;
    fn values(&self) -> StoreResult<Vec<Val<'_>>>;
}

impl Row for AdminArea {
    const TABLE: &'static str = "admin_areas";
    const COLUMNS: &'static str = "code, name, level, parent, kind, geometry";
    fn values(&self) -> StoreResult<Vec<Val<'_>>> {
        Ok(vec![
            Val::Str(&self.code),
            Val::Str(&self.name),
            Val::Str(self.level.as_str()),
            opt(self.parent.as_deref(), Val::Str),
            Val::Str(self.kind.as_str()),
            opt(self.geometry.clone(), |g| {
                Val::Shape(Shape::MultiPolygon(g))
            }),
        ])
    }
}

impl Row for Grid {
    const TABLE: &'static str = "grids";
    const COLUMNS: &'static str = "id, version, code, name, layer, parent, kind, status, \
        category, network, properties, geometry, valid_from, valid_to";
    fn values(&self) -> StoreResult<Vec<Val<'_>>> {
        Ok(vec![
            Val::Str(&self.id.0),
            Val::Int(i64::from(self.version)),
            Val::Str(&self.code),
            Val::Str(&self.name),
            Val::Str(self.layer.as_str()),
            opt(self.parent.as_deref(), Val::Str),
            Val::Str(self.kind.as_str()),
            Val::Str(self.status.as_str()),
            opt(self.category.map(|c| c.as_str()), Val::Str),
            opt(self.network.as_deref(), Val::Str),
            Val::Text(record::json_text(&self.properties, "grid properties")?),
            Val::Shape(Shape::MultiPolygon(self.geometry.clone())),
            Val::Date(self.valid_from),
            opt(self.valid_to, Val::Date),
        ])
    }
}

/// A grid version's member (the grids a merged or parent grid lists), in order.
pub(super) struct Member<'a>(&'a Grid, usize, &'a GridId);

pub(super) fn members<'a>(grids: &'a [Grid]) -> Vec<Member<'a>> {
    let each = |g: &'a Grid| {
        g.members
            .iter()
            .enumerate()
            .map(move |(i, m)| Member(g, i, m))
    };
    grids.iter().flat_map(each).collect()
}

impl Row for Member<'_> {
    const TABLE: &'static str = "grid_members";
    const COLUMNS: &'static str = "grid_id, grid_version, ord, member_id";
    fn values(&self) -> StoreResult<Vec<Val<'_>>> {
        let Member(g, ord, m) = self;
        // A position in a Vec is far below i64::MAX.
        let ord = *ord as i64;
        Ok(vec![
            Val::Str(&g.id.0),
            Val::Int(i64::from(g.version)),
            Val::Int(ord),
            Val::Str(&m.0),
        ])
    }
}

impl Row for Building {
    const TABLE: &'static str = "buildings";
    const COLUMNS: &'static str = "id, geometry, households, residents, usage";
    fn values(&self) -> StoreResult<Vec<Val<'_>>> {
        let shape = match &self.footprint {
            Footprint::Polygon(p) => Shape::Polygon(p.clone()),
            Footprint::Point(p) => Shape::Point(*p),
        };
        Ok(vec![
            Val::Str(&self.id),
            Val::Shape(shape),
            Val::Int(i64::from(self.households)),
            Val::Int(i64::from(self.residents)),
            opt(self.usage.as_deref(), Val::Str),
        ])
    }
}

impl Row for Household {
    const TABLE: &'static str = "households";
    const COLUMNS: &'static str = "id, building_id, lon, lat, residents";
    fn values(&self) -> StoreResult<Vec<Val<'_>>> {
        let (building, lon, lat) = match &self.location {
            HouseholdLocation::Building(b) => (Val::Str(b), Val::Null, Val::Null),
            HouseholdLocation::Point(p) => (Val::Null, Val::Real(p.x()), Val::Real(p.y())),
        };
        Ok(vec![
            Val::Str(&self.id),
            building,
            lon,
            lat,
            Val::Int(i64::from(self.residents)),
        ])
    }
}

/// What wakes a follower of the change log before its next poll (PostGIS: a notification).
pub(super) trait Wake: Send + 'static {
    fn wait(&mut self) -> impl Future<Output = ()> + Send;
}

/// No notifications: the follower only polls.
impl Wake for () {
    fn wait(&mut self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }
}

/// Keeps `tx` at the latest change id, read with `latest` after each wake-up and every `poll`
/// (a lost notification only delays an update), until every receiver is gone.
pub(super) fn follow<F>(
    tx: watch::Sender<i64>,
    poll: Duration,
    mut wake: impl Wake,
    latest: impl Fn() -> F + Send + 'static,
) where
    F: Future<Output = StoreResult<i64>> + Send,
{
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tx.closed() => break,
                _ = wake.wait() => {}
                _ = tokio::time::sleep(poll) => {}
            }
            match latest().await {
                Ok(id) => {
                    tx.send_if_modified(|cur| {
                        let newer = id > *cur;
                        *cur = id.max(*cur);
                        newer
                    });
                }
                Err(e) => log::warn!("polling the change log failed: {e}"),
            }
        }
    });
}

/// The SQL both backends run, expanded once in each backend module for its store type and
/// database. A macro rather than code generic over `sqlx::Database`: that code needs a dozen
/// `where` bounds (executor, encode and decode of each type), which Rust does not imply and
/// which would have to be repeated on every impl; expanded, every query is concretely typed.
/// The module provides `Self::begin_write`, `Self::notifier()` ([`Wake`]), `POLL`, and its bulk
/// load `bulk(conn, rows, progress)`.
macro_rules! shared_sql {
    ($store:ident, $db:ty, json = $json:literal, seq = $seq:literal, stamp = $stamp:path, bulk = $bulk:ident) => {
        impl $store {
            /// The latest change id, read through a pool or inside a write transaction.
            async fn latest_in<'e>(e: impl sqlx::Executor<'e, Database = $db>) -> StoreResult<i64> {
                sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM change_sets")
                    .fetch_one(e)
                    .await
                    .map_err(be("reading the latest change"))
            }

            pub(crate) async fn latest_change(&self) -> StoreResult<i64> {
                Self::latest_in(&self.pool).await
            }

            pub(crate) async fn is_empty(&self) -> StoreResult<bool> {
                sqlx::query_scalar(
                    "SELECT NOT EXISTS (SELECT 1 FROM admin_areas) \
                     AND NOT EXISTS (SELECT 1 FROM grids)",
                )
                .fetch_one(&self.pool)
                .await
                .map_err(be("checking whether the store is empty"))
            }

            /// The latest committed change id: polled every `POLL`, and re-read whenever the
            /// backend's notifier wakes.
            pub(crate) async fn subscribe(&self) -> StoreResult<watch::Receiver<i64>> {
                // The notifier first: nothing committed between it and the first read is missed.
                let wake = self.notifier().await;
                let pool = self.pool.clone();
                let (tx, rx) = watch::channel(Self::latest_in(&pool).await?);
                sql::follow(tx, POLL, wake, move || {
                    let pool = pool.clone();
                    async move { Self::latest_in(&pool).await }
                });
                Ok(rx)
            }

            pub(crate) async fn changes_after(&self, id: i64) -> StoreResult<Vec<StoredChange>> {
                type LogRow = (i64, String, String, String, DateTime<Utc>, NaiveDate, String);
                let rows = sqlx::query_as::<_, LogRow>(
                    "SELECT id, actor, reason, operation, at, change_date, \
                     CAST(changes AS TEXT) FROM change_sets WHERE id > $1 ORDER BY id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(be("reading the change log"))?;
                let change = |(id, actor, reason, operation, at, day, json): LogRow| {
                    let operation = operation.parse()?;
                    let meta = ChangeMeta { actor, reason, operation, at };
                    let changes = record::changes_from_json(day, &json)?;
                    Ok(StoredChange { id, meta, changes })
                };
                rows.into_iter().map(change).collect()
            }

            /// Runs `sql`, a DELETE of the record `id`; whether there was one. A replacement
            /// deletes and inserts again, so the record moves to the end of the listing.
            async fn delete(conn: &mut <$db as sqlx::Database>::Connection, sql: &'static str, id: &str)
                -> StoreResult<bool> {
                let r = sqlx::query(sql).bind(id).execute(conn).await;
                Ok(r.map_err(be("removing a record"))?.rows_affected() > 0)
            }

            pub(crate) async fn put_person(&self, p: &Person) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                Self::delete(&mut tx, "DELETE FROM grid_people WHERE id = $1", &p.id).await?;
                sqlx::query(concat!(
                    "INSERT INTO grid_people (id, name, role, grids, phone) \
                     VALUES ($1, $2, $3, $4", $json, ", $5)"
                ))
                .bind(&p.id)
                .bind(&p.name)
                .bind(record::enum_text(&p.role))
                .bind(record::json_text(&p.grids, "a person's grids")?)
                .bind(&p.phone)
                .execute(&mut *tx)
                .await
                .map_err(be("storing a person"))?;
                tx.commit().await.map_err(be("storing a person"))
            }

            pub(crate) async fn remove_person(&self, id: &str) -> StoreResult<bool> {
                let mut conn = self.pool.acquire().await.map_err(be("removing a person"))?;
                Self::delete(&mut conn, "DELETE FROM grid_people WHERE id = $1", id).await
            }

            pub(crate) async fn people(&self) -> StoreResult<Vec<Person>> {
                let rows = sqlx::query_as::<_, (String, String, String, String, Option<String>)>(
                    concat!("SELECT id, name, role, CAST(grids AS TEXT), phone FROM grid_people ORDER BY ", $seq),
                )
                .fetch_all(&self.pool)
                .await
                .map_err(be("reading people"))?;
                let person = |(id, name, role, grids, phone): (String, String, String, String, _)| {
                    Ok(Person {
                        role: record::parse_enum("person role", &role)?,
                        grids: record::from_json_text(&grids, "a person's grids")?,
                        id, name, phone,
                    })
                };
                rows.into_iter().map(person).collect()
            }

            pub(crate) async fn put_token(&self, t: &TokenRecord) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                Self::delete(&mut tx, "DELETE FROM api_tokens WHERE id = $1", &t.id).await?;
                sqlx::query(concat!(
                    "INSERT INTO api_tokens (id, name, role, areas, secret_hash, created_at) \
                     VALUES ($1, $2, $3, $4", $json, ", $5, $6)"
                ))
                .bind(&t.id)
                .bind(&t.name)
                .bind(record::enum_text(&t.role))
                .bind(record::json_text(&t.areas, "a token's areas")?)
                .bind(&t.secret_hash)
                .bind($stamp(&t.created_at))
                .execute(&mut *tx)
                .await
                .map_err(be("storing a token"))?;
                tx.commit().await.map_err(be("storing a token"))
            }

            pub(crate) async fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
                type TokenRow = (String, String, String, String, String, DateTime<Utc>);
                let rows = sqlx::query_as::<_, TokenRow>(concat!(
                    "SELECT id, name, role, CAST(areas AS TEXT), secret_hash, created_at \
                     FROM api_tokens ORDER BY ", $seq
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(be("reading tokens"))?;
                let token = |(id, name, role, areas, secret_hash, created_at): TokenRow| {
                    Ok(TokenRecord {
                        role: record::parse_enum("token role", &role)?,
                        areas: record::from_json_text(&areas, "a token's areas")?,
                        id, name, secret_hash, created_at,
                    })
                };
                rows.into_iter().map(token).collect()
            }

            pub(crate) async fn remove_token(&self, id: &str) -> StoreResult<bool> {
                let mut conn = self.pool.acquire().await.map_err(be("removing a token"))?;
                Self::delete(&mut conn, "DELETE FROM api_tokens WHERE id = $1", id).await
            }
        }

        impl<'c> WriteTx for sqlx::Transaction<'c, $db> {
            async fn latest_change(&mut self) -> StoreResult<i64> {
                $store::latest_in(&mut **self).await
            }

            async fn current_version(&mut self, grid: &GridId) -> StoreResult<Option<i64>> {
                sqlx::query_scalar(
                    "SELECT CAST(version AS BIGINT) FROM grids WHERE id = $1 AND valid_to IS NULL",
                )
                .bind(&grid.0)
                .fetch_optional(&mut **self)
                .await
                .map_err(be("reading a grid's current version"))
            }

            async fn in_use(&mut self, grid: &Grid) -> StoreResult<(bool, bool)> {
                sqlx::query_as(
                    "SELECT EXISTS (SELECT 1 FROM grids WHERE id = $1), \
                            EXISTS (SELECT 1 FROM grids WHERE code = $2)",
                )
                .bind(&grid.id.0)
                .bind(&grid.code)
                .fetch_one(&mut **self)
                .await
                .map_err(be("checking a new grid's id and code"))
            }

            async fn close_version(&mut self, grid: &GridId, version: i64, day: NaiveDate)
                -> StoreResult<bool> {
                let closed = sqlx::query(
                    "UPDATE grids SET valid_to = $3 \
                     WHERE id = $1 AND version = $2 AND valid_to IS NULL",
                )
                .bind(&grid.0)
                .bind(version)
                .bind(day)
                .execute(&mut **self)
                .await
                .map_err(be("closing a grid version"))?;
                Ok(closed.rows_affected() == 1)
            }

            async fn insert_grids(&mut self, grids: &[Grid]) -> StoreResult<()> {
                $bulk(&mut **self, grids, &|_, _| {}).await?;
                $bulk(&mut **self, &sql::members(grids), &|_, _| {}).await
            }

            async fn bulk_load(&mut self, ds: &Dataset, progress: &ImportProgress<'_>)
                -> StoreResult<()> {
                $bulk(&mut **self, &ds.areas, progress).await?;
                $bulk(&mut **self, &ds.grids, progress).await?;
                $bulk(&mut **self, &sql::members(&ds.grids), progress).await?;
                $bulk(&mut **self, &ds.buildings, progress).await?;
                $bulk(&mut **self, &ds.households, progress).await
            }

            async fn log_change(&mut self, changes: &ChangeSet, meta: &ChangeMeta)
                -> StoreResult<i64> {
                sqlx::query_scalar(concat!(
                    "INSERT INTO change_sets (actor, reason, operation, at, change_date, changes) \
                     VALUES ($1, $2, $3, $4, $5, $6", $json, ") RETURNING id"
                ))
                .bind(&meta.actor)
                .bind(&meta.reason)
                .bind(meta.operation.as_str())
                .bind($stamp(&meta.at))
                .bind(changes.date)
                .bind(record::changes_to_json(changes)?)
                .fetch_one(&mut **self)
                .await
                .map_err(be("writing the change log"))
            }

            async fn commit(self) -> StoreResult<()> {
                sqlx::Transaction::commit(self).await.map_err(be("committing a write"))
            }
        }
    };
}
pub(super) use shared_sql;
