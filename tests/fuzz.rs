//! Mutated inputs end in a value or an error: never a panic that escapes, never a hang.
//!
//! Each test starts from valid seeds (the fixtures in `testdata/`, a data file written through
//! the lake, read with page checksums off) and feeds a few hundred to a few thousand deterministic mutations of them (bit
//! flips, truncations, deletions, insertions of random or structural bytes) to one parser or
//! read path.
//!
//! Every panic of the process is recorded with its thread, including panics that something
//! catches. Damaged page data can make the Parquet decoder panic deep inside, where no check of
//! ours can foresee it; the read paths catch that at their boundary. So a recorded panic fails
//! a test unless it happened inside the parquet or arrow crates *and* the case it belongs to
//! ended in an error naming the file: a decoder panic must never turn into missing rows.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use arrow::array::RecordBatch;
use object_store::ObjectStoreExt;
use runlake_format::Table;
use runlake_lake::testkit::Rng;
use runlake_lake::{Lake, LakeConfig};
use runlake_reader::{LakeReader, ScanOptions, col, parse_predicate};

/// A panic seen by the hook: the thread it happened on and where.
#[derive(Debug, Clone)]
struct Panic {
    thread: String,
    message: String,
}

static PANICS: Mutex<Vec<Panic>> = Mutex::new(Vec::new());

fn record_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let panic = Panic {
                thread: std::thread::current().name().unwrap_or_default().to_owned(),
                message: info.to_string(),
            };
            if let Ok(mut all) = PANICS.lock() {
                all.push(panic);
            }
        }));
    });
}

fn panics() -> Vec<Panic> {
    PANICS.lock().map(|p| p.clone()).unwrap_or_default()
}

fn this_thread() -> String {
    std::thread::current().name().unwrap_or_default().to_owned()
}

/// Fails on any panic this test's thread has seen.
fn assert_no_panics() {
    let me = this_thread();
    let mine: Vec<Panic> = panics().into_iter().filter(|p| p.thread == me).collect();
    assert!(mine.is_empty(), "{mine:#?}");
}

/// Panics recorded after the first `since` on threads `on` accepts, each checked to have
/// happened inside the decoders.
fn decoder_panics(since: usize, on: impl Fn(&str) -> bool) -> Vec<Panic> {
    let found: Vec<Panic> = panics()
        .into_iter()
        .skip(since)
        .filter(|p| on(&p.thread))
        .collect();
    for p in &found {
        let inside = ["/parquet-", "/arrow-"]
            .iter()
            .any(|c| p.message.contains(c));
        assert!(inside, "a panic outside the decoders: {p:#?}");
    }
    found
}

const STRUCTURAL: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"(",
    b")",
    b"\"",
    b"'",
    b"\\",
    b",",
    b":",
    b"NaN",
    b"-Infinity",
    b"None",
    b" AND ",
    b" OR ",
    b"NOT ",
    b" IN (",
    b" IS NULL",
    b"\xff",
    b"\xc3",
    b"\n",
    b"0",
    b"1e999",
    b"\\u",
    b"\\ud800",
    b"`",
];

/// `seed` with one to four edits.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() as u64 + 1) as usize;
        match rng.below(6) {
            0 | 1 if at < out.len() => out[at] ^= 1 << rng.below(8),
            2 => out.truncate(at),
            3 => {
                let end = (at + 1 + rng.below(8) as usize).min(out.len());
                out.drain(at..end);
            }
            4 => {
                let piece = STRUCTURAL[rng.below(STRUCTURAL.len() as u64) as usize];
                let times = if rng.below(8) == 0 { 300 } else { 1 };
                for _ in 0..times {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            _ => {
                let byte = rng.below(256) as u8;
                out.insert(at, byte);
            }
        }
    }
    out
}

/// `seed` with bytes overwritten in place: the length stays, so a reader that trusts a
/// recorded size gets past the size check into the decoder.
fn overwrite(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(out.len() as u64) as usize;
        if rng.below(2) == 0 {
            out[at] ^= 1 << rng.below(8);
        } else {
            out[at] = rng.below(256) as u8;
        }
    }
    out
}

/// The first `n` cases, then cases found (by running many more) to make the decoder panic,
/// so every run covers the panic path in debug-build time.
fn cases(n: usize, known: &[usize]) -> impl Iterator<Item = usize> + use<'_> {
    (0..n).chain(known.iter().copied())
}

