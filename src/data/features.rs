//! TensorFlow Playground's input features (`--features`): a fixed map from a 2-D point
//! `(x₁, x₂)` to the network's inputs, applied before the first layer.
//!
//! The seven of `playground.ts`'s `INPUTS` (tensorflow/playground 02469bd), in its order:
//! `x` = x₁, `y` = x₂, `xSquared` = x₁², `ySquared` = x₂², `xTimesY` = x₁x₂,
//! `sinX` = sin x₁, `sinY` = sin x₂. The map has no parameter: it is applied where the data
//! become examples (so every engine trains on the mapped inputs) and to every point of the
//! input plane a figure feeds the network. The sines are Rust's `f64::sin`; the Playground
//! trains on `Math.sin`, which rounds differently in the last bit for a few arguments.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::Examples;

/// One input feature of a 2-D point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Feature {
    /// `x₁` (the Playground's `x`).
    X1,
    /// `x₂` (`y`).
    X2,
    /// `x₁²` (`xSquared`).
    X1sq,
    /// `x₂²` (`ySquared`).
    X2sq,
    /// `x₁·x₂` (`xTimesY`).
    X1x2,
    /// `sin x₁` (`sinX`).
    Sinx1,
    /// `sin x₂` (`sinY`).
    Sinx2,
}

/// The map of a run without `--features`: the point itself.
pub const IDENTITY: [Feature; 2] = [Feature::X1, Feature::X2];

impl Feature {
    /// The feature of the point `(x1, x2)`, as the Playground's `f: (x, y) => …` computes it.
    pub fn of(self, [x1, x2]: [f64; 2]) -> f64 {
        match self {
            Feature::X1 => x1,
            Feature::X2 => x2,
            Feature::X1sq => x1 * x1,
            Feature::X2sq => x2 * x2,
            Feature::X1x2 => x1 * x2,
            Feature::Sinx1 => x1.sin(),
            Feature::Sinx2 => x2.sin(),
        }
    }

    /// The name `--features` and `config.json` spell.
    pub fn name(self) -> &'static str {
        match self {
            Feature::X1 => "x1",
            Feature::X2 => "x2",
            Feature::X1sq => "x1sq",
            Feature::X2sq => "x2sq",
            Feature::X1x2 => "x1x2",
            Feature::Sinx1 => "sinx1",
            Feature::Sinx2 => "sinx2",
        }
    }
}

/// The inputs `features` make of the point `p`, in their order.
pub fn map(features: &[Feature], p: [f64; 2]) -> impl Iterator<Item = f64> + '_ {
    features.iter().map(move |f| f.of(p))
}

/// The examples of 2-D points `examples` with their inputs replaced by `features`' values,
/// targets unchanged.
pub fn apply(features: &[Feature], examples: &Examples) -> Examples {
    let inputs = examples
        .iter()
        .flat_map(|e| map(features, [e.x[0], e.x[1]]))
        .collect();
    let targets = examples.iter().flat_map(|e| e.y.iter().copied()).collect();
    let [_, outputs] = examples.widths();
    Examples::new(inputs, targets, [features.len(), outputs], examples.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_feature_is_the_playgrounds() {
        // playground.ts's INPUTS at (x, y) = (2, −3): x, y, x·x, y·y, x·y, sin x, sin y.
        let all = [
            Feature::X1,
            Feature::X2,
            Feature::X1sq,
            Feature::X2sq,
            Feature::X1x2,
            Feature::Sinx1,
            Feature::Sinx2,
        ];
        let values: Vec<f64> = map(&all, [2.0, -3.0]).collect();
        assert_eq!(
            values,
            [2.0, -3.0, 4.0, 9.0, -6.0, 2f64.sin(), (-3f64).sin()]
        );
        // sin 2 = 0.9092974268256817 (Python's math.sin(2)), to f64's last bit on glibc.
        assert!((values[5] - 0.909_297_426_825_681_7).abs() < 1e-15);
        let names: Vec<&str> = all.iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"]
        );
        for f in all {
            // The command line's spelling is the config's.
            assert_eq!(serde_json::json!(f), serde_json::json!(f.name()));
            let flag = f.to_possible_value().map(|v| v.get_name().to_string());
            assert_eq!(flag.as_deref(), Some(f.name()));
        }
    }

    #[test]
    fn the_map_widens_the_examples_and_keeps_the_targets() {
        let rows = [([1.0, 2.0], [1.0]), ([-0.5, 4.0], [0.0])];
        let examples = Examples::of_rows(rows.iter().map(|(x, y)| (&x[..], &y[..])));
        let mapped = apply(&[Feature::X1, Feature::X1sq, Feature::X1x2], &examples);
        assert_eq!(mapped.widths(), [3, 1]);
        let second = mapped.get(1).expect("two examples");
        assert_eq!((second.x, second.y), (&[-0.5, 0.25, -2.0][..], &[0.0][..]));
        // The identity map gives the examples back.
        assert_eq!(apply(&IDENTITY, &examples), examples);
    }
}
