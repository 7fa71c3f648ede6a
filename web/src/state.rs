//! The app's one reducer: the scenario, how far it is applied (undo, redo,
//! time travel), the sandbox at that point, and what is selected.
//!
//! The reducer does no I/O: loading and saving live in `persist.rs`, and
//! everything networking is the model's `Sandbox::apply`.

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use podnet_model::events::Event;
use podnet_model::exercise::{evaluate, Exercise, GoalState};
use podnet_model::ids::{EniId, NodeId, PodId, SubnetId};
use podnet_model::scenario::builtin;
use podnet_model::{Command, Sandbox, Scenario, ScenarioError};
use yew::Reducible;

/// One applied command and the events it caused.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The command, in words.
    pub label: String,
    /// What it caused.
    pub events: Vec<Event>,
}

impl Step {
    /// The step of `command`, which caused `events`.
    fn of(command: &Command, events: Vec<Event>) -> Rc<Self> {
        Rc::new(Self {
            label: command.to_string(),
            events,
        })
    }
}

/// An exercise in progress: its goals' state and the hints shown.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseRun {
    /// The exercise.
    pub exercise: Rc<Exercise>,
    /// Each goal, as of the current state.
    pub goals: Vec<GoalState>,
    /// How many hints the learner asked for.
    pub hints: usize,
    /// Every goal met (at some point; it stays completed).
    pub completed: bool,
}

/// What the inspector shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// A subnet.
    Subnet(SubnetId),
    /// A node.
    Node(NodeId),
    /// A pod.
    Pod(PodId),
    /// An ENI (a node's or an X-ENI).
    Eni(EniId),
    /// The EKS control plane.
    ControlPlane,
    /// A NetworkPolicy (its index in the sandbox's policies).
    Policy(usize),
}

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    /// The scenario, including commands undone but not yet overwritten.
    pub scenario: Rc<Scenario>,
    /// How many of its commands are applied.
    pub cursor: usize,
    /// The sandbox after `cursor` commands. A command that the model
    /// accepts is applied in place (a 150,000-pod sandbox is too big to copy
    /// per click), so an older `AppState` must not be read after a newer one
    /// was made; `version` tells renders apart. A refused command changes
    /// nothing (the model validates before it mutates).
    sandbox: Rc<RefCell<Sandbox>>,
    /// Which sandbox state this is: new whenever the sandbox changes in
    /// place or is replaced (never reused, see `next_version`).
    pub version: u64,
    /// One entry per applied command.
    pub steps: Rc<Vec<Rc<Step>>>,
    /// The last refusal or load failure, shown until dismissed.
    pub error: Option<String>,
    /// A short confirmation (link made, file imported…).
    pub notice: Option<String>,
    /// What the inspector shows.
    pub selection: Option<Selection>,
    /// The hop of a traced path the map lights up.
    pub mark: Option<podnet_model::paths::Place>,
    /// The exercise being done, if any.
    pub exercise: Option<Rc<ExerciseRun>>,
    /// Ids of the exercises completed (kept in localStorage by the shell).
    pub progress: Rc<Vec<String>>,
}

/// What can happen to the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Apply a command after the current point (dropping any redo history).
    Run(Command),
    /// A scenario replayed a chunk at a time ([`Loading`]) is ready: it
    /// replaces the state, with the notice said once loaded, and `then`
    /// says what becomes of the exercise.
    Replayed {
        /// The state, every command applied.
        state: Rc<AppState>,
        /// What the replay was, for the exercise.
        then: AfterReplay,
    },
    /// Step back one command.
    Undo,
    /// Re-apply the next command.
    Redo,
    /// Time travel: show the state after `n` commands.
    GoTo(usize),
    /// Replace the scenario (import, share link); `source` names it in messages.
    Load(Rc<Scenario>, String),
    /// Replace the scenario with a built-in example, by name.
    LoadExample(String),
    /// Replay the scenario under another CNI (or other settings fixed at
    /// boot): the `SetCni` commands of the old one are dropped.
    ReplayUnder(podnet_model::CniMode),
    /// A load that failed before reaching the reducer (bad file, bad link).
    LoadFailed(String),
    /// Back to the built-in starting scenario.
    Reset,
    /// Select something for the inspector (or nothing).
    Select(Option<Selection>),
    /// Show a confirmation.
    Notice(String),
    /// Hide the error and the notice.
    Dismiss,
    /// Light up a hop of a traced path on the map (or nothing).
    Mark(Option<podnet_model::paths::Place>),
    /// Start an exercise: its scenario replaces the current one.
    OpenExercise(Rc<Exercise>),
    /// Leave the exercise (the scenario stays).
    CloseExercise,
    /// Show the next hint.
    Hint,
}