const DATADECIDE_PANICS: &[usize] = &[469, 773, 1037];
const LAKE_PANICS: &[usize] = &[1970, 2252];
const WANDB_PANICS: &[usize] = &[1074, 1244, 3850];
/// Lake cases whose damaged footers are inconsistent (a page before its column chunk, a
/// negative column offset): footers the decoder can panic on without the reader's check.
const LAKE_BAD_FOOTERS: &[usize] = &[56, 533, 1057, 1949];

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(testdata(rel)).expect("fixture")
}

fn lines(rel: &str) -> Vec<Vec<u8>> {
    read(rel)
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

#[test]
fn predicate_parser_returns_errors_for_mutated_predicates() {
    record_panics();
    let seeds = [
        "task = 'arc_challenge' AND step >= 1000 AND seed IN ('default', 'small')",
        "NOT (phase = \"posttrain\" OR `odd name` IS NOT NULL) AND score <> -1.5e-3",
        "((a = 1) OR (b != 'it''s')) AND c NOT IN (1, 2.5, TRUE)",
        "5 < step AND x IS NULL",
    ];
    let schema = Table::Evals.schema();
    let mut rng = Rng::new(1);
    for i in 0..4000 {
        let seed = seeds[i % seeds.len()].as_bytes();
        let text = String::from_utf8_lossy(&mutate(seed, &mut rng)).into_owned();
        if let Err(e) = parse_predicate(&text) {
            assert!(!e.to_string().is_empty());
        }
        if let Err(e) = runlake_reader::parse_for_schema(&text, &schema) {
            assert!(!e.caret().is_empty());
        }
    }
    assert_no_panics();
}

#[test]
fn lenient_json_parses_or_errors_and_what_parses_round_trips() {
    record_panics();
    let mut seeds = lines("wandb/dr_wandb_v3/ft-scaling/runs.jsonl");
    seeds.extend(
        lines("wandb/dr_wandb_v3/ft-scaling/history.jsonl")
            .into_iter()
            .take(4),
    );
    seeds.push(read("wandb/dr_wandb_v3/ft-scaling/manifest.json"));
    seeds.push(br#"{"a":[NaN,-Infinity,1e400,"\ud83d\ude00\ud800",{"b":null}]}"#.to_vec());
    let mut rng = Rng::new(2);
    for i in 0..3000 {
        let bytes = mutate(&seeds[i % seeds.len()], &mut rng);
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(v) = runlake_wandb::json::parse(&text) {
            let again = runlake_wandb::json::parse(&v.to_text()).expect("own output parses");
            assert_eq!(again, v, "{text}");
        }
    }
    assert_no_panics();
}

#[test]
fn python_repr_parser_returns_errors_for_mutated_dicts() {
    record_panics();
    let seeds = [
        "{'primary_metric': nan, 'acc_raw': 0.232081905, 'x': None, 'ok': True, 'n': -inf}",
        r#"{"acc_raw": 0.4305, "b": NaN, "c": Infinity, "extra_metrics": {"no_answer": 0}}"#,
        "{'a': {'b': {'c': 1e-5,},}, 'é': 2}",
    ];
    let mut rng = Rng::new(3);
    for i in 0..4000 {
        let bytes = mutate(seeds[i % seeds.len()].as_bytes(), &mut rng);
        let _ = runlake_datadecide::pyrepr::parse_metrics(&String::from_utf8_lossy(&bytes));
    }
    assert_no_panics();
}

#[test]
fn wandb_jsonl_inputs_are_read_or_rejected() {
    record_panics();
    let dir = tempfile::tempdir().expect("tempdir");
    let export = "wandb/dr_wandb_v3/ft-scaling";
    let files = [
        (format!("{export}/runs.jsonl"), "runs.jsonl"),
        (format!("{export}/history.jsonl"), "history.jsonl"),
        ("wandb/legacy_v0/wandb_runs.jsonl".to_owned(), "runs.jsonl"),
        (
            "wandb/legacy_v0/wandb_history.jsonl".to_owned(),
            "history.jsonl",
        ),
    ];
    let mut rng = Rng::new(4);
    for i in 0..160 {
        let (fixture, name) = &files[i % files.len()];
        let case = dir.path().join(format!("case{i}"));
        std::fs::create_dir(&case).expect("mkdir");
        let path = case.join(name);
        std::fs::write(&path, mutate(&read(fixture), &mut rng)).expect("write");
        let mut inputs = runlake_wandb::model::Inputs::default();
        if let Err(e) = runlake_wandb::read::read_path(&path, &mut inputs) {
            assert!(e.to_string().contains(&*path.to_string_lossy()), "{e}");
        }
    }
    assert_no_panics();
}

fn convert_datadecide(path: &Path) -> Result<usize, runlake_datadecide::ConvertError> {
    let mut rows = 0;
    let mut sink = |_: Table, b: RecordBatch| {
        rows += b.num_rows();
        Ok(())
    };
    let opts = runlake_datadecide::ConvertOptions {
        on_error: runlake_datadecide::OnError::Skip,
        kind: Some(runlake_datadecide::Kind::HfTrain),
        ..Default::default()
    };
    runlake_datadecide::convert_to_sink(&[path.to_owned()], opts, &mut sink, &|_| {})?;
    Ok(rows)
}

#[test]
fn datadecide_inputs_in_jsonl_and_parquet_are_read_or_rejected() {
    record_panics();
    let dir = tempfile::tempdir().expect("tempdir");
    let seeds = [
        ("eval-results/data/train.rows.jsonl", "jsonl"),
        ("eval-results/data/train-00000-of-00001.parquet", "parquet"),
    ];
    for i in cases(300, DATADECIDE_PANICS) {
        let mut rng = Rng::new(5_000_000 + i as u64);
        let (fixture, ext) = seeds[i % seeds.len()];
        let seed = read(&format!("datadecide/{fixture}"));
        let bytes = if i % 4 == 1 {
            overwrite(&seed, &mut rng)
        } else {
            mutate(&seed, &mut rng)
        };
        let path = dir.path().join(format!("case{i}.{ext}"));
        std::fs::write(&path, bytes).expect("write");
        let since = panics().len();
        let result = convert_datadecide(&path);
        // The reader thread is named after the file it reads.
        let reader_thread = format!("read {}", path.display());
        let caught = decoder_panics(since, |t| t == reader_thread);
        match result {
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains(&*path.to_string_lossy()), "{text}");
            }
            Ok(rows) => assert!(caught.is_empty(), "{rows} rows after {caught:#?}"),
        }
    }
    assert_no_panics();
}

