//! Every command of the README, run as a new user would: the `sh` blocks in order, in a fresh
//! folder holding the repository's `testdata`, with `runlake` standing for the program under
//! test. Each command must exit 0; a `text` block after a command lists lines its output must
//! contain. Commands that cannot run here are left out by [`EXCLUDED`], each with its reason;
//! any other command must start with `runlake`, so a new block is either run or listed.

use std::path::Path;
use std::process::Command;

/// Commands not run, matched by prefix, with why. Extend this list for README blocks that
/// install things, need the network or run for minutes.
const EXCLUDED: &[(&str, &str)] = &[
    (
        "cargo install --locked --path .",
        "installs the program this test runs from its build",
    ),
    ("bash .ci/test", "the test command itself"),
    (
        "bash docs/readme-plots.sh",
        "writes into the repository; runs the plot commands above",
    ),
    (
        "crates/runlake-datadecide/bench/convert_bench.sh",
        "a full-scale benchmark",
    ),
    (
        "crates/runlake-wandb/bench/convert_bench.sh",
        "a full-scale benchmark",
    ),
    (
        "cargo run --release -p runlake-reader --example bench",
        "a full-scale benchmark",
    ),
    ("aws ", "configures a cloud bucket"),
    ("pip install", "installs Python packages"),
];

/// One runnable step of the README: a command, or the output lines the last command printed.
#[derive(Debug)]
enum Step {
    Run(String),
    Expect(Vec<String>),
}

/// The `sh` commands (continuation lines joined, comments dropped) and `text` blocks, in order.
fn steps(readme: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let fence = line.trim_start();
        let Some(lang) = fence.strip_prefix("```") else {
            continue;
        };
        let body: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.trim_start().starts_with("```"))
            .collect();
        match lang.trim() {
            "sh" => {
                let mut pending = String::new();
                for l in body {
                    let l = strip_comment(l);
                    if let Some(head) = l.strip_suffix('\\') {
                        pending.push_str(head);
                        pending.push(' ');
                        continue;
                    }
                    pending.push_str(l);
                    if in_quotes(&pending) {
                        pending.push(' ');
                        continue;
                    }
                    let command = pending.trim().to_owned();
                    pending.clear();
                    if !command.is_empty() {
                        out.push(Step::Run(command));
                    }
                }
            }
            "text" => out.push(Step::Expect(
                body.iter()
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty())
                    .collect(),
            )),
            _ => {}
        }
    }
    out
}

/// Whether `text` ends inside a quoted string (the command goes on on the next line).
fn in_quotes(text: &str) -> bool {
    let mut quote = None;
    for c in text.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            _ => {}
        }
    }
    quote.is_some()
}

/// The line without a `#` comment outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') if prev.is_whitespace() => return line[..i].trim_end(),
            _ => {}
        }
        prev = c;
    }
    line.trim_end()
}

/// Shell words: whitespace separates, single and double quotes group.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut any = false;
    for c in command.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), _) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            _ => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

fn excluded(command: &str) -> Option<&'static str> {
    excluded_at(command).map(|i| EXCLUDED[i].1)
}

/// The entry of [`EXCLUDED`] that leaves `command` out, looking past leading environment
/// settings (`RUNS="200 2000" script`).
fn excluded_at(command: &str) -> Option<usize> {
    let mut rest = command.trim_start();
    loop {
        let name_end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        if name_end == 0 || !rest[name_end..].starts_with('=') {
            break;
        }
        let value = &rest[name_end + 1..];
        let end = match value.strip_prefix('"') {
            Some(quoted) => quoted.find('"').map_or(value.len(), |i| i + 2),
            None => value.find(char::is_whitespace).unwrap_or(value.len()),
        };
        rest = value[end..].trim_start();
    }
    EXCLUDED.iter().position(|(p, _)| rest.starts_with(p))
}

#[test]
fn every_readme_command_runs_on_a_fresh_lake() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let steps = steps(&readme);
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(root.join("testdata"), dir.path().join("testdata"))
        .expect("link testdata");
    std::fs::create_dir_all(dir.path().join("docs/img")).expect("docs/img");

    let mut ran = 0;
    let mut last: Option<(String, String)> = None;
    let mut used = vec![false; EXCLUDED.len()];
    for step in &steps {
        match step {
            Step::Run(command) => {
                if let Some(i) = excluded_at(command) {
                    used[i] = true;
                    last = None;
                    continue;
                }
                let words = words(command);
                assert_eq!(
                    words.first().map(String::as_str),
                    Some("runlake"),
                    "README command neither run nor excluded: {command}"
                );
                let out = Command::new(env!("CARGO_BIN_EXE_runlake"))
                    .args(&words[1..])
                    .current_dir(dir.path())
                    .output()
                    .expect("runlake runs");
                let printed = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(
                    out.status.success(),
                    "README command failed ({}): {command}\n{printed}",
                    out.status
                );
                ran += 1;
                last = Some((command.clone(), printed));
            }
            Step::Expect(lines) => {
                let Some((command, printed)) = &last else {
                    panic!("a text block follows no command that ran: {lines:?}");
                };
                for line in lines {
                    assert!(
                        printed.contains(line.as_str()),
                        "`{command}` does not print `{line}`:\n{printed}"
                    );
                }
            }
        }
    }
    assert!(ran >= 10, "only {ran} README commands ran");
    for ((prefix, _), used) in EXCLUDED.iter().zip(used) {
        // The Python and cloud entries may have no block yet; the others must still match.
        if !used && !matches!(*prefix, "pip install" | "aws ") {
            panic!("excluded command no longer in the README: {prefix}");
        }
    }
    assert!(excluded("bash .ci/test").is_some());
    assert!(
        excluded("RUNS=\"200 2000\" X=1 crates/runlake-wandb/bench/convert_bench.sh").is_some()
    );
    assert!(excluded("RUNS=3 runlake log demo-lake").is_none());
}

#[test]
fn readme_blocks_are_read_as_a_shell_would() {
    let md = "x\n```sh\nrunlake a 'b c' \\\n  --d \"e f\"  # note\nrunlake g '{\n  1}'\n```\n```text\n  out\n```\n```python\nprint(1)\n```\n";
    let steps = steps(md);
    assert_eq!(steps.len(), 3, "{steps:?}");
    let Step::Run(first) = &steps[0] else {
        panic!("{steps:?}")
    };
    assert_eq!(words(first), ["runlake", "a", "b c", "--d", "e f"]);
    assert!(matches!(&steps[1], Step::Run(c) if words(c) == ["runlake", "g", "{   1}"]));
    assert!(matches!(&steps[2], Step::Expect(l) if l == &["out".to_owned()]));
    assert_eq!(strip_comment("a '# not' b # yes"), "a '# not' b");
}
