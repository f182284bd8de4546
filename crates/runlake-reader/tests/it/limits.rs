//! Predicates as deep as the parser allows run through every stage of a scan.

use runlake_format::Table;
use runlake_reader::ScanOptions;
use runlake_reader::parse::MAX_DEPTH;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn predicates_at_the_depth_limit_are_planned_pruned_and_evaluated() {
    let (_lake, reader) = small_file_lake(vec![(Table::Evals, evals_batch(&[0, 1250]))]).await;
    let piqa = "task = 'piqa'";
    let nots = format!("{}{piqa}", "NOT NOT ".repeat((MAX_DEPTH - 1) / 2));
    let ands = vec![piqa; MAX_DEPTH].join(" AND ");
    let ors = vec![piqa; MAX_DEPTH].join(" OR ");
    let parens = format!("{}{piqa}{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    let expected = concat(
        &reader
            .scan(Table::Evals)
            .filter_str(piqa)
            .expect("parse")
            .collect()
            .await
            .expect("collect"),
    )
    .expect("rows")
    .num_rows();
    assert!(expected > 0);
    for text in [nots, ands, ors, parens] {
        for r in [reader.clone(), reader.with_options(ScanOptions::naive())] {
            let q = r.scan(Table::Evals).filter_str(&text).expect("parse");
            q.explain().await.expect("explain");
            let got = concat(&q.collect().await.expect("collect")).expect("rows");
            assert_eq!(got.num_rows(), expected);
        }
    }
}