/// A WandB history export in Parquet: one row per step, metrics as columns, some nulls.
fn wandb_history_parquet() -> Vec<u8> {
    use arrow::array::{Float64Array, Int64Array, StringArray};
    let rows = 64;
    let batch = RecordBatch::try_from_iter([
        (
            "run_id",
            std::sync::Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| format!("run-{}", i / 16)),
            )) as arrow::array::ArrayRef,
        ),
        (
            "step",
            std::sync::Arc::new(Int64Array::from_iter_values((0..rows).map(|i| i * 10))),
        ),
        (
            "train_loss",
            std::sync::Arc::new(Float64Array::from_iter(
                (0..rows).map(|i| (i % 5 != 0).then(|| 1.0 / (i + 1) as f64)),
            )),
        ),
    ])
    .expect("batch");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(16))
        .build();
    let mut out = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, batch.schema(), Some(props))
        .expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    out
}

#[test]
fn wandb_parquet_inputs_are_read_or_rejected() {
    record_panics();
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = wandb_history_parquet();
    let me = this_thread();
    for i in cases(300, WANDB_PANICS) {
        let mut rng = Rng::new(7_000_000 + i as u64);
        let bytes = if i % 2 == 0 {
            overwrite(&seed, &mut rng)
        } else {
            mutate(&seed, &mut rng)
        };
        let path = dir.path().join(format!("history{i}.parquet"));
        std::fs::write(&path, bytes).expect("write");
        let since = panics().len();
        let mut inputs = runlake_wandb::model::Inputs::default();
        let result = runlake_wandb::read::read_path(&path, &mut inputs);
        let caught = decoder_panics(since, |t| t == me);
        match result {
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains(&*path.to_string_lossy()), "{text}");
            }
            Ok(()) => assert!(caught.is_empty(), "case {i}: {caught:#?}"),
        }
    }
}

