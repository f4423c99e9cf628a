//! Every option combination a user can pick trains: initialisers, random sources, precisions,
//! losses and batch modes.

use clap::ValueEnum;

use burnprop::config::Preset;
use burnprop::data::{DataConfig, PlaygroundSet};
use burnprop::loss::{LossKind, Reduction};
use burnprop::model::init::{BiasInit, Init};
use burnprop::rng::RngKind;
use burnprop::tensor::Precision;

use crate::common::train_quietly;

#[test]
fn every_initialiser_random_source_and_precision_trains_reproducibly() {
    for &init in Init::value_variants() {
        for &rng in RngKind::value_variants() {
            for &dtype in Precision::value_variants() {
                let mut config = Preset::Xor.config();
                config.init = init;
                config.rng = rng;
                config.dtype = dtype;
                config.bias = true;
                config.bias_init = BiasInit::Same;
                config.init_scale = Some(0.5);
                config.init_draw = 2;
                config.max_steps = Some(5);
                if rng == RngKind::Playground {
                    // The Playground's stream draws only its own sets.
                    config.data = DataConfig::Playground {
                        set: PlaygroundSet::Spiral,
                        samples: 40,
                        noise: 10.0,
                        one_hot: false,
                    };
                }
                let what = format!("{init:?} / {rng:?} / {dtype:?}");
                let (_, first) = train_quietly(&config);
                let (_, second) = train_quietly(&config);
                assert_eq!(first.losses(), second.losses(), "{what}: not reproducible");
                assert!(
                    first.losses().iter().all(|l| l.is_finite()),
                    "{what}: {:?}",
                    first.losses()
                );
            }
        }
    }
}

#[test]
fn every_loss_reduction_and_batch_mode_trains() {
    for &loss in LossKind::value_variants() {
        for &reduction in Reduction::value_variants() {
            for batch_size in [None, Some(64)] {
                let mut config = Preset::Circles.config();
                config.data = burnprop::data::DataConfig::Circles {
                    samples: 300,
                    factor: 0.5,
                    noise: 0.05,
                    shuffle: true,
                };
                config.loss = loss;
                config.reduction = reduction;
                config.batch_size = batch_size;
                config.optimizer.lr = 1e-3;
                config.max_steps = Some(12);
                let what = format!("{loss:?} / {reduction:?} / {batch_size:?}");
                let (trained, history) = train_quietly(&config);
                assert!(trained.evaluation.loss.is_finite(), "{what}");
                assert_eq!(trained.steps, 12, "{what}");
                assert_eq!(
                    trained.evaluation.accuracy.is_some(),
                    loss != LossKind::Mse,
                    "{what}: accuracy only where the loss classifies"
                );
                // Full batch adds the row after the last update.
                let rows = if batch_size.is_none() { 13 } else { 12 };
                assert_eq!(history.records.len(), rows, "{what}");
            }
        }
    }
}
