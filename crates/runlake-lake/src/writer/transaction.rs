//! A transaction: rows for any tables, committed as one new version.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use arrow::array::{AsArray, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use futures::{StreamExt, TryStreamExt};
use runlake_format::{DataFile, Operation, ParentRef, Table};
use serde::Serialize;

use crate::commit::{PutOutcome, backoff, check_commutes, put_manifest};
use crate::error::{LakeError, Result, arrow_err};
use crate::lake::{Lake, now_ms, writer_name};
use crate::writer::encoder::{Chunk, Encoder};
use crate::writer::keys::{Fingerprint, FingerprintBuild, fingerprints, row_fingerprints};
use crate::writer::plan::{Removal, Request, UpsertedKeys, plan_removal};
use crate::writer::upload::restore_if_missing;
use crate::writer::{EncodedFile, encode_partition, partition_of, upload_file};

/// What a commit did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CommitOutcome {
    /// The new version, or `None` when the transaction changed nothing.
    pub version: Option<u64>,
    /// Rows of the transaction now live.
    pub rows_added: u64,
    /// Rows removed from the lake (replaced or deleted).
    pub rows_removed: u64,
    /// Rows of touched files kept and rewritten into new files.
    pub rows_rewritten: u64,
    /// Identical rows given more than once in the transaction, written once.
    pub rows_deduplicated: u64,
    /// Data files added.
    pub files_added: u64,
    /// Data files removed from the live set.
    pub files_removed: u64,
    /// Bytes of the added files.
    pub bytes_added: u64,
    /// Commit attempts (more than one after losing races).
    pub attempts: u32,
}

/// The rows of one table partition waiting to be written.
#[derive(Default)]
struct Buffer {
    batches: Vec<RecordBatch>,
    rows: usize,
    bytes: usize,
}

/// Bytes of the rows a batch holds (not of whole buffers a slice of it shares).
pub(crate) fn batch_bytes(batch: &RecordBatch) -> usize {
    batch
        .columns()
        .iter()
        .map(|c| c.to_data().get_slice_memory_size().unwrap_or(0))
        .sum()
}

#[derive(Default)]
struct TableTx {
    buffers: BTreeMap<Vec<Option<String>>, Buffer>,
    /// Upserted keys, each with the fingerprint of its whole row.
    keys: HashMap<Fingerprint, Fingerprint, FingerprintBuild>,
    /// Keys upserted by a caller that never repeats one (see [`Transaction::upsert_distinct`]).
    distinct: HashSet<Fingerprint, FingerprintBuild>,
    deleted_runs: BTreeSet<String>,
    /// Every file live at the base version goes, without reading it.
    replace_all: bool,
    runs: BTreeSet<String>,
    rows_deduplicated: u64,
}

/// Rows for one or more tables, committed atomically as one version.
///
/// Rows are validated as they arrive, buffered per table partition, and written to Parquet
/// files (sorted, zstd, content-named) whenever a buffer fills, so memory stays bounded by the
/// buffer size rather than the input size. Nothing is visible to readers until [`commit`].
///
/// [`commit`]: Transaction::commit
pub struct Transaction {
    lake: Lake,
    kind: String,
    description: String,
    tables: BTreeMap<Table, TableTx>,
    encoder: Option<Encoder>,
    encoded: Vec<EncodedFile>,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("lake", &self.lake.location())
            .field("kind", &self.kind)
            .field("files_encoded", &self.encoded.len())
            .finish()
    }
}

impl Transaction {
    pub(crate) fn new(lake: Lake, kind: &str, description: &str) -> Self {
        Self {
            lake,
            kind: kind.to_owned(),
            description: description.to_owned(),
            tables: BTreeMap::new(),
            encoder: None,
            encoded: Vec::new(),
        }
    }

    /// Adds rows whose keys the caller knows to be new.
    pub fn append(&mut self, table: Table, batch: RecordBatch) -> Result<()> {
        let batch = crate::writer::conform(table, &batch)?;
        self.buffer(table, batch)
    }

