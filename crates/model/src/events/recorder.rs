//! The event recorder: what one command's events become before anyone sees
//! them, following client-go's `EventCorrelator`
//! (`staging/src/k8s.io/client-go/tools/record/events_cache.go`):
//!
//! - **the same event again** (same object, reason and message) is not a new
//!   line: its `count` goes up and its last-seen time moves
//!   (`eventLogger.eventObserve`);
//! - **similar events** (same object and reason, another message) are
//!   combined once ten of them were seen with no gap over 600 s
//!   (`EventAggregator`, `defaultAggregateMaxEvents = 10`,
//!   `defaultAggregateIntervalInSeconds = 600`): from then on one event
//!   whose message is `(combined from similar events): ` and the newest
//!   message is counted instead.
//!
//! What podnet does differently, and says so: it correlates within one
//! command (the recorder's LRU cache of 4,096 keys lives as long as the
//! component); it has no per-object spam filter (client-go's burst of 25,
//! then one event per 5 minutes), and instead keeps at most
//! [`MAX_ROUTINE`] routine events and [`MAX_WARNINGS`] warnings per command,
//! counting the rest by kind in one closing [`EventKind::EventsOmitted`].
//! ipamd's and the operator's log lines are not Kubernetes events; they are
//! folded the same way, as a log viewer folds repeated lines.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::mem::Discriminant;

use super::{Event, EventKind};

/// Routine (Normal) events kept per command.
pub const MAX_ROUTINE: usize = 10_000;
/// Warnings kept per command, counted apart so a failure late in a big
/// command is never crowded out by routine lines.
pub const MAX_WARNINGS: usize = 10_000;
/// client-go `defaultAggregateMaxEvents`.
const AGGREGATE_MAX_EVENTS: usize = 10;
/// client-go `defaultAggregateIntervalInSeconds`, in milliseconds.
const AGGREGATE_INTERVAL_MS: u64 = 600_000;
/// client-go `EventAggregatorByReasonMessageFunc`.
pub const COMBINED_PREFIX: &str = "(combined from similar events): ";

/// Similar events seen for one object and reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Similar {
    /// Hashes of the distinct messages (client-go's `localKeys`).
    local: BTreeSet<u64>,
    /// When the last one was seen.
    last_ms: u64,
}

/// Collects one command's events, counting repeats and combining similar ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorder {
    kept: Vec<Event>,
    /// Hash of a kind → the kept events with that hash.
    exact: HashMap<u64, Vec<usize>>,
    /// Aggregate key → the kept combined event.
    combined: HashMap<u64, usize>,
    similar: HashMap<u64, Similar>,
    routine: usize,
    warnings: usize,
    /// Every push, kept or folded.
    pushes: u64,
    /// Kinds not kept: a sample of each (for its name) and how many.
    omitted: Vec<(Discriminant<EventKind>, EventKind, u64)>,
}

fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an event that happened at `event.at_ms`.
    pub fn push(&mut self, event: Event) {
        self.pushes += 1;
        let Event {
            at_ms, mut kind, ..
        } = event;
        if let Some(aggregate) = self.aggregate(at_ms, &mut kind) {
            if let Some(e) = self
                .combined
                .get(&aggregate)
                .and_then(|i| self.kept.get_mut(*i))
            {
                e.count = e.count.saturating_add(1);
                e.last_ms = Some(at_ms);
                e.kind = kind;
                return;
            }
            if let Some(i) = self.keep(at_ms, kind) {
                self.combined.insert(aggregate, i);
            }
            return;
        }
        let key = hash_of(&kind);
        let same = self.exact.get(&key).and_then(|ids| {
            ids.iter()
                .copied()
                .find(|i| self.kept.get(*i).is_some_and(|e| e.kind == kind))
        });
        if let Some(e) = same.and_then(|i| self.kept.get_mut(i)) {
            e.count = e.count.saturating_add(1);
            e.last_ms = Some(at_ms);
            return;
        }
        if let Some(i) = self.keep(at_ms, kind) {
            self.exact.entry(key).or_default().push(i);
        }
    }

    /// client-go's `EventAggregate`: the aggregate key when this event is
    /// to be combined with similar ones (its message then carries
    /// [`COMBINED_PREFIX`]), `None` when it stands as itself.
    fn aggregate(&mut self, at_ms: u64, kind: &mut EventKind) -> Option<u64> {
        let (aggregate, local) = {
            let message = kind.message()?;
            let mut blank = kind.clone();
            if let Some(m) = blank.message_mut() {
                m.clear();
            }
            (hash_of(&blank), hash_of(message))
        };
        let record = self.similar.entry(aggregate).or_default();
        if record.local.is_empty() || at_ms.saturating_sub(record.last_ms) > AGGREGATE_INTERVAL_MS {
            record.local.clear();
        }
        record.local.insert(local);
        record.last_ms = at_ms;
        if record.local.len() < AGGREGATE_MAX_EVENTS {
            return None;
        }
        // "do not grow our local key set any larger than max"
        record.local.pop_first();
        if let Some(m) = kind.message_mut() {
            m.insert_str(0, COMBINED_PREFIX);
        }
        Some(aggregate)
    }

    /// Keeps a new event if its class has room; its index.
    fn keep(&mut self, at_ms: u64, kind: EventKind) -> Option<usize> {
        let (used, cap) = if kind.is_warning() {
            (&mut self.warnings, MAX_WARNINGS)
        } else {
            (&mut self.routine, MAX_ROUTINE)
        };
        if *used >= cap {
            let d = std::mem::discriminant(&kind);
            match self.omitted.iter_mut().find(|(k, _, _)| *k == d) {
                Some((_, _, n)) => *n += 1,
                None => self.omitted.push((d, kind, 1)),
            }
            return None;
        }
        *used += 1;
        self.kept.push(Event::new(at_ms, kind));
        Some(self.kept.len() - 1)
    }

    /// How many events were pushed so far, repeats included.
    pub fn pushes(&self) -> u64 {
        self.pushes
    }

    /// The events kept so far.
    pub fn events(&self) -> &[Event] {
        &self.kept
    }

    /// How many distinct events are kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.omitted.is_empty()
    }

    /// The events, with the omitted ones summed up in a last event at `now_ms`.
    pub fn finish(self, now_ms: u64) -> Vec<Event> {
        let mut kept = self.kept;
        if !self.omitted.is_empty() {
            let mut kinds: Vec<(String, u64)> = self
                .omitted
                .into_iter()
                .map(|(_, sample, n)| (sample.tag(), n))
                .collect();
            kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            kept.push(Event::new(
                now_ms,
                EventKind::EventsOmitted {
                    kept_routine: MAX_ROUTINE as u32,
                    kept_warnings: MAX_WARNINGS as u32,
                    kinds,
                },
            ));
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    //! client-go `events_cache_test.go` `TestEventCorrelator`, row by row
    //! (without its spam-filter row: podnet has no spam filter). One pod's
    //! `FailedScheduling` stands for client-go's Pod event; events are 5 s
    //! apart unless the row says otherwise, as its `IntervalClock`.

    use super::*;
    use crate::ids::{NodeId, PodId};

    fn unschedulable(pod: u32, message: &str) -> EventKind {
        EventKind::PodUnschedulable {
            pod: PodId(pod),
            message: message.into(),
        }
    }

    /// Records `previous` then `new`, `gap_ms` apart; the last kept event.
    fn correlate(previous: &[EventKind], new: EventKind, gap_ms: u64) -> (Vec<Event>, Event) {
        let mut r = Recorder::new();
        let mut t = 0;
        for kind in previous.iter().cloned().chain([new]) {
            t += gap_ms;
            r.push(Event::new(t, kind));
        }
        let all = r.finish(t);
        let last = all
            .iter()
            .max_by_key(|e| e.last_ms.unwrap_or(e.at_ms))
            .cloned();
        (
            all,
            last.unwrap_or_else(|| Event::new(0, unschedulable(0, ""))),
        )
    }

    fn similar(n: usize) -> Vec<EventKind> {
        (0..n)
            .map(|i| unschedulable(1, &format!("similar message-{i}")))
            .collect()
    }

    #[test]
    fn a_single_event_is_kept_once() {
        let (all, e) = correlate(&[], unschedulable(1, "i am first"), 5_000);
        assert_eq!(all.len(), 1);
        assert_eq!((e.count, e.last_ms), (1, None));
    }

    #[test]
    fn the_same_event_just_counts_even_past_the_aggregate_limit() {
        let dup = unschedulable(1, "me again");
        let (all, e) = correlate(std::slice::from_ref(&dup), dup.clone(), 5_000);
        assert_eq!((all.len(), e.count, e.last_ms), (1, 2, Some(10_000)));
        let ten = vec![dup.clone(); AGGREGATE_MAX_EVENTS];
        let (all, e) = correlate(&ten, dup, 30_000);
        assert_eq!((all.len(), e.count), (1, 11));
        assert_eq!(e.at_ms, 30_000, "firstTimestamp stays the first");
    }

    #[test]
    fn many_unique_events_stay_apart() {
        let unique: Vec<EventKind> = (0..30)
            .map(|i| unschedulable(i, &format!("message-{i}")))
            .collect();
        let (all, e) = correlate(&unique, unschedulable(99, "snowflake"), 5_000);
        assert_eq!(all.len(), 31);
        assert_eq!(e.count, 1);
    }

    #[test]
    fn the_tenth_similar_event_is_combined() {
        let (all, e) = correlate(&similar(9), unschedulable(1, "similar message"), 5_000);
        assert_eq!(all.len(), 10, "nine as they were, then the aggregate");
        assert_eq!(
            e.kind,
            unschedulable(1, "(combined from similar events): similar message")
        );
        assert_eq!(e.count, 1);
    }

    #[test]
    fn similar_events_many_times_count_the_aggregate() {
        let (all, e) = correlate(&similar(10), unschedulable(1, "similar message"), 5_000);
        assert_eq!(all.len(), 10);
        assert_eq!(
            e.kind,
            unschedulable(1, "(combined from similar events): similar message")
        );
        assert_eq!(e.count, 2, "the tenth and the eleventh");
    }

    #[test]
    fn similar_events_of_another_object_do_not_aggregate() {
        let mut previous = similar(9);
        previous.push(unschedulable(2, "similar message"));
        let (_, e) = correlate(&previous, unschedulable(3, "similar message"), 5_000);
        assert_eq!(e.kind, unschedulable(3, "similar message"));
    }

    #[test]
    fn similar_events_further_apart_than_the_interval_do_not_aggregate() {
        let (all, e) = correlate(
            &similar(9),
            unschedulable(1, "similar message"),
            AGGREGATE_INTERVAL_MS + 1,
        );
        assert_eq!(all.len(), 10);
        assert_eq!(e.kind, unschedulable(1, "similar message"));
    }

    #[test]
    fn log_lines_are_folded_only_when_identical() {
        let line = |m: &str| EventKind::IpamdLog {
            node: NodeId(1),
            message: m.into(),
        };
        let mut r = Recorder::new();
        for i in 0..1_000u64 {
            r.push(Event::new(
                i * 5_000,
                line(if i % 2 == 0 { "a" } else { "b" }),
            ));
        }
        let all = r.finish(5_000_000);
        assert_eq!(all.len(), 2, "two alternating lines stay two lines");
        assert!(all.iter().all(|e| e.count == 500));
    }

    #[test]
    fn a_command_keeps_at_most_its_caps_and_says_how_many_it_left_out() {
        let mut r = Recorder::new();
        let n = MAX_ROUTINE as u32 + 5;
        for pod in 0..n {
            r.push(Event::new(
                0,
                EventKind::PodScheduled {
                    pod: PodId(pod),
                    name: format!("default/app-{pod}"),
                    node: NodeId(1),
                    host: "ip-10-0-0-1".to_owned(),
                },
            ));
        }
        for pod in 0..n {
            r.push(Event::new(
                0,
                unschedulable(pod, "0/1 nodes are available: 1 Too many pods."),
            ));
        }
        let all = r.finish(7_000);
        assert_eq!(all.len(), MAX_ROUTINE + MAX_WARNINGS + 1);
        let last = all.last().map(|e| e.kind.to_string()).unwrap_or_default();
        assert!(
            last.starts_with("10 more events not kept (5 pod-scheduled, 5 pod-unschedulable)"),
            "{last}"
        );
    }

    #[test]
    fn a_repeat_reads_with_its_count_and_last_time() {
        let mut e = Event::new(5_000, unschedulable(1, "x"));
        assert_eq!(
            e.to_string(),
            "t=    5s  pod-1: Warning FailedScheduling: x"
        );
        e.count = 3;
        e.last_ms = Some(65_000);
        assert_eq!(
            e.to_string(),
            "t=    5s  pod-1: Warning FailedScheduling: x (×3, last at t=65s)"
        );
    }
}
