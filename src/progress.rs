//! Progress output: an indicatif bar on a terminal, plain periodic lines when piped.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::train::{EpochRecord, Observer, StepRecord};

/// How often the bar's message is refreshed.
const REFRESH: Duration = Duration::from_millis(100);

/// Reports training progress for a person watching.
pub struct Progress {
    mode: Mode,
    total: usize,
    every: Option<usize>,
    /// Print losses to every digit (f64 runs) rather than to six decimals.
    exact: bool,
    last_refresh: Option<Instant>,
    /// Whether a step due for a line (see [`default_spacing`]), other than an epoch's first,
    /// came in the epoch under way.
    due_in_epoch: bool,
    /// Steps recorded in the epoch under way.
    steps_in_epoch: usize,
    /// The last step recorded.
    last_step: usize,
}

enum Mode {
    /// A bar on stderr (a terminal).
    Bar(ProgressBar),
    /// A line on stdout every `every` steps.
    Lines,
}

impl Progress {
    /// A bar when stderr is a terminal and no spacing is asked for, plain lines otherwise.
    /// `every` sets the spacing of the lines in steps (default: every step of a run of at
    /// most 100 steps, else about twenty lines). With `exact`, each loss is printed to every
    /// digit, the shortest decimal that reads back as the same f64 (what Python's `repr`
    /// prints, so an f64 run's lines can be compared with micrograd's digit for digit).
    pub fn new(every: Option<usize>, exact: bool) -> Self {
        let mode = if every.is_none() && std::io::stderr().is_terminal() {
            Mode::Bar(ProgressBar::hidden())
        } else {
            Mode::Lines
        };
        Self {
            mode,
            total: 0,
            every,
            exact,
            last_refresh: None,
            due_in_epoch: false,
            steps_in_epoch: 0,
            last_step: 0,
        }
    }

    /// Whether step `step` gets a line: every `every` steps, and the last.
    fn due(&self, step: usize) -> bool {
        let every = self.every.unwrap_or(default_spacing(self.total)).max(1);
        step.is_multiple_of(every) || step == self.total
    }

    fn line(&self, record: &StepRecord) -> String {
        format!(
            "step {:>width$}/{}  {}",
            record.step,
            self.total,
            figures(record, self.exact),
            width = digits(self.total)
        )
    }
}

/// Steps between two lines when no spacing is given: every step of a short run.
fn default_spacing(total: usize) -> usize {
    if total <= 100 { 1 } else { total / 20 }
}

/// Loss (to six decimals, or `exact`ly), accuracy where the loss classifies, and the step
/// rate so far.
fn figures(record: &StepRecord, exact: bool) -> String {
    let mut text = if exact {
        format!("loss {:<20}", record.loss)
    } else {
        format!("loss {:<12.6}", record.loss)
    };
    if let Some(accuracy) = record.accuracy {
        text.push_str(&format!("  accuracy {accuracy:.5}"));
    }
    if record.step > 0 && record.wall_seconds > 0.0 {
        let rate = record.step as f64 / record.wall_seconds;
        text.push_str(&format!("  {rate:.0} steps/s"));
    }
    text
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

impl Observer for Progress {
    fn started(&mut self, done: usize, total_steps: usize) {
        self.total = total_steps;
        if let Mode::Bar(bar) = &self.mode {
            bar.set_length(total_steps as u64);
            bar.set_position(done as u64);
            bar.set_draw_target(ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}  ETA {eta}")
            {
                bar.set_style(style);
            }
        }
    }

    fn step(&mut self, record: &StepRecord) {
        let due = self.due(record.step);
        self.due_in_epoch |= due && self.steps_in_epoch > 0;
        self.steps_in_epoch += 1;
        self.last_step = record.step;
        match &self.mode {
            Mode::Bar(bar) => {
                bar.set_position(record.step as u64);
                let refresh = self.last_refresh.is_none_or(|t| t.elapsed() >= REFRESH);
                if refresh {
                    bar.set_message(figures(record, self.exact));
                    self.last_refresh = Some(Instant::now());
                }
            }
            Mode::Lines => {
                if due {
                    println!("{}", self.line(record));
                }
            }
        }
    }

    fn epoch(&mut self, record: &EpochRecord) {
        // An epoch's line comes as often as the step lines: when one of its steps had a line
        // or the step after it will. A full-batch run with a test split ends an epoch at
        // every step, and prints every 50th of its 1000 (the step lines' spacing), not all.
        let shown = std::mem::take(&mut self.due_in_epoch) || self.due(self.last_step + 1);
        self.steps_in_epoch = 0;
        if !shown {
            return;
        }
        let accuracy = |a: Option<f64>| a.map(|a| format!(" accuracy {a:.4}")).unwrap_or_default();
        let line = format!(
            "epoch {:>3}  train loss {:.5}{}  test loss {:.5}{}  {:.1} s",
            record.epoch,
            record.train_loss,
            accuracy(record.train_accuracy),
            record.test_loss,
            accuracy(record.test_accuracy),
            record.wall_seconds
        );
        match &self.mode {
            Mode::Bar(bar) => bar.println(line),
            Mode::Lines => println!("{line}"),
        }
    }

    fn finished(&mut self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
    }
}
