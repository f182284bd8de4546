//! Every spelling listed in the domain reference maps to its canonical key; near misses fail.

use std::collections::HashMap;

use runlake_vocab::*;

/// (spelling, canonical slug), column by column of the reference's recipe table.
const RECIPE_SPELLINGS: &[(&str, &str)] = &[
    // display names (HF eval-results `data`)
    ("Dolma1.7", "dolma1_7"),
    ("Dolma1.7 (no code)", "dolma1_7-no-code"),
    ("Dolma1.7 (no math, code)", "dolma1_7-no-math-code"),
    ("Dolma1.7 (no Reddit)", "dolma1_7-no-reddit"),
    ("Dolma1.7 (no Flan)", "dolma1_7-no-flan"),
    ("Dolma1.6++", "dolma1_6plus"),
    ("C4", "c4"),
    ("FineWeb-Pro", "fineweb-pro"),
    ("FineWeb-Edu", "fineweb-edu"),
    ("Falcon", "falcon"),
    ("Falcon+CC", "falcon-and-cc"),
    ("Falcon+CC (QC 10%)", "falcon-and-cc-qc-10p"),
    ("Falcon+CC (QC 20%)", "falcon-and-cc-qc-20p"),
    ("Falcon+CC (QC Orig 10%)", "falcon-and-cc-qc-orig-10p"),
    ("Falcon+CC (QC Tulu 10%)", "falcon-and-cc-qc-tulu-10p"),
    ("DCLM-Baseline", "dclm-baseline"),
    ("DCLM-Baseline (QC 7%, FW2)", "dclm-baseline-qc-7p-fw2"),
    ("DCLM-Baseline (QC 7%, FW3)", "dclm-baseline-qc-7p-fw3"),
    ("DCLM-Baseline (QC FW 3%)", "dclm-baseline-qc-fw-3p"),
    ("DCLM-Baseline (QC FW 10%)", "dclm-baseline-qc-fw-10p"),
    ("DCLM-Baseline (QC 10%)", "dclm-baseline-qc-10p"),
    ("DCLM-Baseline (QC 20%)", "dclm-baseline-qc-20p"),
    (
        "DCLM-Baseline 25% / Dolma 75%",
        "dclm-baseline-25p-dolma1.7-75p",
    ),
    (
        "DCLM-Baseline 50% / Dolma 50%",
        "dclm-baseline-50p-dolma1.7-50p",
    ),
    (
        "DCLM-Baseline 75% / Dolma 25%",
        "dclm-baseline-75p-dolma1.7-25p",
    ),
    // HF repo slugs
    ("dolma1_7", "dolma1_7"),
    ("dolma1_7-no-code", "dolma1_7-no-code"),
    ("dolma1_7-no-math-code", "dolma1_7-no-math-code"),
    ("dolma1_7-no-reddit", "dolma1_7-no-reddit"),
    ("dolma1_7-no-flan", "dolma1_7-no-flan"),
    ("dolma1_6plus", "dolma1_6plus"),
    ("c4", "c4"),
    ("fineweb-pro", "fineweb-pro"),
    ("fineweb-edu", "fineweb-edu"),
    ("falcon", "falcon"),
    ("falcon-and-cc", "falcon-and-cc"),
    ("falcon-and-cc-qc-10p", "falcon-and-cc-qc-10p"),
    ("falcon-and-cc-qc-20p", "falcon-and-cc-qc-20p"),
    ("falcon-and-cc-qc-orig-10p", "falcon-and-cc-qc-orig-10p"),
    ("falcon-and-cc-qc-tulu-10p", "falcon-and-cc-qc-tulu-10p"),
    ("dclm-baseline", "dclm-baseline"),
    ("dclm-baseline-qc-7p-fw2", "dclm-baseline-qc-7p-fw2"),
    ("dclm-baseline-qc-7p-fw3", "dclm-baseline-qc-7p-fw3"),
    ("dclm-baseline-qc-fw-3p", "dclm-baseline-qc-fw-3p"),
    ("dclm-baseline-qc-fw-10p", "dclm-baseline-qc-fw-10p"),
    ("dclm-baseline-qc-10p", "dclm-baseline-qc-10p"),
    ("dclm-baseline-qc-20p", "dclm-baseline-qc-20p"),
    (
        "dclm-baseline-25p-dolma1.7-75p",
        "dclm-baseline-25p-dolma1.7-75p",
    ),
    (
        "dclm-baseline-50p-dolma1.7-50p",
        "dclm-baseline-50p-dolma1.7-50p",
    ),
    (
        "dclm-baseline-75p-dolma1.7-25p",
        "dclm-baseline-75p-dolma1.7-25p",
    ),
    // internal / training names
    ("dolma17", "dolma1_7"),
    ("baseline", "dolma1_7"),
    ("no_code", "dolma1_7-no-code"),
    ("no_math_no_code", "dolma1_7-no-math-code"),
    ("no_reddit", "dolma1_7-no-reddit"),
    ("no_flan", "dolma1_7-no-flan"),
    ("dolma-v1-6-and-sources-baseline", "dolma1_6plus"),
    ("prox_fineweb_pro", "fineweb-pro"),
    ("fineweb_edu_dedup", "fineweb-edu"),
    ("falcon_and_cc", "falcon-and-cc"),
    ("falcon_and_cc_eli5_oh_top10p", "falcon-and-cc-qc-10p"),
    ("falcon_and_cc_eli5_oh_top20p", "falcon-and-cc-qc-20p"),
    (
        "falcon_and_cc_og_eli5_oh_top10p",
        "falcon-and-cc-qc-orig-10p",
    ),
    ("falcon_and_cc_tulu_qc_top10", "falcon-and-cc-qc-tulu-10p"),
    ("DCLM-baseline", "dclm-baseline"),
    ("dclm_ft7percentile_fw2", "dclm-baseline-qc-7p-fw2"),
    ("dclm_ft7percentile_fw3", "dclm-baseline-qc-7p-fw3"),
    ("dclm_fw_top3", "dclm-baseline-qc-fw-3p"),
    ("dclm_fw_top10", "dclm-baseline-qc-fw-10p"),
    (
        "pos_eli5_oh_neg_dclm_refinedweb_steps_2000_lr3e4_top10p",
        "dclm-baseline-qc-10p",
    ),
    (
        "pos_eli5_oh_neg_dclm_refinedweb_steps_2000_lr3e4_top20p",
        "dclm-baseline-qc-20p",
    ),
    (
        "dolma17-75p-DCLM-baseline-25p",
        "dclm-baseline-25p-dolma1.7-75p",
    ),
    (
        "dolma17-50p-DCLM-baseline-50p",
        "dclm-baseline-50p-dolma1.7-50p",
    ),
    (
        "dolma17-25p-DCLM-baseline-75p",
        "dclm-baseline-75p-dolma1.7-25p",
    ),
    // run-name shorts
    ("d17", "dolma1_7"),
    ("dclm", "dclm-baseline"),
    ("dclm_qc7fw2", "dclm-baseline-qc-7p-fw2"),
    ("dclm_qc7fw3", "dclm-baseline-qc-7p-fw3"),
    ("dclm_qcfw3p", "dclm-baseline-qc-fw-3p"),
    ("dclm_qcfw10p", "dclm-baseline-qc-fw-10p"),
    ("dclm_qc10p", "dclm-baseline-qc-10p"),
    ("dclm_qc20p", "dclm-baseline-qc-20p"),
    ("dclm_25_d17_75", "dclm-baseline-25p-dolma1.7-75p"),
    ("dclm_50_d17_50", "dclm-baseline-50p-dolma1.7-50p"),
    ("dclm_75_d17_25", "dclm-baseline-75p-dolma1.7-25p"),
    // eval-instances archive names
    ("dolma1.7", "dolma1_7"),
    ("dolma1.7-no-code", "dolma1_7-no-code"),
    ("dolma1.7-no-math-no-code", "dolma1_7-no-math-code"),
    ("dolma1.7-no-reddit", "dolma1_7-no-reddit"),
    ("dolma1.7-no-flan", "dolma1_7-no-flan"),
    ("dolma1.6++", "dolma1_6plus"),
    ("falcon-with-cc", "falcon-and-cc"),
    ("falcon-with-cc-top-10p", "falcon-and-cc-qc-10p"),
    ("falcon-with-cc-top-20p", "falcon-and-cc-qc-20p"),
    ("falcon-with-cc-top-orig-10p", "falcon-and-cc-qc-orig-10p"),
    ("falcon-with-cc-top-tulu-10p", "falcon-and-cc-qc-tulu-10p"),
    ("dclm-baseline-top-fw2-7p", "dclm-baseline-qc-7p-fw2"),
    ("dclm-baseline-top-fw3-7p", "dclm-baseline-qc-7p-fw3"),
    ("dclm-baseline-top-fw-3p", "dclm-baseline-qc-fw-3p"),
    ("dclm-baseline-top-fw-10p", "dclm-baseline-qc-fw-10p"),
    ("dclm-baseline-top-10p", "dclm-baseline-qc-10p"),
    ("dclm-baseline-top-20p", "dclm-baseline-qc-20p"),
    // dr_ingest normalized keys
    ("dolma17_no_code", "dolma1_7-no-code"),
    ("dolma17_no_math_code", "dolma1_7-no-math-code"),
    ("dolma17_no_reddit", "dolma1_7-no-reddit"),
    ("dolma17_no_flan", "dolma1_7-no-flan"),
    ("dolma16", "dolma1_6plus"),
    ("fineweb_pro", "fineweb-pro"),
    ("fineweb_edu", "fineweb-edu"),
    ("falcon_cc", "falcon-and-cc"),
    ("falcon_cc_qc_10", "falcon-and-cc-qc-10p"),
    ("falcon_cc_qc_20", "falcon-and-cc-qc-20p"),
    ("falcon_cc_qc_orig_10", "falcon-and-cc-qc-orig-10p"),
    ("falcon_cc_qc_tulu_10", "falcon-and-cc-qc-tulu-10p"),
    ("dclm_baseline", "dclm-baseline"),
    ("dclm_baseline_qc_7_fw2", "dclm-baseline-qc-7p-fw2"),
    ("dclm_baseline_qc_7_fw3", "dclm-baseline-qc-7p-fw3"),
    ("dclm_baseline_qc_fw_3", "dclm-baseline-qc-fw-3p"),
    ("dclm_baseline_qc_fw_10", "dclm-baseline-qc-fw-10p"),
    ("dclm_baseline_qc_10", "dclm-baseline-qc-10p"),
    ("dclm_baseline_qc_20", "dclm-baseline-qc-20p"),
    (
        "dclm_baseline_25_dolma_75",
        "dclm-baseline-25p-dolma1.7-75p",
    ),
    (
        "dclm_baseline_50_dolma_50",
        "dclm-baseline-50p-dolma1.7-50p",
    ),
    (
        "dclm_baseline_75_dolma_25",
        "dclm-baseline-75p-dolma1.7-25p",
    ),
    // other variants: comma-less csv names, inverted dr_ingest mix aliases
    ("Dolma1.7 (no math code)", "dolma1_7-no-math-code"),
    ("DCLM-Baseline (QC 7% FW2)", "dclm-baseline-qc-7p-fw2"),
    ("DCLM-Baseline (QC 7% FW3)", "dclm-baseline-qc-7p-fw3"),
    (
        "dolma17_25p_dclm_baseline_75p",
        "dclm-baseline-75p-dolma1.7-25p",
    ),
    (
        "dolma17_75p_dclm_baseline_25p",
        "dclm-baseline-25p-dolma1.7-75p",
    ),
];

