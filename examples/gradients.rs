//! Manual, autodiff and numeric gradients side by side, element by element, for notebook 000's
//! 2-3-2 network (sigmoid hidden layer, softmax output, summed cross-entropy) on 200 circles.
//!
//! `cargo run --release --example gradients`

use burnprop::config::Preset;
use burnprop::data::DataConfig;
use burnprop::device;
use burnprop::gradcheck::{self, CheckOptions, Problem, host_tensors, numeric_gradients};

fn main() -> anyhow::Result<()> {
    let (backend, device) = device::from_env()?;
    let mut config = Preset::Circles.config();
    config.data = DataConfig::Circles {
        samples: 200,
        factor: 0.1,
        noise: 0.1,
        shuffle: true,
    };
    let problem = Problem::from_config(&config, None, &device)?;
    let manual = host_tensors(&problem.manual_gradients().layers)?;
    let autodiff = host_tensors(&problem.autodiff_gradients()?.layers)?;
    let numeric = numeric_gradients(&problem, gradcheck::DEFAULT_EPS)?;

    println!(
        "{} on {backend}, {} examples, f64; J(θ) = {:.10}\n",
        config.network(),
        problem.examples(),
        numeric.loss
    );
    println!(
        "{:<8} {:>20} {:>20} {:>20}",
        "param", "manual", "autodiff", "numeric"
    );
    for ((m, a), n) in manual.iter().zip(&autodiff).zip(&numeric.gradients) {
        let elements = m.values.iter().zip(&a.values).zip(&n.values);
        for (j, ((m_j, a_j), n_j)) in elements.enumerate() {
            let name = format!("{}[{j}]", m.name);
            println!("{name:<8} {m_j:>20.12} {a_j:>20.12} {n_j:>20.12}");
        }
    }
    println!("\n{}", gradcheck::check(&problem, CheckOptions::default())?);
    Ok(())
}