/// Replays the first `upto` commands, keeping each command's events.
///
/// # Errors
/// The first command the sandbox refuses, or an invalid setup.
pub fn replay_steps(
    scenario: &Scenario,
    upto: usize,
) -> Result<(Sandbox, Vec<Rc<Step>>), ScenarioError> {
    let mut steps = Vec::with_capacity(upto);
    let sandbox =
        scenario.replay_each(Some(upto), |cmd, events| steps.push(Step::of(cmd, events)))?;
    Ok((sandbox, steps))
}

/// The built-in starting scenario.
pub fn seed() -> Scenario {
    builtin::get("seed")
        .and_then(|json| Scenario::from_json(json).ok())
        .unwrap_or_else(|| Scenario::new("empty", "10.10.0.0/16"))
}

/// A number no earlier sandbox state had: a loaded scenario does not
/// restart at 0, so a version (with nothing else) tells any two sandbox
/// states apart, and memos keyed on it never serve another scenario's.
fn next_version() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What the page says once `source` ("the file x.json") is loaded.
pub fn loaded(source: &str) -> String {
    format!("Loaded {source}.")
}

/// What the page says when `source` cannot be loaded: the scenario stays.
pub fn not_loaded(source: &str, err: &ScenarioError) -> String {
    format!("Could not load {source}: {err}. Your scenario is unchanged.")
}

/// A scenario of more commands than this is replayed a chunk at a time
/// (150,000 pods on 5,000 nodes took one 400-ms task in one go).
pub const CHUNKED_ABOVE: usize = 400;

/// A scenario adding more pods than this is replayed a chunk at a time
/// too, however few its commands: 1,000 pods on 40 nodes in 14 commands,
/// replayed while the page starts, made one task of 174–238 ms.
pub const CHUNKED_PODS_ABOVE: u64 = 500;

/// Whether `actions` are replayed a chunk at a time, the page showing the
/// progress and answering input in between.
pub fn replays_in_chunks(actions: &[Command]) -> bool {
    let pods: u64 = actions
        .iter()
        .map(|a| match a {
            Command::AddPods(p) => u64::from(p.count),
            _ => 0,
        })
        .sum();
    actions.len() > CHUNKED_ABOVE || pods > CHUNKED_PODS_ABOVE
}

/// How long one chunk of a replay may run, in milliseconds, before it gives
/// the main thread back (the page answers input between chunks).
pub const CHUNK_MS: f64 = 40.0;

/// What a scenario replayed in chunks was, for the exercise in progress.
#[derive(Debug, Clone, PartialEq)]
pub enum AfterReplay {
    /// A new scenario: it ends the exercise.
    NewScenario,
    /// The same scenario under another CNI: the exercise stays open.
    SwitchedCni,
    /// The autosave, found on opening with this exercise in progress
    /// (its goals' met flags): the exercise resumes on it.
    Resume(Rc<Exercise>, Vec<bool>),
}

/// A scenario being replayed a chunk of commands at a time, so that the
/// page stays responsive and shows how far it got; [`Loading::finish`]
/// gives the state [`AppState::from_scenario`] would have.
pub struct Loading {
    scenario: Rc<Scenario>,
    sandbox: Sandbox,
    steps: Vec<Rc<Step>>,
    /// What to say once loaded.
    notice: Option<String>,
    /// What becomes of the exercise once loaded.
    then: AfterReplay,
}

impl Loading {
    /// Before the first command; `notice` is said once loaded.
    ///
    /// # Errors
    /// A scenario beyond the limits, or a VPC that cannot be set up.
    pub fn start(scenario: Rc<Scenario>, notice: Option<String>) -> Result<Self, ScenarioError> {
        let sandbox = scenario.start_replay()?;
        Ok(Self {
            steps: Vec::with_capacity(scenario.actions.len()),
            scenario,
            sandbox,
            notice,
            then: AfterReplay::NewScenario,
        })
    }

    /// What the replay is, for the exercise in progress (by default a new
    /// scenario, which ends it).
    #[must_use]
    pub fn then(self, then: AfterReplay) -> Self {
        Self { then, ..self }
    }

    /// Applies commands until `elapsed()` passes `budget` (at least one
    /// command each call). `Ok(true)` once every command is applied.
    ///
    /// # Errors
    /// The first refused command, with its position.
    pub fn run_for(
        &mut self,
        budget: f64,
        elapsed: impl Fn() -> f64,
    ) -> Result<bool, ScenarioError> {
        loop {
            let Some(step) = self
                .scenario
                .replay_command(&mut self.sandbox, self.steps.len())
            else {
                return Ok(true);
            };
            let (command, events) = step?;
            self.steps.push(Step::of(command, events));
            if elapsed() >= budget {
                return Ok(self.steps.len() >= self.scenario.actions.len());
            }
        }
    }