#[test]
fn every_recipe_spelling_maps_to_its_slug() {
    for (spelling, slug) in RECIPE_SPELLINGS {
        let recipe = Recipe::parse(spelling).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(recipe.slug, *slug, "spelling {spelling}");
    }
    assert_eq!(RECIPES.len(), 25);
    let displays: Vec<_> = RECIPES.iter().map(|r| r.display).collect();
    assert_eq!(
        &displays[..7],
        [
            "Dolma1.7",
            "Dolma1.7 (no code)",
            "Dolma1.7 (no math, code)",
            "Dolma1.7 (no Reddit)",
            "Dolma1.7 (no Flan)",
            "Dolma1.6++",
            "C4"
        ]
    );
}

#[test]
fn no_spelling_names_two_recipes() {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for r in Recipe::all() {
        for s in r.spellings() {
            if let Some(other) = seen.insert(s, r.slug) {
                assert_eq!(other, r.slug, "spelling {s} names two recipes");
            }
        }
    }
}

#[test]
fn misspelled_recipes_are_rejected_with_the_value() {
    for bad in [
        "Dolma 1.7",
        "dolma1.7 ",
        "c4 ",
        "DCLM-Baseline (QC 7%,FW2)",
        "dclm-baseline-25p-dolma17-75p",
        "Falcon + CC",
        "",
    ] {
        let err = Recipe::parse(bad).expect_err(bad);
        assert_eq!(err.value, bad);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("unknown recipe `{bad}`")),
            "{text}"
        );
        assert!(
            text.ends_with("(`runlake names recipe` lists them all)"),
            "{text}"
        );
    }
}

