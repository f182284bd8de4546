"""The reader benchmark's five questions in DuckDB SQL over a lake's Parquet folders, shared by
the benchmark (`duckdb_bench.py`) and the interop test (`tests/interop/duckdb_queries.py`).
"""


# datadec's MAX_STEP_TO_USE per size (drothermel/datadec `constants.py`).
MAX_STEP_TO_USE = {
    "4M": 5725, "6M": 9182, "8M": 13039, "10M": 15117, "14M": 21953, "16M": 24432,
    "20M": 14584, "60M": 29042, "90M": 29901, "150M": 37500, "300M": 45000, "530M": 51250,
    "750M": 62500, "1B": 67500,
}


def queries(lake, task, size, chain_run=None):
    """SQL per query name; `q5` (the continuous curve of `chain_run`) only when one is given."""

    def table(name):
        # The README's globs: they stay out of `_delta_log/`, whose checkpoints are Parquet.
        glob = "*.parquet" if name in ("pretrain_ckpts", "lineage") else "*=*/*.parquet"
        return f"read_parquet('{lake}/{name}/{glob}', hive_partitioning = true)"

    evals, lineage = table("evals"), table("lineage")
    caps = ", ".join(f"('{s}', {c})" for s, c in MAX_STEP_TO_USE.items())
    ckpts, steps = table("pretrain_ckpts"), table("posttrain_steps")
    queries = {
        "q1": f"""
            SELECT run_uid, recipe, seed, step, primary_score FROM {evals}
            WHERE phase = 'pretrain' AND task = '{task}' AND size = '{size}'""",
        # datadec's final checkpoint: the last step up to the size's MAX_STEP_TO_USE with a
        # value, every seed read at that one step.
        "q2": f"""
            WITH caps(size, cap) AS (VALUES {caps}),
            e AS (SELECT x.* FROM {evals} x JOIN caps c ON x.size = c.size AND x.step <= c.cap
                  WHERE phase = 'pretrain' AND task = '{task}'
                    AND primary_score IS NOT NULL AND NOT isnan(primary_score)),
            f AS (SELECT recipe, size, max(step) AS step FROM e GROUP BY recipe, size)
            SELECT e.recipe, e.size, max(e.step) AS step, count(*) AS n_seeds,
                   avg(e.primary_score) AS primary_score_mean,
                   stddev_samp(e.primary_score) AS primary_score_std
            FROM e JOIN f ON e.recipe = f.recipe AND e.size = f.size AND e.step = f.step
            GROUP BY e.recipe, e.size ORDER BY 1, 2""",
        "q3": f"""
            SELECT recipe, size, step, avg(primary_score) AS primary_score_mean,
                   stddev_samp(primary_score) AS primary_score_std,
                   count(primary_score) AS primary_score_count
            FROM {evals} WHERE phase = 'pretrain' AND task = '{task}'
            GROUP BY recipe, size, step""",
        "q4": f"""
            SELECT p.run_uid, l.parent_run_uid, l.parent_step, p.task,
                   p.primary_score, e.primary_score AS parent_primary_score
            FROM {lineage} l
            JOIN {evals} p ON p.run_uid = l.child_run_uid AND p.phase = 'posttrain'
            JOIN {evals} e ON e.run_uid = l.parent_run_uid AND e.step = l.parent_step
                          AND e.task = p.task AND e.phase = 'pretrain'
            WHERE l.resolved AND l.parent_step IS NOT NULL ORDER BY 1, 4""",
    }
    if chain_run is not None:
        queries["q5"] = f"""
            WITH RECURSIVE chain(run, parent, pstep, depth) AS (
                SELECT child_run_uid, parent_run_uid, parent_step, 0 FROM {lineage}
                WHERE resolved AND child_run_uid = '{chain_run}'
                UNION ALL
                SELECT l.child_run_uid, l.parent_run_uid, l.parent_step, c.depth + 1
                FROM {lineage} l JOIN chain c ON l.child_run_uid = c.parent WHERE l.resolved
            ),
            root AS (SELECT parent AS run, pstep FROM chain ORDER BY depth DESC LIMIT 1),
            pre AS (
                SELECT 0 AS seg, c.run_uid, 'checkpoint' AS kind, c.step, c.tokens::DOUBLE AS tok,
                       e.primary_score AS value
                FROM {ckpts} c JOIN root ON c.run_uid = root.run AND c.step <= root.pstep
                LEFT JOIN {evals} e ON e.run_uid = c.run_uid AND e.step = c.step
                     AND e.task = '{task}' AND e.phase = 'pretrain'
            ),
            segs AS (SELECT run, (SELECT max(depth) FROM chain) - depth + 1 AS seg FROM chain),
            st AS (SELECT g.seg, s.run_uid, s.step, s.total_tokens AS tok
                   FROM {steps} s JOIN segs g ON s.run_uid = g.run),
            ends AS (SELECT seg, max(tok) AS len FROM st GROUP BY seg),
            offs AS (SELECT seg, (SELECT max(tok) FROM pre) + coalesce(sum(len) OVER
                       (ORDER BY seg ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS off
                     FROM ends)
            SELECT * FROM pre
            UNION ALL
            SELECT s.seg, s.run_uid, 'step', s.step, o.off + s.tok, NULL
            FROM st s JOIN offs o USING (seg)
            UNION ALL
            SELECT g.seg, e.run_uid, 'eval', e.step, o.off + n.len, e.primary_score
            FROM {evals} e JOIN segs g ON e.run_uid = g.run JOIN offs o ON o.seg = g.seg
            JOIN ends n ON n.seg = g.seg
            WHERE e.task = '{task}' AND e.phase = 'posttrain'
            ORDER BY 1, 5"""
    return queries