/// A lake holding one small `evals` file of several row groups, and that file's store path.
async fn one_file_lake() -> (Lake, object_store::path::Path) {
    let lake = Lake::in_memory().with_config(LakeConfig {
        row_group_rows: 16,
        ..LakeConfig::default()
    });
    let mut batch = runlake_lake::testkit::batch(Table::Evals, &["dd/c4/4M/default"], 64, 7);
    let phase = batch.schema().index_of("phase").expect("phase");
    let same_phase = arrow::array::StringArray::from(vec!["pretrain"; batch.num_rows()]);
    let mut columns = batch.columns().to_vec();
    columns[phase] = std::sync::Arc::new(same_phase);
    batch = RecordBatch::try_new(batch.schema(), columns).expect("batch");
    let mut tx = lake.transaction("test", "fuzz seed");
    tx.upsert(Table::Evals, batch).expect("upsert");
    tx.commit().await.expect("commit");
    let manifest = lake.latest().await.expect("manifest");
    let files = &manifest.table(Table::Evals).expect("evals").files;
    assert_eq!(files.len(), 1);
    let path = Lake::object_path(&files[0].path);
    (lake, path)
}

fn runtime(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The seed lake, its data file's path and bytes.
fn lake_seed() -> (Lake, object_store::path::Path, Vec<u8>) {
    runtime("fuzz-lake-setup").block_on(async {
        let (lake, path) = one_file_lake().await;
        let bytes = lake.objects().get(&path).await.expect("get").bytes().await;
        (lake, path, bytes.expect("bytes").to_vec())
    })
}

/// Reads the lake after overwriting bytes of its data file as case `i` says; returns what
/// the read returned and the decoder panics it caused.
fn lake_case(
    (lake, path, seed): &(Lake, object_store::path::Path, Vec<u8>),
    i: usize,
) -> (runlake_reader::Result<Vec<RecordBatch>>, Vec<Panic>) {
    let bytes = overwrite(seed, &mut Rng::new(6_000_000 + i as u64));
    let since = panics().len();
    // A runtime per case, its workers named after the case, so every panic of the decoding
    // tasks is attributed to its case; dropping it ends the case's tasks.
    let workers = format!("fuzz-lake-{i}");
    let result = runtime(&workers).block_on(async {
        lake.objects().put(path, bytes.into()).await.expect("put");
        // Page checksums would refuse most damaged bytes before the decoder sees them; the
        // decoder's own robustness is what is tested here.
        let reader = LakeReader::open(lake, None)
            .await
            .expect("open")
            .with_options(ScanOptions {
                verify_pages: false,
                ..ScanOptions::default()
            });
        let scan = if i.is_multiple_of(2) {
            reader.scan(Table::Evals)
        } else {
            reader
                .scan(Table::Evals)
                .filter(col("task").eq("task_1").and(col("step").gt_eq(1250i64)))
                .select(["task", "step", "primary_score"])
        };
        scan.collect().await
    });
    let me = this_thread();
    (result, decoder_panics(since, |t| t == workers || t == me))
}

#[test]
fn lake_reads_of_corrupted_data_files_end_in_rows_or_errors_naming_the_file() {
    record_panics();
    let lake = lake_seed();
    let name = lake.1.filename().expect("file name").to_owned();
    for i in cases(300, LAKE_PANICS) {
        match lake_case(&lake, i) {
            (Err(e), _) => {
                let text = e.to_string();
                assert!(text.contains(&name), "{text}");
                // A sentence, not a debug dump of the decoder's nested errors.
                assert!(!text.contains(" { ") && !text.contains('\n'), "{text}");
            }
            (Ok(batches), caught) => {
                let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                assert!(caught.is_empty(), "case {i}: {rows} rows after {caught:#?}");
            }
        }
    }
}

#[test]
fn inconsistent_footers_are_refused_before_decoding() {
    record_panics();
    let lake = lake_seed();
    for &i in LAKE_BAD_FOOTERS {
        let (result, caught) = lake_case(&lake, i);
        assert!(caught.is_empty(), "case {i}: {caught:#?}");
        let text = result.expect_err("an inconsistent footer").to_string();
        assert!(
            text.contains("the footer is inconsistent"),
            "case {i}: {text}"
        );
    }
}