#[test]
fn seeds_in_every_spelling() {
    let cases: &[(&str, &str, i64, u8)] = &[
        ("default", "default", 6198, 0),
        ("small aux 2", "small-aux-2", 14, 1),
        ("small aux 3", "small-aux-3", 15, 2),
        ("large aux 2", "large-aux-2", 4, 3),
        ("large aux 3", "large-aux-3", 5, 4),
    ];
    for &(name, slug, value, ordinal) in cases {
        let seed = Seed::parse(name).expect(name);
        assert_eq!(
            (seed.slug, seed.value, seed.ordinal),
            (slug, value, ordinal)
        );
        assert_eq!(Seed::parse(slug).expect(slug), seed);
        assert_eq!(Seed::parse(&name.replace(' ', "_")).expect(name), seed);
        assert_eq!(Seed::from_value(value).expect("value"), seed);
        assert_eq!(
            Seed::from_ordinal(i64::from(ordinal)).expect("ordinal"),
            seed
        );
    }
    assert_eq!(
        Seed::from_archive_value(2).expect("archive").slug,
        "default"
    );
    assert_eq!(
        Seed::from_archive_value(14).expect("archive").slug,
        "small-aux-2"
    );
    let b1 = Size::parse("1B").expect("1B");
    let m150 = Size::parse("150M").expect("150M");
    assert_eq!(
        Seed::from_size_ordinal(b1, 1).expect("1B ord").slug,
        "large-aux-2"
    );
    assert_eq!(
        Seed::from_size_ordinal(m150, 2).expect("150M ord").slug,
        "small-aux-3"
    );
    assert!(Seed::from_size_ordinal(m150, 3).is_err());
    assert_eq!(Seed::for_size(b1).len(), 5);
    assert_eq!(Seed::for_size(m150).len(), 3);
    for bad in ["small aux2", "Default", "small-aux-4", "4"] {
        assert_eq!(Seed::parse(bad).expect_err(bad).value, bad);
    }
    assert!(Seed::from_value(6199).is_err());
    assert!(Seed::from_ordinal(5).is_err());
}

