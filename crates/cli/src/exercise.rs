//! `podnet exercise list` and `podnet exercise check [FILE|DIR]`.

use std::path::Path;

use clap::Subcommand;
use podnet_model::exercise::{builtin_exercises, Attempt, Exercise};

/// `podnet exercise …`.
#[derive(Debug, Subcommand)]
pub enum ExerciseCommand {
    /// One line per built-in exercise: its id and title.
    List,
    /// Validate exercise files and prove each solvable by replaying its
    /// reference solution; with no argument, the built-in exercises.
    Check {
        /// An exercise JSON file, or a directory of them (`*.json`).
        path: Option<String>,
        /// Also print each goal's state at the start and after the solution.
        #[arg(long)]
        verbose: bool,
    },
}

/// Runs `podnet exercise`.
///
/// # Errors
/// A file that cannot be read, is invalid, or whose solution does not
/// solve it: each named, with the field and the problem.
pub fn run(command: &ExerciseCommand) -> Result<String, String> {
    match command {
        ExerciseCommand::List => Ok(builtin_exercises::titles()
            .map(|(id, title)| format!("{id:<30} {title}"))
            .collect::<Vec<_>>()
            .join("\n")),
        ExerciseCommand::Check { path, verbose } => {
            let files = match path {
                None => builtin_exercises::ALL
                    .iter()
                    .map(|(id, json)| (format!("built-in {id}"), Ok((*json).to_owned())))
                    .collect(),
                Some(p) => files_in(Path::new(p))?,
            };
            let mut out = Vec::new();
            let mut failed = 0;
            for (name, text) in files {
                match text.and_then(|t| check(&t, *verbose)) {
                    Ok(report) => out.push(format!("ok    {name}{report}")),
                    Err(e) => {
                        failed += 1;
                        out.push(format!("FAIL  {name}: {e}"));
                    }
                }
            }
            let summary = format!("{} checked, {failed} failed", out.len());
            out.push(summary);
            if failed > 0 {
                Err(out.join("\n"))
            } else {
                Ok(out.join("\n"))
            }
        }
    }
}

/// A file's name and its text (or why it could not be read).
type Named = (String, Result<String, String>);

fn files_in(path: &Path) -> Result<Vec<Named>, String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| e.to_string());
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        entries.sort();
        if entries.is_empty() {
            return Err(format!("{}: no .json file in it", path.display()));
        }
        Ok(entries
            .iter()
            .map(|p| (p.display().to_string(), read(p)))
            .collect())
    } else {
        Ok(vec![(path.display().to_string(), read(path))])
    }
}

fn check(text: &str, verbose: bool) -> Result<String, String> {
    let ex = Exercise::from_json(text).map_err(|e| e.to_string())?;
    if ex.solved_at_start() {
        return Err("every goal is already met at the start: nothing to do".into());
    }
    ex.check_solution().map_err(|e| e.to_string())?;
    let mut report = format!(
        ": {} ({} goals, solved in {} steps)",
        ex.title,
        ex.goals.len(),
        ex.solution.len()
    );
    if verbose {
        let mut a = Attempt::new(&ex).map_err(|e| e.to_string())?;
        report.push_str("\n      at the start:");
        for g in a.goals() {
            report.push_str(&format!(
                "\n        {} {}: {}",
                if g.met { "✓" } else { "✗" },
                g.text,
                g.why
            ));
        }
        for c in &ex.solution {
            a.run(c.clone())?;
        }
        report.push_str("\n      after the solution:");
        for g in a.goals() {
            report.push_str(&format!(
                "\n        {} {}: {}",
                if g.met { "✓" } else { "✗" },
                g.text,
                g.why
            ));
        }
    }
    Ok(report)
}
