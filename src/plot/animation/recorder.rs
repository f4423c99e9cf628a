//! The [`Recorder`] that catches a run's networks while it trains, and the rule that chooses
//! the frames among them along the loss curve ([`choose`]).

use std::collections::BTreeSet;

use super::{CANDIDATES, FRAMES};
use crate::model::Mlp;
use crate::train::{EpochRecord, Observer, StepRecord};

/// The network at one recorded step.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The step (the history row whose loss it has).
    pub step: usize,
    /// Its loss, as recorded.
    pub loss: f64,
    /// The network.
    pub model: Mlp,
}

/// Which steps a [`Recorder`] keeps.
#[derive(Clone, Debug)]
enum Plan {
    /// Exactly these (a replay, the frames chosen from `history.csv` beforehand).
    Steps(BTreeSet<usize>),
    /// Whenever the loss or the step moved far enough since the last kept (a run in progress).
    Adaptive {
        total: usize,
        step_gap: usize,
        log_gap: f64,
    },
}

/// An [`Observer`] that keeps the network at chosen steps and passes everything on to another.
pub struct Recorder<'a> {
    inner: &'a mut dyn Observer,
    plan: Plan,
    /// The record of a step whose network is wanted, until the snapshot of it arrives.
    awaiting_snapshot: Option<StepRecord>,
    snapshots: Vec<Snapshot>,
}

impl<'a> Recorder<'a> {
    /// Keeps candidates for the frames while a run trains, to be chosen among by
    /// [`Recorder::frames`].
    pub fn adaptive(inner: &'a mut dyn Observer) -> Self {
        Self {
            inner,
            plan: Plan::Adaptive {
                total: 0,
                step_gap: 1,
                log_gap: 0.005,
            },
            awaiting_snapshot: None,
            snapshots: Vec::new(),
        }
    }

    /// Keeps the networks of exactly `steps`.
    pub fn at_steps(inner: &'a mut dyn Observer, steps: impl IntoIterator<Item = usize>) -> Self {
        Self {
            inner,
            plan: Plan::Steps(steps.into_iter().collect()),
            awaiting_snapshot: None,
            snapshots: Vec::new(),
        }
    }

    /// The kept networks, at most [`FRAMES`] of them chosen along the loss curve.
    pub fn frames(self) -> Vec<Snapshot> {
        let points: Vec<(usize, f64)> = self.snapshots.iter().map(|s| (s.step, s.loss)).collect();
        let chosen = choose(&points, FRAMES);
        let mut snapshots = self.snapshots;
        let mut k = 0;
        snapshots.retain(|_| {
            k += 1;
            chosen.binary_search(&(k - 1)).is_ok()
        });
        snapshots
    }

    /// Every kept network, in step order: with [`Recorder::at_steps`], the frames themselves.
    pub(super) fn into_snapshots(self) -> Vec<Snapshot> {
        self.snapshots
    }

    fn wanted(&self, record: &StepRecord) -> bool {
        match &self.plan {
            Plan::Steps(steps) => steps.contains(&record.step),
            Plan::Adaptive {
                total,
                step_gap,
                log_gap,
            } => match self.snapshots.last() {
                None => true,
                Some(last) => {
                    record.step + 1 >= *total
                        || record.step >= last.step + step_gap
                        || (log_loss(record.loss) - log_loss(last.loss)).abs() >= *log_gap
                }
            },
        }
    }
}

impl Observer for Recorder<'_> {
    fn started(&mut self, done: usize, total_steps: usize) {
        if let Plan::Adaptive {
            total, step_gap, ..
        } = &mut self.plan
        {
            *total = total_steps;
            *step_gap = (total_steps / (4 * FRAMES)).max(1);
        }
        self.inner.started(done, total_steps);
    }

    fn step(&mut self, record: &StepRecord) {
        self.awaiting_snapshot = self.wanted(record).then_some(*record);
        self.inner.step(record);
    }

    fn wants_snapshot(&self) -> bool {
        self.awaiting_snapshot.is_some()
    }

    fn snapshot(&mut self, model: Mlp) {
        let Some(record) = self.awaiting_snapshot.take() else {
            return;
        };
        self.snapshots.push(Snapshot {
            step: record.step,
            loss: record.loss,
            model,
        });
        if let Plan::Adaptive {
            step_gap, log_gap, ..
        } = &mut self.plan
            && self.snapshots.len() > CANDIDATES
        {
            // Keep every other candidate and halve how often new ones come.
            let mut k = 0;
            self.snapshots.retain(|_| {
                k += 1;
                k % 2 == 1
            });
            *step_gap *= 2;
            *log_gap *= 2.0;
        }
    }

    fn epoch(&mut self, record: &EpochRecord) {
        self.inner.epoch(record);
    }

    fn finished(&mut self) {
        self.inner.finished();
    }
}

