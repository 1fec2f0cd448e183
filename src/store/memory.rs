//! The in-memory store: the reference behaviour the other backends are tested against. It runs
//! the same commit routine ([`super::commit`]); its write transaction is a copy of the state,
//! swapped in on commit.

use super::commit::WriteTx;
use super::TokenRecord;
use super::{ChangeMeta, ImportProgress, Person, StoreError, StoreResult, StoredChange};
use crate::io::dataset::Dataset;
use chrono::NaiveDate;
use std::sync::Arc;
use tokio::sync::{watch, Mutex, OwnedMutexGuard};
use wangge_engine::edit::ChangeSet;
use wangge_engine::{Grid, GridId};

#[derive(Debug, Default)]
struct State {
    data: Dataset,
    log: Vec<StoredChange>,
    people: Vec<Person>,
    tokens: Vec<TokenRecord>,
}

/// Cloning shares the store (like a connection pool). A tokio mutex: the commit routine holds
/// the state across awaits, and it cannot be poisoned.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
    /// Told the id of every change committed.
    follow: Arc<watch::Sender<i64>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            state: Arc::default(),
            follow: Arc::new(watch::Sender::new(0)),
        }
    }
}

/// A write: the stored state locked, and the next state being written: a copy of the grid
/// versions (edits close and add them) and the rows an import adds (only ever appended, so the
/// large tables are not copied on every edit).
pub(crate) struct MemoryTx {
    state: OwnedMutexGuard<State>,
    grids: Vec<Grid>,
    added: Dataset,
    logged: Option<StoredChange>,
    follow: Arc<watch::Sender<i64>>,
}

impl MemoryStore {
    pub(crate) async fn begin_write(&self) -> StoreResult<MemoryTx> {
        let state = self.state.clone().lock_owned().await;
        Ok(MemoryTx {
            grids: state.data.grids.clone(),
            added: Dataset::default(),
            state,
            logged: None,
            follow: self.follow.clone(),
        })
    }

    pub(crate) async fn migrate(&self) -> StoreResult<()> {
        Ok(())
    }

    pub(crate) async fn close(&self) {}

    pub(crate) async fn is_empty(&self) -> StoreResult<bool> {
        let s = self.state.lock().await;
        Ok(s.data.areas.is_empty() && s.data.grids.is_empty())
    }

    pub(crate) async fn load(&self) -> StoreResult<Dataset> {
        Ok(self.state.lock().await.data.clone())
    }

    pub(crate) async fn changes_after(&self, id: i64) -> StoreResult<Vec<StoredChange>> {
        let s = self.state.lock().await;
        Ok(s.log.iter().filter(|c| c.id > id).cloned().collect())
    }

    /// The latest change id, updated on every commit in this process.
    pub(crate) async fn subscribe(&self) -> StoreResult<watch::Receiver<i64>> {
        Ok(self.follow.subscribe())
    }

    pub(crate) async fn latest_change(&self) -> StoreResult<i64> {
        Ok(self.state.lock().await.log.last().map_or(0, |c| c.id))
    }

    pub(crate) async fn put_person(&self, p: &Person) -> StoreResult<()> {
        put(&mut self.state.lock().await.people, p, |x| &x.id);
        Ok(())
    }

    pub(crate) async fn remove_person(&self, id: &str) -> StoreResult<bool> {
        Ok(remove(&mut self.state.lock().await.people, id, |x| &x.id))
    }

    pub(crate) async fn people(&self) -> StoreResult<Vec<Person>> {
        Ok(self.state.lock().await.people.clone())
    }

    pub(crate) async fn put_token(&self, t: &TokenRecord) -> StoreResult<()> {
        put(&mut self.state.lock().await.tokens, t, |x| &x.id);
        Ok(())
    }

    pub(crate) async fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        Ok(self.state.lock().await.tokens.clone())
    }

    pub(crate) async fn remove_token(&self, id: &str) -> StoreResult<bool> {
        Ok(remove(&mut self.state.lock().await.tokens, id, |x| &x.id))
    }
}

/// Replaces the record with `v`'s id, moving it to the end (as the SQL stores' delete + insert).
fn put<T: Clone>(list: &mut Vec<T>, v: &T, id: impl Fn(&T) -> &String) {
    list.retain(|x| id(x) != id(v));
    list.push(v.clone());
}

fn remove<T>(list: &mut Vec<T>, key: &str, id: impl Fn(&T) -> &String) -> bool {
    let before = list.len();
    list.retain(|x| id(x) != key);
    list.len() != before
}

impl WriteTx for MemoryTx {
    async fn latest_change(&mut self) -> StoreResult<i64> {
        Ok(self.state.log.last().map_or(0, |c| c.id))
    }

    async fn current_version(&mut self, grid: &GridId) -> StoreResult<Option<i64>> {
        let current = self
            .grids
            .iter()
            .find(|x| x.id == *grid && x.valid_to.is_none());
        Ok(current.map(|x| i64::from(x.version)))
    }

    async fn in_use(&mut self, grid: &Grid) -> StoreResult<(bool, bool)> {
        let grids = &self.grids;
        Ok((
            grids.iter().any(|x| x.id == grid.id),
            grids.iter().any(|x| x.code == grid.code),
        ))
    }

    async fn close_version(
        &mut self,
        grid: &GridId,
        version: i64,
        day: NaiveDate,
    ) -> StoreResult<bool> {
        let current = self
            .grids
            .iter_mut()
            .find(|x| x.id == *grid && i64::from(x.version) == version && x.valid_to.is_none());
        Ok(current.map(|x| x.valid_to = Some(day)).is_some())
    }

    async fn insert_grids(&mut self, grids: &[Grid]) -> StoreResult<()> {
        self.grids.extend_from_slice(grids);
        Ok(())
    }

    async fn bulk_load(&mut self, ds: &Dataset, _: &ImportProgress<'_>) -> StoreResult<()> {
        // What the SQL stores' unique key on (id, version) refuses.
        if let Some(g) = ds.grids.iter().find(|g| {
            self.grids
                .iter()
                .any(|x| x.id == g.id && x.version == g.version)
        }) {
            return Err(StoreError::Invalid(format!(
                "grid {} version {} is already stored",
                g.id, g.version
            )));
        }
        self.grids.extend_from_slice(&ds.grids);
        let added = &mut self.added;
        added.areas.extend_from_slice(&ds.areas);
        added.buildings.extend_from_slice(&ds.buildings);
        added.households.extend_from_slice(&ds.households);
        Ok(())
    }

    async fn log_change(&mut self, changes: &ChangeSet, meta: &ChangeMeta) -> StoreResult<i64> {
        let id = self.state.log.len() as i64 + 1;
        self.logged = Some(StoredChange {
            id,
            meta: meta.clone(),
            changes: changes.clone(),
        });
        Ok(id)
    }

    async fn commit(mut self) -> StoreResult<()> {
        let (data, added) = (&mut self.state.data, std::mem::take(&mut self.added));
        data.grids = std::mem::take(&mut self.grids);
        data.areas.extend(added.areas);
        data.buildings.extend(added.buildings);
        data.households.extend(added.households);
        if let Some(change) = self.logged.take() {
            self.follow.send_replace(change.id);
            self.state.log.push(change);
        }
        Ok(())
    }
}