    /// Commands applied, of how many.
    pub fn progress(&self) -> (usize, usize) {
        (self.steps.len(), self.scenario.actions.len())
    }

    /// The state, every command applied.
    pub fn finish(self) -> AppState {
        let mut state = AppState::from_parts(self.scenario, self.sandbox, self.steps);
        state.notice = self.notice;
        state
    }

    /// What hands the finished state to the reducer.
    pub fn into_action(self) -> Action {
        let then = self.then.clone();
        Action::Replayed {
            state: Rc::new(self.finish()),
            then,
        }
    }
}

impl AppState {
    /// The state of a whole scenario replayed.
    ///
    /// # Errors
    /// When the scenario does not replay.
    pub fn from_scenario(scenario: Scenario) -> Result<Self, ScenarioError> {
        let cursor = scenario.actions.len();
        let (sandbox, steps) = replay_steps(&scenario, cursor)?;
        Ok(Self::from_parts(Rc::new(scenario), sandbox, steps))
    }

    /// The state at the end of `scenario`, replayed into `sandbox`.
    fn from_parts(scenario: Rc<Scenario>, sandbox: Sandbox, steps: Vec<Rc<Step>>) -> Self {
        Self {
            cursor: scenario.actions.len(),
            scenario,
            sandbox: Rc::new(RefCell::new(sandbox)),
            version: next_version(),
            steps: Rc::new(steps),
            error: None,
            notice: None,
            selection: None,
            mark: None,
            exercise: None,
            progress: Rc::new(Vec::new()),
        }
    }

    /// The starting scenario, or an empty VPC if even that fails.
    pub fn seeded() -> Self {
        Self::from_scenario(seed()).unwrap_or_else(|_| Self::empty())
    }

    fn empty() -> Self {
        let scenario = Scenario::new("empty", "10.10.0.0/16");
        let sandbox = Sandbox::new(&scenario.vpc_cidr, scenario.cni.clone()).unwrap_or_default();
        Self {
            scenario: Rc::new(scenario),
            cursor: 0,
            sandbox: Rc::new(RefCell::new(sandbox)),
            version: next_version(),
            steps: Rc::new(Vec::new()),
            error: None,
            notice: None,
            selection: None,
            mark: None,
            exercise: None,
            progress: Rc::new(Vec::new()),
        }
    }

    /// The same state with an error message.
    #[must_use]
    pub fn with_error(self, error: Option<String>) -> Self {
        Self { error, ..self }
    }

    /// The same state with a notice.
    #[must_use]
    pub fn with_notice(self, notice: &str) -> Self {
        Self {
            notice: Some(notice.to_owned()),
            ..self
        }
    }

