//! A flipped byte anywhere in a data file is an error naming the file when read, not a wrong
//! value; with page checks off the same reads do not notice.

use runlake_format::Table;
use runlake_lake::Lake;
use runlake_lake::testkit::flip_bit;
use runlake_reader::{LakeReader, ScanOptions};

use crate::common::*;

async fn read_all(lake: &Lake, verify_pages: bool) -> Result<Vec<String>, String> {
    let reader = LakeReader::open(lake, None)
        .await
        .map_err(|e| e.to_string())?;
    let reader = reader.with_options(ScanOptions {
        verify_pages,
        footer_cache_bytes: 0,
        ..ScanOptions::default()
    });
    let batches = reader
        .scan(Table::Evals)
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok(runlake_lake::testkit::canonical_rows(&batches))
}

#[tokio::test]
async fn every_flipped_byte_is_caught_on_read() {
    let (lake, _) = small_file_lake(vec![(Table::Evals, evals_batch(&[0, 1250, 2500]))]).await;
    let clean = read_all(&lake, true).await.expect("clean read");
    assert_eq!(read_all(&lake, false).await.expect("unchecked"), clean);
    let manifest = lake.latest().await.expect("latest");
    let file = manifest.table(Table::Evals).expect("evals").files[0].clone();
    assert!(file.page_crc32.is_some(), "new files record page checksums");
    let path = Lake::object_path(&file.path);
    let mut unnoticed_without_checks = 0;
    let mut flips = 0;
    for offset in (0..file.bytes as usize).step_by(37) {
        flip_bit(lake.objects().as_ref(), &path, offset).await;
        flips += 1;
        let err = read_all(&lake, true)
            .await
            .expect_err("a flipped byte must not read back");
        assert!(err.contains(&file.path), "offset {offset}: {err}");
        if read_all(&lake, false).await.is_ok() {
            unnoticed_without_checks += 1;
        }
        flip_bit(lake.objects().as_ref(), &path, offset).await;
    }
    assert!(flips > 100);
    // Without the checks, some corruptions decode into rows: exactly what the checks prevent.
    assert!(unnoticed_without_checks > 0);
    assert_eq!(read_all(&lake, true).await.expect("restored"), clean);
}
