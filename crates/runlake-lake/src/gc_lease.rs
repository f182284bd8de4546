//! The lease `gc` holds while it deletes, so that a writer whose commit lands meanwhile can wait
//! for it to finish and then put back any file it deleted (see `spec/FORMAT.md`, section 9).
//!
//! Each running `gc` keeps `_runlake/gc/<id>.json` holding a heartbeat time, refreshed while it
//! deletes; a lease whose heartbeat is older than [`STALE_AFTER_MS`] belongs to a gc that died
//! and is ignored.

use std::time::{Duration, Instant};

use futures::StreamExt;
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use crate::error::{Result, store_err};
use crate::lake::{Lake, now_ms};

/// Where leases live.
pub(crate) const GC_DIR: &str = "_runlake/gc";
/// A lease not refreshed for this long belongs to a gc that is gone.
pub(crate) const STALE_AFTER_MS: i64 = 30_000;
const BEAT_EVERY: Duration = Duration::from_secs(2);

#[derive(Serialize, Deserialize)]
struct Body {
    heartbeat_ms: i64,
}

/// A held lease.
pub(crate) struct Lease {
    lake: Lake,
    rel: String,
    last_beat: Instant,
}

impl Lease {
    /// Takes a lease for this gc run.
    pub async fn take(lake: &Lake) -> Result<Self> {
        let rel = format!("{GC_DIR}/{}.json", uuid::Uuid::new_v4());
        let lease = Self {
            lake: lake.clone(),
            rel,
            last_beat: Instant::now(),
        };
        lease.put().await?;
        Ok(lease)
    }

    async fn put(&self) -> Result<()> {
        let body = serde_json::to_vec(&Body {
            heartbeat_ms: now_ms(),
        })
        .unwrap_or_default();
        self.lake
            .store()
            .put(&self.lake.path(&self.rel), PutPayload::from(body))
            .await
            .map_err(store_err(self.lake.display_path(&self.rel)))?;
        Ok(())
    }

    /// Refreshes the heartbeat when it is due.
    pub async fn beat(&mut self) -> Result<()> {
        if self.last_beat.elapsed() >= BEAT_EVERY {
            self.put().await?;
            self.last_beat = Instant::now();
        }
        Ok(())
    }

    /// Gives the lease up.
    pub async fn release(self) -> Result<()> {
        match self.lake.store().delete(&self.lake.path(&self.rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_err(self.lake.display_path(&self.rel))(e)),
        }
    }
}

/// Whether some gc holds a live lease now.
async fn gc_running(lake: &Lake) -> Result<bool> {
    let prefix = lake.path(GC_DIR);
    let mut listing = lake.store().list(Some(&prefix));
    while let Some(meta) = listing.next().await {
        let meta = match meta {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => break,
            Err(e) => return Err(store_err(prefix.to_string())(e)),
        };
        let Ok(got) = lake.store().get(&meta.location).await else {
            continue;
        };
        let Ok(bytes) = got.bytes().await else {
            continue;
        };
        // A heartbeat far in the future (a skewed clock, a stray file) must not hold writers
        // forever: only one within the staleness window either way counts.
        if let Ok(body) = serde_json::from_slice::<Body>(&bytes)
            && now_ms().saturating_sub(body.heartbeat_ms).abs() < STALE_AFTER_MS
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Waits until no gc holds a live lease.
pub(crate) async fn wait_for_gc(lake: &Lake) -> Result<()> {
    while gc_running(lake).await? {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lease_at(lake: &Lake, heartbeat_ms: i64) {
        let body = serde_json::to_vec(&Body { heartbeat_ms }).expect("json");
        lake.objects()
            .put(
                &Lake::object_path(&format!("{GC_DIR}/x.json")),
                PutPayload::from(body),
            )
            .await
            .expect("put");
    }

    #[tokio::test]
    async fn only_a_heartbeat_near_now_holds_writers() {
        let lake = Lake::in_memory();
        assert!(!gc_running(&lake).await.expect("list"));
        lease_at(&lake, now_ms()).await;
        assert!(gc_running(&lake).await.expect("list"));
        for skewed in [now_ms() - 2 * STALE_AFTER_MS, now_ms() + 3_600_000] {
            lease_at(&lake, skewed).await;
            assert!(!gc_running(&lake).await.expect("list"), "{skewed}");
        }
    }
}