    /// The sandbox after `cursor` commands.
    pub fn sandbox(&self) -> Ref<'_, Sandbox> {
        self.sandbox.borrow()
    }

    /// The addresses the last applied command moved, and how (marked on
    /// the node cards and in the address grid).
    pub fn last_moved(
        &self,
    ) -> std::collections::HashMap<std::net::Ipv4Addr, podnet_model::events::Moved> {
        let events = self
            .cursor
            .checked_sub(1)
            .and_then(|i| self.steps.get(i))
            .map(|s| s.events.as_slice())
            .unwrap_or_default();
        self.sandbox().moved_by(events)
    }

    /// Whether two states show the same sandbox (cheap: by identity).
    pub fn same_sandbox(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sandbox, &other.sandbox) && self.version == other.version
    }

    /// The scenario as applied so far, under `mode` instead (its `SetCni`
    /// commands dropped), and how messages name it.
    pub fn under(&self, mode: podnet_model::CniMode) -> (Scenario, String) {
        let name = podnet_model::cni::Cni::name(mode.strategy()).to_owned();
        let mut scenario = self.applied();
        scenario.cni = mode;
        scenario
            .actions
            .retain(|a| !matches!(a, Command::SetCni { .. }));
        (scenario, format!("the scenario under {name}"))
    }

    /// The commands applied so far (those before the cursor).
    pub fn applied_actions(&self) -> &[Command] {
        self.scenario
            .actions
            .get(..self.cursor)
            .unwrap_or(&self.scenario.actions)
    }

    /// The scenario as applied so far (what is saved, shared and exported).
    pub fn applied(&self) -> Scenario {
        let mut s = (*self.scenario).clone();
        s.actions.truncate(self.cursor);
        s
    }

    /// Whether `Undo` / `Redo` have something to do.
    pub fn can_undo(&self) -> bool {
        self.cursor > 0
    }

    /// See [`AppState::can_undo`].
    pub fn can_redo(&self) -> bool {
        self.cursor < self.scenario.actions.len()
    }

    fn run(&self, cmd: Command) -> Self {
        let applied = self.apply_in_place(&cmd);
        match applied {
            Ok(events) => {
                let mut scenario = self.applied();
                scenario.actions.push(cmd.clone());
                let mut steps = (*self.steps).clone();
                steps.truncate(self.cursor);
                steps.push(Step::of(&cmd, events));
                Self {
                    cursor: scenario.actions.len(),
                    scenario: Rc::new(scenario),
                    sandbox: self.sandbox.clone(),
                    version: next_version(),
                    steps: Rc::new(steps),
                    error: None,
                    notice: None,
                    selection: self.selection,
                    mark: None,
                    exercise: self.exercise.clone(),
                    progress: self.progress.clone(),
                }
            }
            Err(err) => Self {
                error: Some(err),
                notice: None,
                ..self.clone()
            },
        }
    }

    /// Applies `cmd` to the sandbox in place. A borrow conflict cannot
    /// happen (renders hold no borrow across a dispatch); if it ever did,
    /// the command is refused rather than the page panicking.
    fn apply_in_place(&self, cmd: &Command) -> Result<Vec<Event>, String> {
        match self.sandbox.try_borrow_mut() {
            Ok(mut sandbox) => sandbox.apply(cmd.clone()).map_err(|e| e.to_string()),
            Err(_) => Err("the sandbox is busy; try again".into()),
        }
    }

    fn redo(&self) -> Self {
        let Some(cmd) = self.scenario.actions.get(self.cursor).cloned() else {
            return self.clone();
        };
        let applied = self.apply_in_place(&cmd);
        match applied {
            Ok(events) => {
                let mut steps = (*self.steps).clone();
                steps.push(Step::of(&cmd, events));
                Self {
                    cursor: self.cursor + 1,
                    version: next_version(),
                    steps: Rc::new(steps),
                    error: None,
                    ..self.clone()
                }
            }
            Err(err) => Self {
                error: Some(err.to_string()),
                ..self.clone()
            },
        }
    }

    fn go_to(&self, n: usize) -> Self {
        let n = n.min(self.scenario.actions.len());
        match replay_steps(&self.scenario, n) {
            Ok((sandbox, steps)) => Self {
                cursor: n,
                sandbox: Rc::new(RefCell::new(sandbox)),
                version: next_version(),
                steps: Rc::new(steps),
                error: None,
                notice: None,
                ..self.clone()
            },
            Err(err) => Self {
                error: Some(err.to_string()),
                ..self.clone()
            },
        }
    }

    fn load(&self, scenario: &Scenario, source: &str) -> Self {
        match Self::from_scenario(scenario.clone()) {
            Ok(next) => Self {
                notice: Some(loaded(source)),
                ..next
            },
            Err(err) => Self {
                error: Some(not_loaded(source, &err)),
                ..self.clone()
            },
        }
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // A changed scenario makes a traced path stale: its mark goes.
        let keeps_mark = matches!(
            action,
            Action::Select(_) | Action::Notice(_) | Action::Dismiss | Action::Mark(_)
        );
        // A new scenario ends the exercise; everything else keeps it.
        let keeps_exercise = !matches!(
            action,
            Action::Load(..)
                | Action::Replayed {
                    then: AfterReplay::NewScenario | AfterReplay::Resume(..),
                    ..
                }
                | Action::LoadExample(_)
                | Action::CloseExercise
                | Action::OpenExercise(_)
        );
        if let Some(refusal) = self.exercise_refuses(&action) {
            return Rc::new(Self {
                error: Some(refusal),
                notice: None,
                ..(*self).clone()
            });
        }
        let next = match action {
            Action::Run(cmd) => self.run(cmd),
            Action::Undo if self.can_undo() => self.go_to(self.cursor - 1),
            Action::Redo if self.can_redo() => self.redo(),
            Action::Undo | Action::Redo => return self,
            Action::GoTo(n) if n == self.cursor => return self,
            Action::GoTo(n) => self.go_to(n),
            Action::Load(scenario, source) => self.load(&scenario, &source),
            Action::Replayed {
                state,
                then: AfterReplay::Resume(exercise, met),
            } => Self {
                progress: self.progress.clone(),
                ..(*state).clone()
            }
            .resume_exercise(exercise, &met),
            Action::Replayed { state, .. } => (*state).clone(),
            Action::LoadExample(name) => match builtin::get(&name).map(Scenario::from_json) {
                Some(Ok(scenario)) => self.load(&scenario, &format!("the example {name}")),
                Some(Err(err)) => Self {
                    error: Some(format!("Could not open the example {name}: {err}")),
                    ..(*self).clone()
                },
                None => return self,
            },
            Action::ReplayUnder(mode) => {
                let (scenario, source) = self.under(mode);
                Self {
                    selection: None,
                    ..self.load(&scenario, &source)
                }
            }
            Action::LoadFailed(message) => Self {
                error: Some(message),
                notice: None,
                ..(*self).clone()
            },
            Action::Reset => match self.exercise.as_ref().map(|r| r.exercise.clone()) {
                Some(exercise) => return self.reduce(Action::OpenExercise(exercise)),
                None => Self {
                    notice: Some("Back to the starting scenario.".into()),
                    ..Self::seeded()
                },
            },
            Action::OpenExercise(exercise) => match exercise.start() {
                Ok(scenario) => {
                    let loaded =
                        self.load(&scenario, &format!("the exercise \"{}\"", exercise.title));
                    if loaded.error.is_some() {
                        loaded
                    } else {
                        Self {
                            exercise: Some(Rc::new(ExerciseRun {
                                exercise,
                                goals: Vec::new(),
                                hints: 0,
                                completed: false,
                            })),
                            ..loaded
                        }
                    }
                }
                Err(err) => Self {
                    error: Some(format!("Could not open the exercise: {err}")),
                    ..(*self).clone()
                },
            },
            Action::CloseExercise => Self {
                exercise: None,
                notice: Some("Closed the exercise; the scenario stays.".into()),
                ..(*self).clone()
            },
            Action::Hint => match &self.exercise {
                Some(run) => Self {
                    exercise: Some(Rc::new(ExerciseRun {
                        hints: (run.hints + 1).min(run.exercise.hints.len()),
                        ..(**run).clone()
                    })),
                    ..(*self).clone()
                },
                None => return self,
            },
            Action::Select(selection) if selection == self.selection => return self,
            Action::Select(selection) => Self {
                selection,
                ..(*self).clone()
            },
            Action::Notice(text) => Self {
                notice: Some(text),
                error: None,
                ..(*self).clone()
            },
            Action::Dismiss if self.error.is_none() && self.notice.is_none() => return self,
            Action::Dismiss => Self {
                error: None,
                notice: None,
                ..(*self).clone()
            },
            Action::Mark(mark) if mark == self.mark => return self,
            Action::Mark(mark) => Self {
                mark,
                ..(*self).clone()
            },
        };
        let mut next = if keeps_mark || next.mark.is_none() {
            next
        } else {
            Self { mark: None, ..next }
        };
        next.progress = self.progress.clone();
        if keeps_exercise && next.exercise.is_none() {
            next.exercise = self.exercise.clone();
        }
        Rc::new(next.with_goals_checked())
    }
}

