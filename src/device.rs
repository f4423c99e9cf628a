//! The one place that maps cargo features, `--device` and `BURN_DEVICE` to a burn [`Device`].
//!
//! Every backend feature of this crate forwards to the burn feature of the same name, and burn
//! then offers a constructor for it (`Device::flex()`, `Device::cuda(0)`, …). burn's own
//! `Device::default()` reads `BURN_DEVICE` too, but panics on a name it does not know; burnprop
//! reads the variable itself so that a wrong name is an ordinary error.

use std::fmt;

use burn::tensor::Device;

use crate::error::{Error, Result};

/// A compute backend burnprop can be built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// CUDA on an NVIDIA GPU (feature `cuda`).
    Cuda,
    /// Metal on Apple GPUs, through wgpu (feature `metal`).
    Metal,
    /// ROCm/HIP on an AMD GPU (feature `rocm`).
    Rocm,
    /// Vulkan, through wgpu (feature `vulkan`).
    Vulkan,
    /// wgpu on whichever graphics API the platform offers (feature `wgpu`).
    Wgpu,
    /// CubeCL's CPU backend (feature `cpu`).
    Cpu,
    /// burn-flex, pure-Rust CPU (feature `flex`, the default).
    Flex,
    /// burn-ndarray, deprecated in burn 0.22 (feature `ndarray`).
    Ndarray,
}

impl Backend {
    /// Every backend, in the order burn prefers them when none is named: accelerators first.
    pub const ALL: [Backend; 8] = [
        Backend::Cuda,
        Backend::Metal,
        Backend::Rocm,
        Backend::Vulkan,
        Backend::Wgpu,
        Backend::Cpu,
        Backend::Flex,
        Backend::Ndarray,
    ];

    /// The name used by `--device`, `BURN_DEVICE` and the cargo feature.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cuda => "cuda",
            Backend::Metal => "metal",
            Backend::Rocm => "rocm",
            Backend::Vulkan => "vulkan",
            Backend::Wgpu => "wgpu",
            Backend::Cpu => "cpu",
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
        }
    }

    /// Whether this binary was built with the backend's feature.
    pub fn is_compiled(self) -> bool {
        match self {
            Backend::Cuda => cfg!(feature = "cuda"),
            Backend::Metal => cfg!(feature = "metal"),
            Backend::Rocm => cfg!(feature = "rocm"),
            Backend::Vulkan => cfg!(feature = "vulkan"),
            Backend::Wgpu => cfg!(feature = "wgpu"),
            Backend::Cpu => cfg!(feature = "cpu"),
            Backend::Flex => cfg!(feature = "flex"),
            Backend::Ndarray => cfg!(feature = "ndarray"),
        }
    }

    /// The backends compiled into this binary, in preference order.
    pub fn compiled() -> Vec<Backend> {
        Self::ALL.into_iter().filter(|b| b.is_compiled()).collect()
    }

    /// Parses a backend name, case-insensitively.
    pub fn parse(name: &str) -> Result<Backend> {
        let wanted = name.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|b| b.name() == wanted)
            .ok_or_else(|| Error::UnknownDevice {
                name: name.to_string(),
                known: names(&Self::ALL),
                compiled: names(&Self::compiled()),
            })
    }

    /// The burn device of a compiled-in backend.
    ///
    /// Device constructors exist only for enabled features, so every arm is gated; the
    /// fallback arm answers for the backends this build lacks.
    fn device(self) -> Result<Device> {
        match self {
            #[cfg(feature = "cuda")]
            Backend::Cuda => Ok(Device::cuda(0)),
            #[cfg(feature = "metal")]
            Backend::Metal => Ok(Device::metal(burn::tensor::DeviceKind::DefaultDevice)),
            #[cfg(feature = "rocm")]
            Backend::Rocm => Ok(Device::rocm(0)),
            #[cfg(feature = "vulkan")]
            Backend::Vulkan => Ok(Device::vulkan(burn::tensor::DeviceKind::DefaultDevice)),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[cfg(feature = "cpu")]
            Backend::Cpu => Ok(Device::cpu()),
            #[cfg(feature = "flex")]
            Backend::Flex => Ok(Device::flex()),
            // burn 0.22 deprecates ndarray in favour of flex; burnprop keeps it selectable.
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            Backend::Ndarray => Ok(Device::ndarray()),
            #[allow(unreachable_patterns)]
            other => Err(Error::BackendNotCompiled {
                name: other.name().to_string(),
                compiled: names(&Self::compiled()),
            }),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn names(backends: &[Backend]) -> String {
    if backends.is_empty() {
        return "none".to_string();
    }
    backends
        .iter()
        .map(|b| b.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `device` (or the device an autodiff device wraps) keeps its tensors in host memory:
/// flex or ndarray. There the manual engine's fused kernel reads the data where they already
/// are.
pub fn computes_on_host(device: &Device) -> bool {
    let plain = device.clone().inner();
    let host: &[Device] = &[
        #[cfg(feature = "flex")]
        Device::flex(),
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        Device::ndarray(),
    ];
    host.contains(&plain)
}

/// Picks the compute device: `requested` (from `--device`, which also reads `BURN_DEVICE`),
/// else the first compiled-in backend in [`Backend::ALL`] order.
pub fn select(requested: Option<&str>) -> Result<(Backend, Device)> {
    let backend = match requested.map(str::trim).filter(|name| !name.is_empty()) {
        Some(name) => Backend::parse(name)?,
        None => *Backend::compiled().first().ok_or_else(|| {
            Error::InvalidConfig(
                "this build has no compute backend; rebuild with a backend feature such as `--features flex`"
                    .to_string(),
            )
        })?,
    };
    Ok((backend, backend.device()?))
}

/// [`select`] with the device named by `BURN_DEVICE`, if any (for programs without flags).
pub fn from_env() -> Result<(Backend, Device)> {
    select(std::env::var("BURN_DEVICE").ok().as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_build_selects_flex() {
        let (backend, _) = select(None).expect("flex is compiled into the default build");
        assert_eq!(backend, Backend::Flex);
    }

    #[test]
    fn names_parse_case_insensitively() {
        assert_eq!(Backend::parse("FLEX").ok(), Some(Backend::Flex));
        assert_eq!(Backend::parse(" ndarray ").ok(), Some(Backend::Ndarray));
    }

    #[test]
    fn unknown_name_lists_the_known_and_compiled_backends() {
        let err = select(Some("tpu")).unwrap_err().to_string();
        assert!(err.contains("unknown device 'tpu'"), "{err}");
        assert!(err.contains("cuda, metal"), "{err}");
        assert!(err.contains("compiled into this build: "), "{err}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn backend_not_compiled_names_the_feature() {
        let err = select(Some("cuda")).unwrap_err().to_string();
        assert!(err.contains("not compiled into this build"), "{err}");
        assert!(err.contains("--features cuda"), "{err}");
    }
}
