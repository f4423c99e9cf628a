//! What a playground user sets, and the run it describes.
//!
//! The page keeps its whole set-up in the URL's query string and sends the same keys as a JSON
//! object when it starts a run. [`Settings::parse`] reads either form (every value may be a
//! string, as a query string has them, or JSON's own type), refuses an unknown key or a value
//! out of the [`Limits`](super::options::Limits), and parses every name with the command line's own parser (clap's
//! [`ValueEnum`]), so that `relu` means here what `--activation relu` means. The run itself is
//! then an [`ExperimentConfig`] checked by [`ExperimentConfig::validate`], the same check
//! `config.json` and the flags go through, and [`Settings::command`] writes the `burnprop
//! train` command line that trains it step for step.

use std::fmt::Write as _;

use clap::ValueEnum;
use serde::Serialize;
use serde_json::{Map, Value};

use super::options::LIMITS;
use crate::config::{Engine, ExperimentConfig, OptimizerConfig, Preset, Schedule};
use crate::data::playground::PlaygroundSet;
use crate::data::regression::RegressionSet;
use crate::data::table::{DataFile, Task};
use crate::data::{DataConfig, Feature};
use crate::error::{Error, Result};
use crate::loss::{L2Scope, LossKind, Reduction};
use crate::model::activation::Activation;
use crate::model::init::{BiasInit, Init};
use crate::rng::RngKind;
use crate::tensor::{Layout, Precision};

/// The data sets a run can draw, by the name the page uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DataSet {
    /// The Playground's disc inside a ring.
    Circle,
    /// The Playground's four quadrants.
    Xor,
    /// The Playground's two Gaussians.
    Gauss,
    /// The Playground's two spirals.
    Spiral,
    /// The Playground's regression plane.
    Plane,
    /// The Playground's six regression bumps.
    Gaussian,
    /// scikit-learn's two moons.
    Moons,
    /// scikit-learn's two circles (notebook 000).
    Circles,
    /// cs231n's spiral of K classes.
    Cs231n,
    /// A CSV file uploaded to this server.
    Upload,
}

/// Which engines train the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Engines {
    /// burn's autodiff and Sgd.
    Autodiff,
    /// The hand-derived gradients and notebook 000's update.
    Manual,
    /// Both, in lock step on the same batches, as `burnprop compare`.
    Both,
}

/// One playground set-up, every field given.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Settings {
    /// The data set.
    pub data: DataSet,
    /// The uploaded file's SHA-256, for `data = upload`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<String>,
    /// Classes of the cs231n spiral.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<usize>,
    /// The set's noise, in its own unit (absent where the set has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    /// Points drawn (per class for cs231n; absent for an upload).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<usize>,
    /// The fraction held out as a test split (0: none).
    pub test_fraction: f64,
    /// The one seed of the run.
    pub seed: u32,
    /// The Playground's input features, comma-separated.
    pub features: String,
    /// Hidden widths, comma-separated.
    pub hidden: String,
    /// One activation per hidden layer, comma-separated.
    pub activations: String,
    /// The objective.
    pub loss: String,
    /// The learning rate.
    pub lr: f64,
    /// The learning-rate schedule.
    pub schedule: String,
    /// Where a decaying schedule ends.
    pub lr_final: f64,
    /// The momentum factor.
    pub momentum: f64,
    /// Examples per step (0: full batch).
    pub batch_size: usize,
    /// The L2 penalty α of `J + α·Σθ²`.
    pub l2: f64,
    /// The engines.
    pub engine: Engines,
    /// Steps of the run.
    pub steps: usize,
}

/// A setting's value as given: a JSON value, or a query string's text.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_string(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// A setting in error, in one sentence.
fn bad(key: &str, why: impl std::fmt::Display) -> Error {
    Error::InvalidConfig(format!("setting `{key}`: {why}"))
}

/// The number `key` holds, within `range`.
fn number(key: &str, value: &Value, range: std::ops::RangeInclusive<f64>) -> Result<f64> {
    let given = text(value);
    let n: f64 = given
        .parse()
        .map_err(|_| bad(key, format!("`{given}` is not a number")))?;
    if !n.is_finite() || !range.contains(&n) {
        return Err(bad(
            key,
            format!("{given} is outside {} to {}", range.start(), range.end()),
        ));
    }
    Ok(n)
}

/// The whole number `key` holds, within `range`.
fn whole(key: &str, value: &Value, range: std::ops::RangeInclusive<usize>) -> Result<usize> {
    let given = text(value);
    let n: usize = given
        .parse()
        .map_err(|_| bad(key, format!("`{given}` is not a whole number")))?;
    if !range.contains(&n) {
        return Err(bad(
            key,
            format!("{n} is outside {} to {}", range.start(), range.end()),
        ));
    }
    Ok(n)
}

