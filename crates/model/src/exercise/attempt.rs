//! An attempt at an exercise: the scenario so far and each goal's state.
//! The page keeps one per open exercise; `podnet exercise check` runs the
//! reference solution through one.

use serde::{Deserialize, Serialize};

use super::{err, Exercise, ExerciseError, Goal};
use crate::command::Command;
use crate::compare;
use crate::events::Event;
use crate::sandbox::Sandbox;
use crate::scenario::Scenario;

/// Where one goal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalState {
    /// The goal's text.
    pub text: String,
    /// Met (for a `once` goal: met at some moment).
    pub met: bool,
    /// What the checks see now: the first that fails, or the last that holds.
    pub why: String,
}

/// Evaluates `goals` on a state; a `once` goal met before stays met.
pub fn evaluate<'a>(
    goals: &[Goal],
    sb: &Sandbox,
    events: impl Iterator<Item = &'a Event> + Clone,
    before: &[GoalState],
) -> Vec<GoalState> {
    goals
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mut why = String::new();
            let mut met = true;
            for c in &g.all {
                let (ok, seen) = c.eval(sb, events.clone());
                why = seen;
                if !ok {
                    met = false;
                    break;
                }
            }
            let was = g.once && before.get(i).is_some_and(|b| b.met);
            GoalState {
                text: g.text.clone(),
                met: met || was,
                why: if was && !met {
                    format!("met earlier; now {why}")
                } else {
                    why
                },
            }
        })
        .collect()
}

/// An attempt: the scenario as the learner has built it, and the goals.
#[derive(Debug, Clone)]
pub struct Attempt {
    goals: Vec<Goal>,
    scenario: Scenario,
    sandbox: Sandbox,
    events: Vec<Event>,
    states: Vec<GoalState>,
}

impl Attempt {
    /// Starts `exercise`.
    pub fn new(exercise: &Exercise) -> Result<Self, ExerciseError> {
        let scenario = exercise.start()?;
        let replay = scenario
            .replay()
            .map_err(|e| err("scenario", e.to_string()))?;
        let events: Vec<Event> = replay.events().cloned().collect();
        let states = evaluate(&exercise.goals, &replay.sandbox, events.iter(), &[]);
        Ok(Self {
            goals: exercise.goals.clone(),
            scenario,
            sandbox: replay.sandbox,
            events,
            states,
        })
    }

    /// Runs a command. A `set-cni` to another strategy replays the whole
    /// scenario under it, as the page does (nodes choose their CNI at boot).
    pub fn run(&mut self, command: Command) -> Result<(), String> {
        match &command {
            Command::SetCni { cni } if !cni.same_strategy(&self.scenario.cni) => {
                let next = compare::under(&self.scenario, cni.clone());
                let replay = next.replay().map_err(|e| e.to_string())?;
                self.events = replay.events().cloned().collect();
                self.sandbox = replay.sandbox;
                self.scenario = next;
            }
            _ => {
                let events = self
                    .sandbox
                    .apply(command.clone())
                    .map_err(|e| e.to_string())?;
                self.events.extend(events);
                self.scenario.actions.push(command);
            }
        }
        self.states = evaluate(&self.goals, &self.sandbox, self.events.iter(), &self.states);
        Ok(())
    }

    /// Each goal's state.
    pub fn goals(&self) -> &[GoalState] {
        &self.states
    }

    /// Every goal met.
    pub fn done(&self) -> bool {
        self.states.iter().all(|g| g.met)
    }

    /// The scenario so far.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
}
