//! The in-memory store: the reference behaviour the other backends are tested against.

use super::{ChangeMeta, Person, StoreError, StoreResult, StoredChange, TokenRecord};
use crate::io::dataset::Dataset;
use std::sync::{Arc, Mutex, MutexGuard};
use wangge_engine::edit::{ChangeSet, GridChange};
use wangge_engine::Grid;

#[derive(Debug, Default)]
struct Inner {
    data: Dataset,
    log: Vec<StoredChange>,
    people: Vec<Person>,
    tokens: Vec<TokenRecord>,
    /// Created by the first subscriber; told the id of every change committed after that.
    follow: Option<tokio::sync::watch::Sender<i64>>,
}

impl Inner {
    fn logged(&mut self, change: StoredChange) -> i64 {
        let id = change.id;
        self.log.push(change);
        if let Some(f) = &self.follow {
            f.send_replace(id);
        }
        id
    }
}

/// Cloning shares the store (like a connection pool).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryStore {
    fn lock(&self) -> StoreResult<MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".into()))
    }

    pub fn is_empty(&self) -> StoreResult<bool> {
        let g = self.lock()?;
        Ok(g.data.areas.is_empty() && g.data.grids.is_empty())
    }

    pub fn load(&self) -> StoreResult<Dataset> {
        Ok(self.lock()?.data.clone())
    }

    pub fn import(&self, ds: &Dataset, meta: &ChangeMeta) -> StoreResult<i64> {
        let mut g = self.lock()?;
        for grid in &ds.grids {
            if g.data
                .grids
                .iter()
                .any(|x| x.id == grid.id && x.version == grid.version)
            {
                return Err(StoreError::Invalid(format!(
                    "grid {} version {} is already stored",
                    grid.id, grid.version
                )));
            }
        }
        g.data.areas.extend(ds.areas.iter().cloned());
        g.data.grids.extend(ds.grids.iter().cloned());
        g.data.buildings.extend(ds.buildings.iter().cloned());
        g.data.households.extend(ds.households.iter().cloned());
        let id = g.log.len() as i64 + 1;
        Ok(g.logged(StoredChange {
            id,
            meta: meta.clone(),
            changes: ChangeSet {
                date: meta.at.date_naive(),
                changes: vec![],
            },
        }))
    }

    pub fn commit(
        &self,
        changes: &ChangeSet,
        meta: &ChangeMeta,
        based_on: Option<i64>,
    ) -> StoreResult<i64> {
        let mut g = self.lock()?;
        let latest = g.log.last().map_or(0, |c| c.id);
        if let Some(b) = based_on.filter(|b| *b != latest) {
            return Err(StoreError::Stale {
                based_on: b,
                latest,
            });
        }
        // Check everything first: a refused change set writes nothing.
        for c in &changes.changes {
            check(&g.data.grids, c)?;
        }
        for c in &changes.changes {
            if let Some(before) = &c.before {
                if let Some(cur) = g
                    .data
                    .grids
                    .iter_mut()
                    .find(|x| x.id == before.id && x.valid_to.is_none())
                {
                    cur.valid_to = Some(changes.date);
                }
            }
            if let Some(after) = &c.after {
                g.data.grids.push(after.clone());
            }
        }
        let id = g.log.len() as i64 + 1;
        Ok(g.logged(StoredChange {
            id,
            meta: meta.clone(),
            changes: changes.clone(),
        }))
    }

    pub fn changes_after(&self, id: i64) -> StoreResult<Vec<StoredChange>> {
        Ok(self
            .lock()?
            .log
            .iter()
            .filter(|c| c.id > id)
            .cloned()
            .collect())
    }

    /// The latest change id, updated on every commit in this process.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<i64> {
        match self.lock() {
            Ok(mut g) => {
                let latest = g.log.last().map_or(0, |c| c.id);
                g.follow
                    .get_or_insert_with(|| tokio::sync::watch::Sender::new(latest))
                    .subscribe()
            }
            // A poisoned store never changes again: a receiver that stays at 0 is honest.
            Err(_) => tokio::sync::watch::channel(0).1,
        }
    }

    pub fn latest_change(&self) -> StoreResult<i64> {
        Ok(self.lock()?.log.last().map_or(0, |c| c.id))
    }

    pub fn put_person(&self, p: &Person) -> StoreResult<()> {
        let mut g = self.lock()?;
        g.people.retain(|x| x.id != p.id);
        g.people.push(p.clone());
        Ok(())
    }

    pub fn remove_person(&self, id: &str) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let before = g.people.len();
        g.people.retain(|x| x.id != id);
        Ok(g.people.len() != before)
    }

    pub fn people(&self) -> StoreResult<Vec<Person>> {
        Ok(self.lock()?.people.clone())
    }

    pub fn put_token(&self, t: &TokenRecord) -> StoreResult<()> {
        let mut g = self.lock()?;
        g.tokens.retain(|x| x.id != t.id);
        g.tokens.push(t.clone());
        Ok(())
    }

    pub fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        Ok(self.lock()?.tokens.clone())
    }

    pub fn remove_token(&self, id: &str) -> StoreResult<bool> {
        let mut g = self.lock()?;
        let before = g.tokens.len();
        g.tokens.retain(|x| x.id != id);
        Ok(g.tokens.len() != before)
    }
}

/// The optimistic check of one grid change against the stored versions.
pub(crate) fn check(stored: &[Grid], c: &GridChange) -> StoreResult<()> {
    match (&c.before, &c.after) {
        (Some(before), _) => {
            let current = stored
                .iter()
                .find(|x| x.id == before.id && x.valid_to.is_none())
                .map_or(0, |x| x.version);
            if current != before.version {
                return Err(StoreError::Conflict {
                    grid: before.id.clone(),
                    expected: before.version,
                    actual: current,
                });
            }
            Ok(())
        }
        (None, Some(after)) => {
            if stored.iter().any(|x| x.id == after.id) {
                return Err(StoreError::Invalid(format!(
                    "grid id {} is already in use",
                    after.id
                )));
            }
            if stored.iter().any(|x| x.code == after.code) {
                return Err(StoreError::Invalid(format!(
                    "grid code {} is already in use (codes are never reused)",
                    after.code
                )));
            }
            Ok(())
        }
        (None, None) => Ok(()),
    }
}