/// The name `key` holds, parsed as the command line parses it.
fn name<T: ValueEnum>(key: &str, value: &str) -> Result<T> {
    T::from_str(value, true).map_err(|_| {
        let known: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        bad(key, format!("`{value}` is not one of {}", known.join(", ")))
    })
}

/// A comma-separated list (empty text: an empty list).
fn list(value: &Value) -> Vec<String> {
    let given = text(value);
    if given.is_empty() {
        return Vec::new();
    }
    given.split(',').map(|s| s.trim().to_string()).collect()
}

/// The name of a [`ValueEnum`] value as the command line spells it.
pub fn spelled<T: ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

const KEYS: [&str; 19] = [
    "data",
    "upload",
    "classes",
    "noise",
    "points",
    "test_fraction",
    "seed",
    "features",
    "hidden",
    "activations",
    "loss",
    "lr",
    "schedule",
    "lr_final",
    "momentum",
    "batch_size",
    "l2",
    "engine",
    "steps",
];

/// The hidden widths, their activations and the input features `get` gives, checked.
fn network<'a>(
    get: &dyn Fn(&str) -> Option<&'a Value>,
) -> Result<(Vec<String>, Vec<String>, Vec<String>)> {
    let hidden = get("hidden").map_or(vec!["4".into(), "2".into()], list);
    if hidden.len() > LIMITS.layers {
        return Err(bad(
            "hidden",
            format!("{} layers; at most {}", hidden.len(), LIMITS.layers),
        ));
    }
    for width in &hidden {
        whole("hidden", &Value::String(width.clone()), 1..=LIMITS.units)?;
    }
    let activations = match get("activations").map(list) {
        Some(given) if given.len() == hidden.len() => given,
        Some(given) if given.len() == 1 => vec![given[0].clone(); hidden.len()],
        Some(given) => {
            return Err(bad(
                "activations",
                format!(
                    "{} given for {} hidden layers; give one per layer",
                    given.len(),
                    hidden.len()
                ),
            ));
        }
        None => vec!["tanh".into(); hidden.len()],
    };
    for a in &activations {
        name::<Activation>("activations", a)?;
    }
    let features = get("features").map_or(vec!["x1".into(), "x2".into()], list);
    if features.is_empty() {
        return Err(bad("features", "choose at least one input feature"));
    }
    for f in &features {
        name::<Feature>("features", f)?;
    }
    Ok((hidden, activations, features))
}

impl DataSet {
    /// The noise a set takes (range, default, unit), `None` where it has none.
    pub fn noise(self) -> Option<(f64, f64, f64, &'static str)> {
        match self {
            DataSet::Circle
            | DataSet::Xor
            | DataSet::Gauss
            | DataSet::Spiral
            | DataSet::Plane
            | DataSet::Gaussian => Some((0.0, 50.0, 0.0, "percent")),
            DataSet::Moons | DataSet::Circles => Some((0.0, 1.0, 0.1, "standard deviation")),
            DataSet::Cs231n | DataSet::Upload => None,
        }
    }

    /// The number of points a set draws by default, `None` for an upload.
    pub fn points(self) -> Option<usize> {
        match self {
            DataSet::Plane | DataSet::Gaussian => Some(1200),
            DataSet::Cs231n => Some(100),
            DataSet::Upload => None,
            _ => Some(500),
        }
    }

    /// Whether the set is a regression.
    pub fn regresses(self) -> bool {
        matches!(self, DataSet::Plane | DataSet::Gaussian)
    }
}