    /// Adds rows that replace any lake rows with an equal key. Re-importing identical rows
    /// changes nothing. Identical rows given twice are written once; two different rows with
    /// one key are an error.
    pub fn upsert(&mut self, table: Table, batch: RecordBatch) -> Result<()> {
        let batch = crate::writer::conform(table, &batch)?;
        let key_fps = fingerprints(&batch, table.key_columns())?;
        let row_fps = row_fingerprints(&batch)?;
        let state = self.tables.entry(table).or_default();
        state.keys.reserve(batch.num_rows());
        let mut keep = Vec::with_capacity(batch.num_rows());
        for (i, (k, r)) in key_fps.iter().zip(&row_fps).enumerate() {
            if state.distinct.contains(k) {
                // Its row was not fingerprinted, so an identical repeat cannot be told apart.
                return Err(LakeError::DuplicateKey {
                    table,
                    key: render_key(table, &batch, i),
                });
            }
            match state.keys.get(k) {
                None => {
                    state.keys.insert(*k, *r);
                    keep.push(i as u32);
                }
                Some(existing) if existing == r => state.rows_deduplicated += 1,
                Some(_) => {
                    return Err(LakeError::DuplicateKey {
                        table,
                        key: render_key(table, &batch, i),
                    });
                }
            }
        }
        let batch = if keep.len() == batch.num_rows() {
            batch
        } else {
            take_record_batch(&batch, &UInt32Array::from(keep)).map_err(arrow_err("dedup"))?
        };
        self.buffer(table, batch)
    }

    /// Adds rows that replace any lake rows with an equal key, like [`Transaction::upsert`],
    /// from a caller that never gives one key twice in a transaction (a converter that
    /// deduplicated its rows itself): only the keys are fingerprinted, not whole rows, and a
    /// key given again is an error.
    pub fn upsert_distinct(&mut self, table: Table, batch: RecordBatch) -> Result<()> {
        let batch = crate::writer::conform(table, &batch)?;
        let key_fps = fingerprints(&batch, table.key_columns())?;
        let state = self.tables.entry(table).or_default();
        state.distinct.reserve(batch.num_rows());
        for (i, k) in key_fps.iter().enumerate() {
            if state.keys.contains_key(k) || !state.distinct.insert(*k) {
                return Err(LakeError::DuplicateKey {
                    table,
                    key: render_key(table, &batch, i),
                });
            }
        }
        self.buffer(table, batch)
    }

    /// Removes every row of these runs from `table` (rows added by this transaction stay).
    pub fn delete_runs<I, S>(&mut self, table: Table, runs: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let state = self.tables.entry(table).or_default();
        for run in runs {
            let run = run.into();
            state.runs.insert(run.clone());
            state.deleted_runs.insert(run);
        }
    }

    /// Replaces the whole of `table` with the rows this transaction adds. `runs` names every
    /// run the table holds, so racing writes to any of them conflict.
    pub fn replace_table<I, S>(&mut self, table: Table, runs: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let state = self.tables.entry(table).or_default();
        state.replace_all = true;
        state.runs.extend(runs.into_iter().map(Into::into));
    }

    fn buffer(&mut self, table: Table, batch: RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let (spill_rows, spill_bytes) = {
            let config = self.lake.config();
            (config.spill_rows, config.spill_bytes)
        };
        let state = self.tables.entry(table).or_default();
        if let Some(runs) = batch.column_by_name(table.run_column()) {
            let runs = runs.as_string::<i32>();
            let mut note = |run: &str| {
                if !state.runs.contains(run) {
                    state.runs.insert(run.to_owned());
                }
            };
            match super::one_value::one_value(runs) {
                Some(run) => note(run),
                None => {
                    // Rows of one run come together: look each run up once per stretch.
                    let mut last = None;
                    for run in runs.iter().flatten() {
                        if last != Some(run) {
                            note(run);
                        }
                        last = Some(run);
                    }
                }
            }
        }
        let mut full = Vec::new();
        for (key, part) in partition_of(table, &batch)? {
            let entry = state.buffers.entry(key.clone()).or_default();
            entry.rows += part.num_rows();
            entry.bytes += batch_bytes(&part);
            entry.batches.push(part);
            if entry.rows >= spill_rows || entry.bytes >= spill_bytes {
                full.push(key);
            }
        }
        for key in full {
            self.spill(table, key)?;
        }
        Ok(())
    }

