//! The stored values of `phase` and `training_type`.

use std::fmt;

/// `phase` of `metadata` and `evals` (a partition key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// DataDecide pretraining.
    Pretrain,
    /// Anything trained from a pretraining checkpoint.
    Posttrain,
}

impl Phase {
    /// Every phase.
    pub const ALL: [Phase; 2] = [Phase::Pretrain, Phase::Posttrain];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pretrain => "pretrain",
            Phase::Posttrain => "posttrain",
        }
    }

    /// The phase a stored spelling names.
    pub fn parse(text: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// `training_type` of `metadata` (and the partition key of `posttrain_steps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrainingType {
    /// Pretraining.
    Pretrain,
    /// Supervised fine-tuning.
    Sft,
    /// Direct preference optimisation.
    Dpo,
    /// Post-training of no recognised type.
    Other,
}

impl TrainingType {
    /// Every training type.
    pub const ALL: [TrainingType; 4] = [
        TrainingType::Pretrain,
        TrainingType::Sft,
        TrainingType::Dpo,
        TrainingType::Other,
    ];

    /// The post-training types, each with its own `posttrain_steps` partition.
    pub const POSTTRAIN: [TrainingType; 3] =
        [TrainingType::Sft, TrainingType::Dpo, TrainingType::Other];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingType::Pretrain => "pretrain",
            TrainingType::Sft => "sft",
            TrainingType::Dpo => "dpo",
            TrainingType::Other => "other",
        }
    }

    /// The training type a stored spelling names.
    pub fn parse(text: &str) -> Option<TrainingType> {
        TrainingType::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// A post-training run's type from a stored spelling: `sft` and `dpo` as they are, anything
    /// else `other`.
    pub fn posttrain(text: &str) -> TrainingType {
        match TrainingType::parse(text) {
            Some(t @ (TrainingType::Sft | TrainingType::Dpo)) => t,
            _ => TrainingType::Other,
        }
    }

    /// The phase of runs of this type.
    pub fn phase(self) -> Phase {
        match self {
            TrainingType::Pretrain => Phase::Pretrain,
            _ => Phase::Posttrain,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for TrainingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::{Phase, TrainingType};

    #[test]
    fn spellings_round_trip() {
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
        }
        for t in TrainingType::ALL {
            assert_eq!(TrainingType::parse(t.as_str()), Some(t));
        }
        assert_eq!(Phase::parse("post-training"), None);
        assert_eq!(TrainingType::posttrain("dpo"), TrainingType::Dpo);
        assert_eq!(TrainingType::posttrain("ppo"), TrainingType::Other);
        assert_eq!(TrainingType::posttrain("pretrain"), TrainingType::Other);
        assert_eq!(TrainingType::Sft.phase(), Phase::Posttrain);
        assert_eq!(TrainingType::Pretrain.phase(), Phase::Pretrain);
    }
}
