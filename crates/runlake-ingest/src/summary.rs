//! What a conversion did, in one shape for both families (serialisable for `--json`).

use std::collections::BTreeMap;

use runlake_lake::CommitOutcome;

use crate::options::Family;

/// How many rejections are kept verbatim; the total is exact.
pub const MAX_REJECTIONS: usize = 200;

/// One input as given, with the kind it was read as.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InputSummary {
    /// The path given.
    pub path: String,
    /// Which conversion read it.
    pub family: Family,
    /// Its kind (`hf_train`, `wandb_v3`, `oe_eval`, ...; kinds of a folder's files joined by
    /// commas).
    pub kind: String,
}

/// A record or input left out under `OnError::Skip`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// Which conversion left it out.
    pub family: Family,
    /// File, and line or row when known.
    pub at: String,
    /// The offending field (`<line>`, `<file>`, `<folder>`, `<key>` for a whole record).
    pub field: String,
    /// Why.
    pub message: String,
}

/// What a conversion did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Every input, in the order given.
    pub inputs: Vec<InputSummary>,
    /// Rows staged per table, both families together.
    pub rows_written: BTreeMap<String, u64>,
    /// Records and inputs left out, exactly.
    pub rejected_total: u64,
    /// The first [`MAX_REJECTIONS`] of them.
    pub rejections: Vec<Rejection>,
    /// Details of the DataDecide inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretraining: Option<runlake_datadecide::ConvertSummary>,
    /// Details of the WandB and oe-eval inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_training: Option<runlake_wandb::Summary>,
    /// The one commit of the conversion (`version` is none when nothing changed).
    pub commit: CommitOutcome,
}

impl Summary {
    pub(crate) fn add_rows(&mut self, table: &str, rows: u64) {
        *self.rows_written.entry(table.to_owned()).or_default() += rows;
    }

    pub(crate) fn reject(&mut self, family: Family, at: String, field: String, message: String) {
        self.rejected_total += 1;
        if self.rejections.len() < MAX_REJECTIONS {
            self.rejections.push(Rejection {
                family,
                at,
                field,
                message,
            });
        }
    }
}
