//! `/api/options`: every choice the page offers, named as the command line names it, with
//! the limits and the defaults, so that the page builds its controls from the server.

use clap::ValueEnum;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::settings::{DataSet, Engines, Settings, spelled};
use crate::config::Schedule;
use crate::data::Feature;
use crate::loss::LossKind;
use crate::model::activation::Activation;

/// The bounds on what one run may ask for, stated in `/api/options` and the README.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Limits {
    /// Hidden layers.
    pub layers: usize,
    /// Units in a hidden layer.
    pub units: usize,
    /// Points of a generated set (per class for the cs231n spiral).
    pub points: usize,
    /// Bytes of an uploaded CSV file.
    pub upload_bytes: usize,
    /// Runs open at once.
    pub runs: usize,
    /// Seconds a run nobody watches is kept.
    pub idle_seconds: u64,
    /// Steps of one run.
    pub steps: usize,
}

/// The playground's limits.
pub const LIMITS: Limits = Limits {
    layers: 8,
    units: 32,
    points: 5000,
    upload_bytes: 16 << 20,
    runs: 8,
    idle_seconds: 60,
    steps: 1_000_000,
};

/// The names of every value of `T`.
fn names<T: ValueEnum>() -> Vec<String> {
    T::value_variants().iter().map(spelled).collect()
}

/// What a data set takes.
fn data_set(set: DataSet) -> Value {
    let label = match set {
        DataSet::Circle => "Circle (Playground)",
        DataSet::Xor => "Exclusive or (Playground)",
        DataSet::Gauss => "Gaussian (Playground)",
        DataSet::Spiral => "Spiral (Playground)",
        DataSet::Plane => "Plane (Playground regression)",
        DataSet::Gaussian => "Multi-Gaussian (Playground regression)",
        DataSet::Moons => "Moons (scikit-learn)",
        DataSet::Circles => "Circles (scikit-learn, notebook 000)",
        DataSet::Cs231n => "Spiral of K classes (cs231n)",
        DataSet::Upload => "Your CSV file",
    };
    json!({
        "name": spelled(&set),
        "label": label,
        "task": if set.regresses() { "regress" } else { "classify" },
        "noise": set.noise().map(|(min, max, default, unit)| {
            json!({ "min": min, "max": max, "default": default, "unit": unit })
        }),
        "points": set.points().map(|default| {
            json!({ "min": 10, "max": LIMITS.points, "default": default })
        }),
        "classes": (set == DataSet::Cs231n).then(|| json!({ "min": 2, "max": 8, "default": 3 })),
    })
}

/// The options document.
pub fn options() -> Value {
    let defaults = Settings::parse(&Map::new(), &|_| None)
        .map(|(settings, _)| json!(settings))
        .unwrap_or(Value::Null);
    json!({
        "data": DataSet::value_variants().iter().copied().map(data_set).collect::<Vec<_>>(),
        "features": names::<Feature>(),
        "activations": names::<Activation>(),
        "losses": names::<LossKind>(),
        "schedules": names::<Schedule>(),
        "engines": names::<Engines>(),
        "limits": LIMITS,
        "defaults": defaults,
    })
}
