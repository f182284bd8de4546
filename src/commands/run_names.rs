//! The closest post-training runs to a name that matched none, for "unknown run" messages.

use futures::StreamExt;
use runlake_lake::{Lake, Table};
use runlake_reader::arrow::array::AsArray;
use runlake_reader::{LakeReader, col};

/// `"; did you mean `a`?"` over the lake's post-training run names and ids, or an empty string
/// (also when the lake cannot be read: the message it completes is the error that matters).
pub async fn did_you_mean(lake: &Lake, name: &str) -> String {
    let Ok(names) = post_training_names(lake).await else {
        return String::new();
    };
    runlake_format::suggest::did_you_mean(name, names.iter().map(String::as_str))
}

/// Each post-training run's name and the last part of its uid (its WandB id).
async fn post_training_names(lake: &Lake) -> runlake_reader::Result<Vec<String>> {
    let reader = LakeReader::open(lake, None).await?;
    let mut stream = reader
        .scan(Table::Metadata)
        .filter(col("phase").eq("posttrain"))
        .select(["run_uid", "run_name"])
        .execute()
        .await?;
    let mut names = Vec::new();
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        for c in 0..batch.num_columns() {
            let Some(values) = batch.column(c).as_string_opt::<i32>() else {
                continue;
            };
            for v in values.iter().flatten() {
                let id = if c == 0 {
                    v.rsplit('/').next().unwrap_or(v)
                } else {
                    v
                };
                names.push(id.to_owned());
            }
        }
    }
    Ok(names)
}