#[test]
fn sizes_and_schedules() {
    let labels: Vec<_> = Size::all().iter().map(|s| s.label).collect();
    assert_eq!(
        labels,
        [
            "4M", "6M", "8M", "10M", "14M", "16M", "20M", "60M", "90M", "150M", "300M", "530M",
            "750M", "1B"
        ]
    );
    let s = Size::parse("530M").expect("530M");
    assert_eq!(
        (s.params_nominal, s.params_training, s.params_exact),
        (530_000_000, 530_100_000, None)
    );
    let sched = s.schedule();
    assert_eq!(
        (sched.batch_size, sched.final_step, sched.tokens_per_step),
        (448, 57786, 448 * 2048)
    );
    // The real final-step token count of a 530M run.
    assert_eq!(sched.tokens_at(57786), 53_018_886_144);
    let m4 = Size::parse("4M").expect("4M");
    assert_eq!(m4.params_exact, Some(3_744_832));
    assert_eq!(m4.schedule().tokens_at(5735), 375_848_960);
    assert_eq!(
        Size::parse("1B")
            .expect("1B")
            .schedule()
            .checkpoint_interval,
        2500
    );
    assert_eq!(
        Size::parse("150m").expect_err("case").to_string(),
        "unknown size `150m`; did you mean `150M`? (`runlake names size` lists them all)"
    );
    for bad in ["150m", "1.0B", "150", "2B"] {
        let text = Size::parse(bad).expect_err(bad).to_string();
        assert!(text.starts_with(&format!("unknown size `{bad}`")), "{text}");
    }
}

#[test]
fn run_uid_uses_slugs() {
    let uid = pretrain_run_uid(
        Recipe::parse("C4").expect("C4"),
        Size::parse("150M").expect("150M"),
        Seed::parse("default").expect("default"),
    );
    assert_eq!(uid, "dd/c4/150M/default");
}