    fn spill(&mut self, table: Table, key: Vec<Option<String>>) -> Result<()> {
        let Some(state) = self.tables.get_mut(&table) else {
            return Ok(());
        };
        let Some(Buffer { batches, .. }) = state.buffers.remove(&key) else {
            return Ok(());
        };
        let lake = &self.lake;
        let encoder = self.encoder.get_or_insert_with(|| {
            let uploader = tokio::runtime::Handle::try_current()
                .ok()
                .filter(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
                .map(|h| (h, lake.clone()));
            let config = lake.config();
            Encoder::new(
                uploader,
                config.row_group_rows,
                config.file_rows,
                config.merge_runs,
            )
        });
        encoder.submit(Chunk {
            table,
            key,
            batches,
        })?;
        for file in encoder.ready() {
            self.encoded.push(file?);
        }
        Ok(())
    }

    /// Writes remaining buffers, uploads every file, and commits a new version. Racing
    /// commits that touched other runs are rebased onto automatically; one that touched the
    /// same runs is a [`LakeError::Conflict`].
    pub async fn commit(mut self) -> Result<CommitOutcome> {
        let keys: Vec<(Table, Vec<Option<String>>)> = self
            .tables
            .iter()
            .flat_map(|(t, s)| s.buffers.keys().map(move |k| (*t, k.clone())))
            .collect();
        for (table, key) in keys {
            self.spill(table, key)?;
        }
        if let Some(encoder) = self.encoder.take() {
            for file in encoder.finish()? {
                self.encoded.push(file?);
            }
        }
        // Files finish on several threads in no fixed order; the version lists them in one.
        self.encoded
            .sort_by(|a, b| (a.table, &a.path).cmp(&(b.table, &b.path)));
        let lake = self.lake.clone();
        upload_all(&lake, &self.encoded).await?;
        let new_paths: HashSet<String> = self.encoded.iter().map(|f| f.path.clone()).collect();
        let runs: BTreeMap<String, BTreeSet<String>> = self
            .tables
            .iter()
            .filter(|(_, s)| !s.runs.is_empty())
            .map(|(t, s)| (t.name().to_owned(), s.runs.clone()))
            .collect();
        let dedup: u64 = self.tables.values().map(|s| s.rows_deduplicated).sum();
        let mut remnant_cache: HashMap<Vec<String>, Vec<EncodedFile>> = HashMap::new();
        let attempts = lake.config().max_commit_attempts;
        for attempt in 1..=attempts {
            let base = lake.latest_snapshot().await?;
            let mut next = base.manifest.clone();
            let version = base.manifest.version + 1;
            let mut outcome = CommitOutcome {
                rows_deduplicated: dedup,
                attempts: attempt,
                ..CommitOutcome::default()
            };
            let mut added_files = Vec::new();
            let mut removed_files = Vec::new();
            for table in Table::ALL {
                let Some(state) = next.tables.get_mut(table.name()) else {
                    continue;
                };
                let tx = self.tables.get(&table);
                // New files carry this code's schema; a table written by an older version
                // takes it on (columns are only ever appended, so its older files read the new
                // columns as null).
                if tx.is_some() && state.schema_version < table.schema_version() {
                    state.schema_version = table.schema_version();
                    state.schema = runlake_format::manifest::columns_of(&table.schema());
                }
                let removal = match tx {
                    Some(tx) if tx.replace_all => {
                        let removed: Vec<DataFile> = state
                            .files
                            .iter()
                            .filter(|f| !new_paths.contains(&f.path))
                            .cloned()
                            .collect();
                        Removal {
                            rows_dropped: removed.iter().map(|f| f.rows).sum(),
                            removed,
                            remnants: Vec::new(),
                        }
                    }
                    Some(tx) => {
                        let req = Request {
                            table,
                            keys: UpsertedKeys {
                                rows: &tx.keys,
                                distinct: &tx.distinct,
                            },
                            deleted_runs: &tx.deleted_runs,
                            runs: &tx.runs,
                            new_paths: &new_paths,
                        };
                        plan_removal(&lake, state, &req).await?
                    }
                    None => Removal::default(),
                };
                let remnants = encode_remnants(&lake, table, &removal, &mut remnant_cache).await?;
                let removed: HashSet<&str> =
                    removal.removed.iter().map(|f| f.path.as_str()).collect();
                outcome.rows_removed += removal.rows_dropped;
                outcome.files_removed += removed.len() as u64;
                removed_files.extend(removed.iter().map(|p| (*p).to_owned()));
                state.files.retain(|f| !removed.contains(f.path.as_str()));
                let live: HashSet<String> = state.files.iter().map(|f| f.path.clone()).collect();
                let fresh = self.encoded.iter().filter(|f| f.table == table);
                for (file, is_remnant) in fresh
                    .map(|f| (f, false))
                    .chain(remnants.iter().map(|f| (f, true)))
                {
                    if live.contains(&file.path) || state.files.iter().any(|f| f.path == file.path)
                    {
                        continue;
                    }
                    if is_remnant {
                        outcome.rows_rewritten += file.rows;
                    } else {
                        outcome.rows_added += file.rows;
                    }
                    outcome.files_added += 1;
                    outcome.bytes_added += file.size;
                    added_files.push(file.path.clone());
                    state.files.push(DataFile {
                        path: file.path.clone(),
                        blake3: file.hash,
                        bytes: file.size,
                        rows: file.rows,
                        partition: file.partition.clone(),
                        stats: file.stats.clone(),
                        added_in_version: version,
                        page_crc32: file.page_crc32.clone(),
                    });
                }
                state.files.sort_by(|a, b| a.path.cmp(&b.path));
            }
            if added_files.is_empty() && removed_files.is_empty() {
                // Nothing to commit; a Delta log left behind by a crash still catches up.
                crate::delta::after_commit(&lake, base.manifest.version).await?;
                return Ok(CommitOutcome {
                    version: None,
                    ..outcome
                });
            }
            next.version = version;
            next.parent = Some(ParentRef {
                version: base.manifest.version,
                blake3: base.blake3,
            });
            next.commit_id = uuid::Uuid::new_v4().to_string();
            next.created_at_ms = now_ms();
            next.writer = writer_name();
            next.operation = Operation {
                kind: self.kind.clone(),
                description: self.description.clone(),
                runs: runs
                    .iter()
                    .map(|(t, r)| (t.clone(), r.iter().cloned().collect()))
                    .collect(),
                added_files,
                removed_files,
                rows_added: outcome.rows_added + outcome.rows_rewritten,
                rows_removed: outcome.rows_removed + outcome.rows_rewritten,
                bytes_added: outcome.bytes_added,
            };
            match put_manifest(&lake, &next).await? {
                PutOutcome::Committed => {
                    lake.log().write_hint(version).await;
                    let added: HashSet<&str> = next
                        .operation
                        .added_files
                        .iter()
                        .map(String::as_str)
                        .collect();
                    let files: Vec<&EncodedFile> = self
                        .encoded
                        .iter()
                        .chain(remnant_cache.values().flatten())
                        .filter(|f| added.contains(f.path.as_str()))
                        .collect();
                    ensure_present(&lake, files).await?;
                    crate::delta::after_commit(&lake, version).await?;
                    return Ok(CommitOutcome {
                        version: Some(version),
                        ..outcome
                    });
                }
                PutOutcome::Taken => {
                    let latest = lake.latest_snapshot().await?.manifest.version;
                    check_commutes(&lake, base.manifest.version, latest, &runs).await?;
                    backoff(&lake, attempt).await;
                }
            }
        }
        Err(LakeError::RetriesExhausted { attempts })
    }
}

/// Checks, after the commit landed, that every file it added is in the store, and puts back any
/// that a concurrent `gc` deleted in the meantime (it could not see the version yet). The other
/// half of the protocol is in `gc`: see `spec/FORMAT.md`, section 9.
async fn ensure_present(lake: &Lake, files: Vec<&EncodedFile>) -> Result<()> {
    let mut unique = Vec::new();
    let mut seen = HashSet::new();
    for file in files {
        if seen.insert(file.path.as_str()) {
            unique.push(file);
        }
    }
    // A gc that started deleting before this version landed may still be deleting: wait until
    // none holds a lease, then check. Every deletion such a gc makes is then already done.
    crate::gc_lease::wait_for_gc(lake).await?;
    let mut lost = Vec::new();
    for file in unique {
        match restore_if_missing(lake, file).await {
            Ok(_) => {}
            Err(LakeError::Lost { paths }) => lost.extend(paths),
            Err(e) => return Err(e),
        }
    }
    if lost.is_empty() {
        Ok(())
    } else {
        Err(LakeError::Lost { paths: lost })
    }
}

async fn upload_all(lake: &Lake, files: &[EncodedFile]) -> Result<()> {
    // Owned values in the futures keep the commit future `Send` for any caller.
    let lake = lake.clone();
    let pending: Vec<EncodedFile> = files.iter().filter(|f| !f.uploaded).cloned().collect();
    futures::stream::iter(pending)
        .map(move |f| {
            let lake = lake.clone();
            async move { upload_file(&lake, &f).await }
        })
        .buffer_unordered(8)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Encodes and uploads the kept rows of rewritten files, reusing the work when a retry removes
/// the same files.
async fn encode_remnants(
    lake: &Lake,
    table: Table,
    removal: &Removal,
    cache: &mut HashMap<Vec<String>, Vec<EncodedFile>>,
) -> Result<Vec<EncodedFile>> {
    if removal.remnants.is_empty() {
        return Ok(Vec::new());
    }
    let mut cache_key: Vec<String> = removal.removed.iter().map(|f| f.path.clone()).collect();
    cache_key.sort();
    if let Some(files) = cache.get(&cache_key) {
        return Ok(files.clone());
    }
    let mut by_partition: BTreeMap<Vec<Option<String>>, Vec<RecordBatch>> = BTreeMap::new();
    for batch in &removal.remnants {
        for (key, part) in partition_of(table, batch)? {
            by_partition.entry(key).or_default().push(part);
        }
    }
    let row_group_rows = lake.config().row_group_rows;
    let spill_rows = lake.config().spill_rows;
    let mut files = Vec::new();
    for (key, batches) in by_partition {
        let mut chunk = Vec::new();
        let mut rows = 0;
        for batch in batches {
            rows += batch.num_rows();
            chunk.push(batch);
            if rows >= spill_rows {
                files.push(encode_partition(
                    table,
                    &key,
                    std::mem::take(&mut chunk),
                    row_group_rows,
                )?);
                rows = 0;
            }
        }
        if !chunk.is_empty() {
            files.push(encode_partition(table, &key, chunk, row_group_rows)?);
        }
    }
    upload_all(lake, &files).await?;
    // The bytes stay: the commit puts a file back from them if a concurrent gc deletes it.
    for f in &mut files {
        f.uploaded = true;
    }
    cache.insert(cache_key, files.clone());
    Ok(files)
}

fn render_key(table: Table, batch: &RecordBatch, row: usize) -> String {
    let options = arrow::util::display::FormatOptions::default().with_null("null");
    table
        .key_columns()
        .iter()
        .map(|c| {
            let value = batch
                .column_by_name(c)
                .and_then(|a| {
                    arrow::util::display::ArrayFormatter::try_new(a.as_ref(), &options)
                        .ok()
                        .map(|f| f.value(row).to_string())
                })
                .unwrap_or_default();
            format!("{c}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}