impl AppState {
    /// Why the exercise in progress does not allow `action`, if it does not.
    pub fn exercise_refuses(&self, action: &Action) -> Option<String> {
        let ex = &self.exercise.as_ref()?.exercise;
        match action {
            Action::Run(cmd) if !ex.allows(cmd) => {
                crate::components::lock::refusal(self, podnet_model::exercise::action_name(cmd))
            }
            Action::ReplayUnder(_)
                if !ex.allows(&Command::SetCni {
                    cni: Default::default(),
                }) =>
            {
                crate::components::lock::refusal(self, "set-cni")
            }
            Action::ReplayUnder(mode)
                if ex.locks.cni && !mode.same_strategy(&self.sandbox().cni) =>
            {
                Some("This exercise keeps the CNI strategy; its settings can change.".into())
            }
            _ => None,
        }
    }

    /// The same state with `exercise` open on it as it is (a reload in the
    /// middle of an exercise); `met` says which goals were met before, so
    /// `once` goals stay met.
    #[must_use]
    pub fn resume_exercise(self, exercise: Rc<Exercise>, met: &[bool]) -> Self {
        let goals = exercise
            .goals
            .iter()
            .zip(met.iter().chain(std::iter::repeat(&false)))
            .map(|(g, m)| GoalState {
                text: g.text.clone(),
                met: *m,
                why: String::new(),
            })
            .collect();
        let completed = self.progress.contains(&exercise.id) && met.iter().all(|m| *m);
        Self {
            exercise: Some(Rc::new(ExerciseRun {
                exercise,
                goals,
                hints: 0,
                completed,
            })),
            ..self
        }
        .with_goals_checked()
    }