#[test]
fn tasks_metrics_and_policy() {
    assert_eq!(MMLU_SUBJECTS.len(), 57);
    assert_eq!(CORE_TASKS.len() + MMLU_SUBJECTS.len(), 66);
    assert_eq!(
        canonical_task("arc_challenge:rc::olmes:full"),
        Ok("arc_challenge")
    );
    assert_eq!(
        canonical_task("mmlu_virology:rc::olmes"),
        Ok("mmlu_virology")
    );
    assert_eq!(task_kind("mmlu_virology"), Ok(TaskKind::MmluSubject));
    assert_eq!(task_kind("mmlu_average"), Ok(TaskKind::MmluAverage));
    assert_eq!(task_kind("olmes_10_macro_avg"), Ok(TaskKind::MacroAverage));
    assert_eq!(
        task_kind("ppl_dolma_common-crawl"),
        Ok(TaskKind::Perplexity)
    );
    let expected = [
        ("arc_challenge", "acc_uncond"),
        ("arc_easy", "acc_per_char"),
        ("boolq", "acc_raw"),
        ("csqa", "acc_uncond"),
        ("hellaswag", "acc_per_char"),
        ("openbookqa", "acc_uncond"),
        ("piqa", "acc_per_char"),
        ("socialiqa", "acc_per_char"),
        ("winogrande", "acc_raw"),
        ("mmlu_anatomy", "acc_raw"),
        ("mmlu_average", "acc_raw"),
        ("mmlu", "acc_raw"),
        ("olmes_10_macro_avg", "primary_metric"),
        ("ppl_pile", "perplexity"),
    ];
    for (task, metric) in expected {
        assert_eq!(primary_policy(task).expect(task).metric, metric, "{task}");
    }
    for bad in ["arc-challenge", "mmlu_astrology", "ARC_CHALLENGE"] {
        assert_eq!(canonical_task(bad).expect_err(bad).value, bad);
    }
    // One rule names every task: the regime, `rc` and `full` go, other formats stay.
    for (spelling, name) in [
        ("arc_challenge:rc::olmes:full", "arc_challenge"),
        ("arc_challenge", "arc_challenge"),
        ("core_9mcqa:rc::olmes:full", "core_9mcqa"),
        ("boolq:mc::olmes", "boolq:mc"),
        ("ifeval::tulu", "ifeval"),
        ("bbh:cot-v1::tulu", "bbh:cot-v1"),
        ("mmlu:mc::tulu", "mmlu:mc"),
        ("::", "::"),
    ] {
        assert_eq!(task_name(spelling), name, "{spelling}");
    }
    // A multiple-choice evaluation is not the rank-classification task of the vocabulary.
    assert!(canonical_task("boolq:mc::olmes").is_err());
    assert_eq!(canonical_task("boolq:rc"), Ok("boolq"));
    assert_eq!(METRIC_NAMES.len(), 28);
    assert_eq!(PPL_SETS.len(), 11);
    let set = PplSet::parse("eval/dolma_common-crawl-validation/Perplexity").expect("ppl");
    assert_eq!(
        (set.task, set.full_eval_column),
        ("ppl_dolma_common-crawl", "dolma_common-crawl-valppl")
    );
    assert_eq!(PplSet::parse("c4_en-valppl").expect("ppl").name, "c4_en");
    assert!(PplSet::parse("eval/c4-validation/Perplexity").is_err());
}

#[test]
fn scheduled_tokens_of_a_pretraining_run() {
    use runlake_vocab::scheduled_tokens;
    assert_eq!(
        scheduled_tokens("dd/dolma1_7/4M/default", 5725),
        Some(5725 * 32 * 2048)
    );
    assert_eq!(scheduled_tokens("dd/dolma1_7/5M/default", 10), None);
    assert_eq!(scheduled_tokens("wandb/e/p/4M", 10), None);
    assert_eq!(scheduled_tokens("dd/dolma1_7/4M/default", -1), None);
}

#[test]
fn spellings_in_any_case_name_one_entry() {
    // Lower-casing never makes two recipes share a spelling.
    for r in Recipe::all() {
        for s in r.spellings() {
            for v in [s.to_ascii_lowercase(), s.to_ascii_uppercase()] {
                assert_eq!(
                    Recipe::parse_any_case(&v).map(|x| x.slug),
                    Ok(r.slug),
                    "{v}"
                );
            }
        }
    }
    let slug = |s: &str| Recipe::parse_any_case(s).ok().map(|r| r.slug);
    assert_eq!(slug("d17"), Some("dolma1_7"));
    assert_eq!(slug(" Dolma1.7 "), Some("dolma1_7"));
    assert_eq!(
        slug("DCLM-Baseline (QC 7%, FW2)"),
        Some("dclm-baseline-qc-7p-fw2")
    );
    assert_eq!(
        slug("dolma17-75p-DCLM-baseline-25p"),
        Some("dclm-baseline-25p-dolma1.7-75p")
    );
    assert_eq!(slug("nonsense"), None);
    let seed = |s: &str| Seed::parse_any_case(s).ok().map(|x| x.slug);
    assert_eq!(seed("Small Aux 3"), Some("small-aux-3"));
    assert_eq!(seed("large_aux_2"), Some("large-aux-2"));
    assert_eq!(seed("default"), Some("default"));
    assert_eq!(seed("aux"), None);
}
