//! Training type of a post-training run (`sft`, `dpo`, `other`) and the reason for it.
//!
//! Evidence is consulted from the most to the least direct: DPO-only config keys, DPO-only
//! logged keys (history, then summary), SFT-only config keys, the run name, SFT-style logged
//! keys. The first that decides wins and is kept as the reason.

use runlake_format::tables::TrainingType;

use crate::json::Object;
use crate::runname::RunName;

/// A training type and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// `sft`, `dpo` or `other`.
    pub training_type: TrainingType,
    /// Human-readable reason, e.g. `config key dpo_beta`.
    pub reason: String,
}

const DPO_CONFIG_KEYS: &[&str] = &["dpo_beta", "dpo_loss_type", "dpo_label_smoothing"];
// Keys only open-instruct's finetune.py takes; DPO configs share the dataset keys.
const SFT_CONFIG_KEYS: &[&str] = &["sft_messages_key", "reduce_loss"];

fn is_dpo_metric(k: &str) -> bool {
    k.starts_with("rewards/") || k.starts_with("logps/")
}

/// Classifies a run from its config, the keys its history logged, its summary and its name.
pub fn classify<'a>(
    config: &Object,
    history_keys: impl IntoIterator<Item = &'a str>,
    summary: &Object,
    name: &RunName,
    raw_name: &str,
) -> Classification {
    let decided = |t: TrainingType, reason: String| Classification {
        training_type: t,
        reason,
    };
    let present = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
    if let Some(k) = DPO_CONFIG_KEYS.iter().find(|k| present(k)) {
        return decided(TrainingType::Dpo, format!("config key {k}"));
    }
    let history_keys: Vec<&str> = history_keys.into_iter().collect();
    if let Some(k) = history_keys.iter().find(|k| is_dpo_metric(k)) {
        return decided(TrainingType::Dpo, format!("history key {k}"));
    }
    if let Some((k, _)) = summary.iter().find(|(k, _)| is_dpo_metric(k)) {
        return decided(TrainingType::Dpo, format!("summary key {k}"));
    }
    if let Some(k) = SFT_CONFIG_KEYS.iter().find(|k| present(k)) {
        return decided(TrainingType::Sft, format!("config key {k}"));
    }
    if name.is_dpo {
        return decided(
            TrainingType::Dpo,
            format!("run name {raw_name:?} mentions dpo"),
        );
    }
    let lower = raw_name.to_ascii_lowercase();
    if lower.contains("finetune") || lower.contains("_ft_") || name.form.is_some() {
        return decided(
            TrainingType::Sft,
            format!("run name {raw_name:?} names a fine-tune"),
        );
    }
    if history_keys.contains(&"train_loss") && history_keys.contains(&"total_tokens") {
        return decided(
            TrainingType::Sft,
            "history logs train_loss and total_tokens".into(),
        );
    }
    decided(
        TrainingType::Other,
        "no SFT or DPO marker in config, logged keys or name".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use crate::runname;

    fn obj(t: &str) -> Object {
        parse(t)
            .expect("json")
            .as_object()
            .cloned()
            .expect("object")
    }

    #[test]
    fn evidence_order() {
        let none = obj("{}");
        let n = runname::parse("x");
        let c = classify(
            &obj(r#"{"dpo_beta":5,"reduce_loss":"mean"}"#),
            [],
            &none,
            &n,
            "x",
        );
        assert_eq!(
            c,
            Classification {
                training_type: TrainingType::Dpo,
                reason: "config key dpo_beta".into()
            }
        );
        let c = classify(
            &obj(r#"{"reduce_loss":"sum"}"#),
            ["rewards/accuracy"],
            &none,
            &n,
            "x",
        );
        assert_eq!(c.reason, "history key rewards/accuracy");
        let c = classify(
            &obj(r#"{"reduce_loss":"sum","dpo_beta":null}"#),
            [],
            &none,
            &n,
            "x",
        );
        assert_eq!(
            c,
            Classification {
                training_type: TrainingType::Sft,
                reason: "config key reduce_loss".into()
            }
        );
        let name = "250901-155734_test_finetune_DD-dclm-baseline-150M_Ft_learning_rate=5e-05";
        let c = classify(&none, [], &none, &runname::parse(name), name);
        assert_eq!(c.training_type, TrainingType::Sft);
        assert!(c.reason.starts_with("run name"));
        let c = classify(&none, ["loss"], &none, &n, "x");
        assert_eq!(c.training_type, TrainingType::Other);
    }
}