    /// The same state with the exercise's goals checked against it; the
    /// first time every goal is met, the exercise is completed.
    fn with_goals_checked(mut self) -> Self {
        let Some(run) = self.exercise.clone() else {
            return self;
        };
        let goals = {
            let sb = self.sandbox();
            let events = self.steps.iter().flat_map(|s| s.events.iter());
            evaluate(&run.exercise.goals, &sb, events, &run.goals)
        };
        let done = goals.iter().all(|g| g.met);
        let newly = done && !run.completed;
        if newly {
            let mut progress = (*self.progress).clone();
            if !progress.contains(&run.exercise.id) {
                progress.push(run.exercise.id.clone());
            }
            self.progress = Rc::new(progress);
            self.notice = Some(format!("Exercise complete: {}", run.exercise.title));
        }
        if goals != run.goals || newly {
            self.exercise = Some(Rc::new(ExerciseRun {
                goals,
                completed: run.completed || done,
                ..(*run).clone()
            }));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(state: Rc<AppState>, action: Action) -> Rc<AppState> {
        state.reduce(action)
    }

    /// `job` with every command applied, one a chunk.
    fn to_the_end(mut job: Loading) -> Loading {
        while !job.run_for(0.0, || 1.0).unwrap() {}
        job
    }

    #[test]
    fn a_replay_in_chunks_ends_where_a_replay_in_one_go_does() {
        let scenario = Rc::new(seed());
        let whole = AppState::from_scenario((*scenario).clone()).unwrap();
        let mut job = Loading::start(scenario.clone(), Some("Loaded.".into())).unwrap();
        // A budget always spent: one command per chunk.
        let mut chunks = 0;
        while !job.run_for(0.0, || 1.0).unwrap() {
            chunks += 1;
            assert_eq!(job.progress(), (chunks, scenario.actions.len()));
        }
        assert_eq!(chunks + 1, scenario.actions.len(), "one command a chunk");
        let chunked = job.finish();
        assert_eq!(*chunked.sandbox(), *whole.sandbox());
        assert_eq!(chunked.steps, whole.steps);
        assert_eq!(chunked.cursor, whole.cursor);
        assert_eq!(chunked.notice.as_deref(), Some("Loaded."));
        // A refused command stops it with its position, as a replay does.
        let mut bad = (*scenario).clone();
        bad.actions.push(Command::DeleteNode {
            node: "nope".into(),
        });
        let mut job = Loading::start(Rc::new(bad), None).unwrap();
        let err = loop {
            match job.run_for(f64::MAX, || 0.0) {
                Ok(true) => panic!("the bad command was applied"),
                Ok(false) => {}
                Err(e) => break e.to_string(),
            }
        };
        assert!(
            err.contains(&format!("{}", scenario.actions.len() + 1)),
            "{err}"
        );
    }

    fn add_pods(n: u32) -> Action {
        Action::Run(Command::AddPods(podnet_model::command::AddPods {
            count: n,
            node: None,
            host_network: false,
            name: None,
            security_groups: false,
            ..Default::default()
        }))
    }

    #[test]
    fn run_undo_redo_walk_the_scenario() {
        let s0 = Rc::new(AppState::seeded());
        let (n, seeded) = (s0.cursor, s0.sandbox().clone());
        let s1 = reduce(s0, add_pods(2));
        assert_eq!(s1.cursor, n + 1);
        let with_pods = s1.sandbox().clone();
        assert_ne!(with_pods, seeded);
        let s2 = reduce(s1, Action::Undo);
        assert_eq!(s2.cursor, n);
        assert_eq!(*s2.sandbox(), seeded);
        assert!(s2.can_redo());
        let s3 = reduce(s2, Action::Redo);
        assert_eq!(*s3.sandbox(), with_pods);
    }

    #[test]
    fn a_cni_switch_in_chunks_lands_where_replay_under_does_and_keeps_the_exercise() {
        let open = reduce(
            Rc::new(AppState::seeded()),
            Action::OpenExercise(exercise("four-cnis")),
        );
        let flannel: podnet_model::CniMode = podnet_model::cni::Flannel::default().into();
        let whole = reduce(open.clone(), Action::ReplayUnder(flannel.clone()));
        assert!(whole.error.is_none(), "{:?}", whole.error);
        let (scenario, source) = open.under(flannel);
        let job = to_the_end(
            Loading::start(Rc::new(scenario), Some(loaded(&source)))
                .unwrap()
                .then(AfterReplay::SwitchedCni),
        );
        let chunked = reduce(open.clone(), job.into_action());
        assert_eq!(*chunked.sandbox(), *whole.sandbox());
        assert_eq!(chunked.notice, whole.notice);
        assert_eq!(
            chunked.exercise.as_ref().map(|r| r.exercise.id.clone()),
            Some("four-cnis".to_owned()),
            "the exercise stays open"
        );
        // A new scenario loaded in chunks ends it.
        let job = to_the_end(Loading::start(Rc::new(seed()), None).unwrap());
        assert!(reduce(open, job.into_action()).exercise.is_none());
    }

    #[test]
    fn replaying_under_flannel_moves_pod_ips_out_of_the_vpc() {
        let s0 = Rc::new(AppState::seeded());
        // Flannel as it runs on EKS: flanneld's own (etcd) subnet manager.
        let flannel = podnet_model::cni::Flannel {
            subnet_manager: podnet_model::cni::flannel::FlannelSubnetManager::Etcd,
            ..Default::default()
        };
        let s1 = reduce(s0, Action::ReplayUnder(flannel.into()));
        assert_eq!(s1.error, None);
        let sb = s1.sandbox();
        let pod = sb.pods.values().find(|p| !p.host_network).unwrap();
        assert!(
            pod.ip.unwrap().to_string().starts_with("10.244."),
            "{:?}",
            pod.ip
        );
        assert_eq!(
            s1.notice.as_deref(),
            Some("Loaded the scenario under Flannel.")
        );
    }

    #[test]
    fn a_refused_command_keeps_the_state_and_says_why() {
        let s0 = Rc::new(AppState::seeded());
        let bad = Command::AddSubnet(podnet_model::command::AddSubnet {
            name: None,
            cidr: "10.10.1.0/25".into(),
            az: "eu-west-1a".into(),
            cni_tag: false,
            route: None,
        });
        let s1 = reduce(s0.clone(), Action::Run(bad));
        assert_eq!(s1.sandbox, s0.sandbox);
        assert_eq!(s1.cursor, s0.cursor);
        assert_eq!(
            s1.error.as_deref(),
            Some("subnet 10.10.1.0/25 overlaps subnet nodes-a (10.10.1.0/24)")
        );
    }

    #[test]
    fn a_new_command_after_undo_drops_the_redo_history() {
        let s0 = Rc::new(AppState::seeded());
        let s1 = reduce(reduce(s0, add_pods(1)), Action::Undo);
        let s2 = reduce(s1, add_pods(3));
        assert!(!s2.can_redo());
        assert_eq!(s2.scenario.actions.len(), s2.cursor);
    }

    #[test]
    fn an_example_loads_by_name_and_an_unknown_name_changes_nothing() {
        let s0 = Rc::new(AppState::seeded());
        let s1 = reduce(
            s0.clone(),
            Action::LoadExample("security-groups-for-pods".into()),
        );
        assert_eq!(
            s1.notice.as_deref(),
            Some("Loaded the example security-groups-for-pods.")
        );
        assert!(s1
            .sandbox()
            .nodes
            .values()
            .any(|n| n.ipam.trunk().is_some()));
        let s2 = reduce(s1.clone(), Action::LoadExample("nope".into()));
        assert!(Rc::ptr_eq(&s1, &s2));
    }

    #[test]
    fn loading_a_scenario_that_does_not_replay_keeps_the_current_one() {
        let s0 = Rc::new(AppState::seeded());
        let mut broken = seed();
        broken
            .actions
            .push(Command::DeletePod { pod: "nope".into() });
        let s1 = reduce(
            s0.clone(),
            Action::Load(Rc::new(broken), "the file broken.json".into()),
        );
        assert_eq!(s1.sandbox, s0.sandbox);
        assert!(s1.error.as_deref().unwrap().starts_with(
            "Could not load the file broken.json: action 12 (delete pod nope): no pod nope"
        ));
    }

    fn exercise(id: &str) -> Rc<Exercise> {
        Rc::new(
            Exercise::from_json(podnet_model::exercise::builtin_exercises::get(id).unwrap())
                .unwrap(),
        )
    }

    #[test]
    fn an_exercise_refuses_actions_it_does_not_use_and_completes_once() {
        let s = reduce(
            Rc::new(AppState::seeded()),
            Action::OpenExercise(exercise("private-endpoint-join")),
        );
        let run = s.exercise.clone().unwrap();
        assert_eq!(run.goals.len(), 3);
        assert!(!run.completed && run.goals[0].met && run.goals[1].met && !run.goals[2].met);
        // Not an action this exercise uses: refused, nothing changes.
        let refused = reduce(s.clone(), add_pods(1));
        assert!(refused
            .error
            .as_deref()
            .unwrap()
            .starts_with("This exercise does not use Add pods: it lets you use "));
        assert_eq!(refused.cursor, s.cursor);
        let hinted = reduce(s, Action::Hint);
        assert_eq!(hinted.exercise.as_ref().unwrap().hints, 1);
        let done = reduce(
            hinted,
            Action::Run(Command::AddVpcEndpoint {
                service: "ec2".into(),
                subnets: None,
            }),
        );
        let run = done.exercise.clone().unwrap();
        assert!(run.completed, "{:?}", run.goals);
        assert_eq!(*done.progress, vec!["private-endpoint-join".to_owned()]);
        assert!(done
            .notice
            .as_deref()
            .unwrap()
            .starts_with("Exercise complete"));
        // Undo keeps it completed; Restart reopens it from the start.
        let undone = reduce(done, Action::Undo);
        assert!(undone.exercise.as_ref().unwrap().completed);
        let restarted = reduce(undone, Action::Reset);
        assert!(!restarted.exercise.as_ref().unwrap().completed);
        assert_eq!(restarted.progress.len(), 1, "progress survives a restart");
        // Loading another scenario ends the exercise.
        let other = reduce(restarted, Action::LoadExample("seed".into()));
        assert!(other.exercise.is_none());
    }

    #[test]
    fn many_commands_or_many_pods_are_replayed_in_chunks() {
        let pods = |count| {
            Command::AddPods(podnet_model::command::AddPods {
                count,
                ..Default::default()
            })
        };
        assert!(
            !replays_in_chunks(&seed().actions),
            "the seed is replayed at once"
        );
        assert!(!replays_in_chunks(&[pods(300), pods(200)]));
        assert!(replays_in_chunks(&[pods(300), pods(201)]), "501 pods");
        assert!(replays_in_chunks(&vec![pods(1); CHUNKED_ABOVE + 1]));
    }

    #[test]
    fn a_big_autosave_replayed_in_chunks_resumes_the_exercise_in_progress_on_itself() {
        // Completed, then worked on: the autosave holds the solution.
        let open = reduce(
            Rc::new(AppState::seeded()),
            Action::OpenExercise(exercise("private-endpoint-join")),
        );
        let done = reduce(
            open,
            Action::Run(Command::AddVpcEndpoint {
                service: "ec2".into(),
                subnets: None,
            }),
        );
        assert!(done.exercise.as_ref().unwrap().completed);
        // The page opens on the starting scenario with the progress read,
        // the exercise waiting for the autosave's replay.
        let opening = Rc::new(AppState {
            progress: done.progress.clone(),
            ..AppState::seeded()
        });
        let met = vec![true, true, true];
        let job = to_the_end(
            Loading::start(Rc::new(done.applied()), None)
                .unwrap()
                .then(AfterReplay::Resume(exercise("private-endpoint-join"), met)),
        );
        let resumed = reduce(opening.clone(), job.into_action());
        let run = resumed.exercise.as_ref().expect("the exercise resumes");
        assert_eq!(run.exercise.id, "private-endpoint-join");
        assert!(run.goals.iter().all(|g| g.met), "{:?}", run.goals);
        assert!(run.completed, "still completed, as before the reload");
        assert!(resumed.notice.is_none(), "not completed a second time");
        assert_eq!(*resumed.progress, vec!["private-endpoint-join".to_owned()]);
        assert_eq!(*resumed.sandbox(), *done.sandbox());
        // On a scenario that does not meet the goals, the flags are checked again.
        let job = to_the_end(Loading::start(Rc::new(seed()), None).unwrap().then(
            AfterReplay::Resume(exercise("private-endpoint-join"), vec![true; 3]),
        ));
        let resumed = reduce(opening, job.into_action());
        let goals = &resumed.exercise.as_ref().unwrap().goals;
        assert!(!goals[0].met && !goals[1].met && goals[2].met, "{goals:?}");
    }

    #[test]
    fn a_locked_strategy_refuses_another_cni_but_not_its_settings() {
        let s = reduce(
            Rc::new(AppState::seeded()),
            Action::OpenExercise(exercise("warm-pool-ate-my-subnet")),
        );
        let refused = reduce(
            s.clone(),
            Action::ReplayUnder(podnet_model::cni::Flannel::default().into()),
        );
        assert!(refused
            .error
            .as_deref()
            .unwrap()
            .contains("keeps the CNI strategy"));
        let tuned = reduce(
            s,
            Action::ReplayUnder(
                podnet_model::VpcCni {
                    warm_ip_target: 2,
                    ..Default::default()
                }
                .into(),
            ),
        );
        assert!(tuned.error.is_none(), "{:?}", tuned.error);
        assert!(tuned.exercise.is_some());
    }

    #[test]
    fn a_resumed_exercise_keeps_the_once_goals_it_had_met() {
        let ex = exercise("four-cnis");
        let s = AppState::seeded().resume_exercise(ex, &[true, false, false, false]);
        let run = s.exercise.clone().unwrap();
        assert!(run.goals[0].met, "the once goal met before the reload");
        assert!(!run.goals[1].met && !run.goals[2].met);
        assert!(run.goals[3].met, "back under the VPC CNI holds now");
        assert!(!run.completed);
    }
}