impl Settings {
    /// Reads a set-up from `given` (a JSON object, or a query string's pairs): every key
    /// optional, none unknown; `upload` is how an uploaded file's description is found.
    pub fn parse(
        given: &Map<String, Value>,
        upload: &dyn Fn(&str) -> Option<DataFile>,
    ) -> Result<(Self, Option<DataFile>)> {
        if let Some(key) = given.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(bad(
                key,
                format!("unknown; the settings are {}", KEYS.join(", ")),
            ));
        }
        let get = |key: &str| given.get(key).filter(|v| !v.is_null());
        let data: DataSet = match get("data") {
            Some(v) => name("data", &text(v))?,
            None => DataSet::Circle,
        };
        let file = match (data, get("upload")) {
            (DataSet::Upload, Some(v)) => Some(upload(&text(v)).ok_or_else(|| {
                bad(
                    "upload",
                    "no such upload on this server; upload the file again",
                )
            })?),
            (DataSet::Upload, None) => return Err(bad("upload", "data=upload needs one")),
            (_, _) => None,
        };
        let classes = match data {
            DataSet::Cs231n => Some(get("classes").map_or(Ok(3), |v| whole("classes", v, 2..=8))?),
            DataSet::Upload => file.as_ref().map(|f| f.classes.len()),
            _ => None,
        };
        let noise = match data.noise() {
            Some((lo, hi, default, _)) => {
                Some(get("noise").map_or(Ok(default), |v| number("noise", v, lo..=hi))?)
            }
            None => None,
        };
        let points = match data.points() {
            Some(default) => Some(
                get("points").map_or(Ok(default), |v| whole("points", v, 10..=LIMITS.points))?,
            ),
            None => None,
        };
        let (hidden, activations, features) = network(&get)?;
        let regression = data.regresses() || file.as_ref().is_some_and(|f| f.task == Task::Regress);
        let default_loss = match classes {
            _ if regression => LossKind::Mse,
            Some(k) if k > 2 => LossKind::CrossEntropy,
            _ => LossKind::Bce,
        };
        let loss = get("loss").map_or(Ok(default_loss), |v| name("loss", &text(v)))?;
        let schedule =
            get("schedule").map_or(Ok(Schedule::Constant), |v| name("schedule", &text(v)))?;
        let settings = Settings {
            data,
            upload: file.as_ref().and(get("upload").map(text)),
            classes,
            noise,
            points,
            test_fraction: get("test_fraction")
                .map_or(Ok(0.5), |v| number("test_fraction", v, 0.0..=0.9))?,
            seed: get("seed").map_or(Ok(1), |v| whole("seed", v, 0..=u32::MAX as usize))? as u32,
            features: features.join(","),
            hidden: hidden.join(","),
            activations: activations.join(","),
            loss: spelled(&loss),
            lr: get("lr").map_or(Ok(0.03), |v| number("lr", v, 1e-9..=100.0))?,
            schedule: spelled(&schedule),
            lr_final: get("lr_final").map_or(Ok(0.0), |v| number("lr_final", v, 0.0..=100.0))?,
            momentum: get("momentum").map_or(Ok(0.0), |v| number("momentum", v, 0.0..=0.999))?,
            batch_size: get("batch_size").map_or(Ok(10), |v| {
                let per_set = classes.filter(|_| data == DataSet::Cs231n).unwrap_or(1);
                let rows = file
                    .as_ref()
                    .map_or(points.unwrap_or(0) * per_set, |f| f.rows);
                whole("batch_size", v, 0..=rows.max(1))
            })?,
            l2: get("l2").map_or(Ok(0.0), |v| number("l2", v, 0.0..=10.0))?,
            engine: get("engine").map_or(Ok(Engines::Autodiff), |v| name("engine", &text(v)))?,
            steps: get("steps").map_or(Ok(100_000), |v| whole("steps", v, 1..=LIMITS.steps))?,
        };
        Ok((settings, file))
    }

    /// The settings as a query string, every key given: the page's URL for this set-up.
    pub fn query(&self) -> String {
        let Ok(Value::Object(map)) = serde_json::to_value(self) else {
            return String::new();
        };
        map.iter()
            .map(|(key, value)| format!("{key}={}", escape(&text(value))))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn parsed<T: ValueEnum>(key: &str, text: &str) -> Result<Vec<T>> {
        text.split(',')
            .filter(|s| !s.is_empty())
            .map(|s| name(key, s))
            .collect()
    }

    /// The hidden widths.
    pub fn widths(&self) -> Vec<usize> {
        self.hidden
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    /// The run these settings describe, as `burnprop train` would configure it, validated.
    /// The steps run to `steps` (`max_steps`); `epochs` is set once the training split's size is
    /// known ([`Settings::with_epochs`]).
    pub fn config(&self, file: Option<&DataFile>) -> Result<ExperimentConfig> {
        let points = self.points.unwrap_or(0);
        let noise = self.noise.unwrap_or(0.0);
        let playground = |set| DataConfig::Playground {
            set,
            samples: points,
            noise,
            one_hot: false,
        };
        let regression = |set| DataConfig::PlaygroundRegression {
            set,
            samples: points,
            noise,
        };
        let (preset, data) = match self.data {
            DataSet::Circle => (Preset::Micrograd, playground(PlaygroundSet::Circle)),
            DataSet::Xor => (Preset::Micrograd, playground(PlaygroundSet::Xor)),
            DataSet::Gauss => (Preset::Micrograd, playground(PlaygroundSet::Gauss)),
            DataSet::Spiral => (Preset::Micrograd, playground(PlaygroundSet::Spiral)),
            DataSet::Plane => (Preset::Micrograd, regression(RegressionSet::Plane)),
            DataSet::Gaussian => (Preset::Micrograd, regression(RegressionSet::Gaussian)),
            DataSet::Moons => (
                Preset::Micrograd,
                DataConfig::Moons {
                    samples: points,
                    noise,
                    one_hot: false,
                },
            ),
            DataSet::Circles => (
                Preset::Circles,
                DataConfig::Circles {
                    samples: points,
                    factor: 0.1,
                    noise,
                    shuffle: true,
                },
            ),
            DataSet::Cs231n => (
                Preset::Cs231n,
                DataConfig::Spiral {
                    classes: self.classes.unwrap_or(3),
                    samples: points,
                },
            ),
            DataSet::Upload => match file {
                Some(file) => (Preset::File, DataConfig::File(file.clone())),
                None => return Err(bad("upload", "data=upload needs one")),
            },
        };
        let features: Vec<Feature> = Self::parsed("features", &self.features)?;
        let identity = features == [Feature::X1, Feature::X2];
        let config = ExperimentConfig {
            preset,
            data,
            features: (!identity).then_some(features),
            hidden: self.widths(),
            activations: Self::parsed("activations", &self.activations)?,
            bias: true,
            loss: name("loss", &self.loss)?,
            reduction: Reduction::Mean,
            l2: self.l2,
            l2_on: L2Scope::All,
            init: Init::Glorot,
            bias_init: BiasInit::Zeros,
            init_scale: None,
            init_draw: 1,
            optimizer: OptimizerConfig::plain(self.lr)
                .with_momentum(self.momentum)
                .with_schedule(name("schedule", &self.schedule)?)
                .with_lr_final(self.lr_final),
            epochs: 1,
            batch_size: (self.batch_size > 0).then_some(self.batch_size),
            max_steps: Some(self.steps),
            rng: RngKind::Numpy,
            seed: self.seed,
            dtype: Precision::F32,
            layout: Layout::Row,
            kernel: crate::config::Kernel::Auto,
            engine: match self.engine {
                Engines::Manual => Engine::Manual,
                Engines::Autodiff | Engines::Both => Engine::Autodiff,
            },
            test_fraction: (self.test_fraction > 0.0).then_some(self.test_fraction),
            standardize: None,
        };
        config.validate()?;
        Ok(config)
    }

    /// `config` with as many epochs as its `steps` take over `examples` training examples.
    pub fn with_epochs(&self, mut config: ExperimentConfig, examples: usize) -> ExperimentConfig {
        let per_epoch = config.steps_per_epoch(examples).max(1);
        config.epochs = self.steps.div_ceil(per_epoch).max(1);
        config
    }

    /// The `burnprop train` command line that trains `config` (made by [`Settings::config`] and
    /// [`Settings::with_epochs`]) step for step; `file` names an uploaded file.
    pub fn command(&self, config: &ExperimentConfig, file: &str) -> String {
        let mut line = match self.data {
            DataSet::Upload => format!("burnprop train --data-file {file}"),
            _ => format!("burnprop train {}", spelled(&config.preset)),
        };
        let mut flag = |name: &str, value: String| {
            let _ = write!(line, " --{name} {value}");
        };
        match self.data {
            DataSet::Upload | DataSet::Circles | DataSet::Cs231n => {}
            set => flag("data", spelled(&set)),
        }
        if let Some(classes) = self.classes.filter(|_| self.data == DataSet::Cs231n) {
            flag("classes", classes.to_string());
        }
        if let Some(points) = self.points {
            flag("samples", points.to_string());
        }
        if let Some(noise) = self.noise {
            flag("noise", noise.to_string());
        }
        if let Some(features) = &config.features {
            let names: Vec<&str> = features.iter().map(|f| f.name()).collect();
            flag("features", names.join(","));
        }
        flag(
            "hidden",
            if self.hidden.is_empty() {
                "''".into()
            } else {
                self.hidden.clone()
            },
        );
        if !self.activations.is_empty() {
            flag("activation", self.activations.clone());
        }
        flag("loss", self.loss.clone());
        flag("reduction", "mean".into());
        flag("l2", config.l2.to_string());
        flag("init", spelled(&config.init));
        flag("bias-init", spelled(&config.bias_init));
        flag("lr", self.lr.to_string());
        flag("momentum", self.momentum.to_string());
        flag("schedule", self.schedule.clone());
        if config.optimizer.schedule != Schedule::Constant {
            flag("lr-final", self.lr_final.to_string());
        }
        match config.batch_size {
            Some(size) => flag("batch-size", size.to_string()),
            None => line.push_str(" --full-batch"),
        }
        let mut flag = |name: &str, value: String| {
            let _ = write!(line, " --{name} {value}");
        };
        flag("epochs", config.epochs.to_string());
        flag("max-steps", self.steps.to_string());
        flag("rng", spelled(&config.rng));
        flag("seed", self.seed.to_string());
        flag("dtype", spelled(&config.dtype));
        if let Some(fraction) = config.test_fraction {
            flag("test-fraction", fraction.to_string());
        }
        flag("engine", spelled(&config.engine));
        line
    }
}

/// `text` escaped for a query string.
fn escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b',' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