/// `ln(loss)`, defined for a loss of 0.
fn log_loss(loss: f64) -> f64 {
    loss.max(1e-300).ln()
}

/// The indices of at most `n` of `points` (`(step, loss)`, in step order) spaced evenly along
/// the loss curve's arc length, steps and `ln(loss)` each scaled to `[0, 1]` and the steps
/// weighted by a half; the first and last are always among them, and there are `n` of them
/// when there are that many points.
pub fn choose(points: &[(usize, f64)], n: usize) -> Vec<usize> {
    match n {
        0 => return Vec::new(),
        _ if points.len() <= n => return (0..points.len()).collect(),
        1 => return vec![points.len() - 1],
        _ => {}
    }
    let last_step = points.last().map_or(1, |p| p.0).max(1) as f64;
    let (lo, hi) = points
        .iter()
        .map(|p| log_loss(p.1))
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let range = if hi > lo { hi - lo } else { 1.0 };
    let mut arc = Vec::with_capacity(points.len());
    let mut s = 0.0;
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            let q = points[i - 1];
            let du = 0.5 * (p.0 - q.0) as f64 / last_step;
            let dv = (log_loss(p.1) - log_loss(q.1)) / range;
            let ds = du.hypot(dv);
            s += if ds.is_finite() { ds } else { 0.0 };
        }
        arc.push(s);
    }
    // Where one step moves the curve further than the spacing, the next frames take the next
    // points, so that there are always n (and the last point stays last).
    let mut chosen: Vec<usize> = Vec::with_capacity(n);
    let mut i = 0;
    for k in 0..n {
        let target = s * k as f64 / (n - 1) as f64;
        while i + 1 < arc.len() && arc[i] < target {
            i += 1;
        }
        let room = points.len() - (n - k);
        let pick = chosen.last().map_or(i, |&last| i.max(last + 1)).min(room);
        chosen.push(pick);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_follow_the_loss_not_the_clock() {
        // Notebook 000's shape (artifacts/circles/history.csv, rounded): 39183 at step 0, a
        // plateau at 12890 from step 500 to 6000, 765 by step 6100, 7.65 at step 50000.
        let loss = |step: usize| match step {
            0..500 => 39183.0 * (12890.0f64 / 39183.0).powf(step as f64 / 500.0),
            500..6000 => 12890.0,
            6000..6100 => 12890.0 * (765.0f64 / 12890.0).powf((step - 6000) as f64 / 100.0),
            _ => 765.0 * (7.65f64 / 765.0).powf((step - 6100) as f64 / 43900.0),
        };
        let points: Vec<(usize, f64)> = (0..=50000).map(|s| (s, loss(s))).collect();
        let chosen = choose(&points, FRAMES);
        assert_eq!(chosen.len(), FRAMES);
        assert!(chosen.windows(2).all(|w| w[0] < w[1]), "{chosen:?}");
        assert_eq!(chosen.first(), Some(&0));
        assert_eq!(chosen.last(), Some(&50000));
        let within =
            |range: std::ops::Range<usize>| chosen.iter().filter(|&&i| range.contains(&i)).count();
        // 100 steps of the escape get more frames than 5500 steps of plateau.
        assert!(
            within(6000..6100) > 2 * within(500..6000),
            "escape {}, plateau {}",
            within(6000..6100),
            within(500..6000)
        );
        assert!(within(500..6000) >= 1, "the plateau is shown");
        assert_eq!(choose(&points[..10], FRAMES), (0..10).collect::<Vec<_>>());
        assert_eq!(choose(&points, 1), vec![50000]);
    }
}
