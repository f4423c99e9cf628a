//! The one place that maps cargo features, `--device` and `BURN_DEVICE` to a burn [`Device`].
//!
//! Every backend feature of this crate forwards to the burn feature of the same name, and burn
//! then offers a constructor for it (`Device::flex()`, `Device::cuda(0)`, …). burn's own
//! `Device::default()` reads `BURN_DEVICE` too, but panics on a name it does not know; burnprop
//! reads the variable itself so that a wrong name is an ordinary error.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};

use burn::tensor::activation::sigmoid;
use burn::tensor::{DType, Device, FloatDType, Tensor, TensorData};

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

    /// Whether the backend computes in host memory, with no device to open (flex, ndarray).
    pub fn is_host(self) -> bool {
        matches!(self, Backend::Flex | Backend::Ndarray)
    }

    /// What the backend needs from the machine, and what to try when it is missing: the two
    /// halves of [`Error::DeviceUnavailable`].
    fn needs(self) -> (&'static str, &'static str) {
        match self {
            Backend::Wgpu | Backend::Vulkan => (
                "no Vulkan or OpenGL adapter was found",
                "install a GPU driver, or Mesa's software Vulkan device (Debian and Ubuntu: apt-get install mesa-vulkan-drivers), or use --device flex",
            ),
            Backend::Metal => (
                "no Metal device was found",
                "Metal needs macOS on Apple hardware; use --device flex elsewhere",
            ),
            Backend::Cuda => (
                "no NVIDIA GPU with a working driver was found",
                "install the NVIDIA driver (libcuda.so.1; nvidia-smi shows whether it works), or use --device flex",
            ),
            Backend::Rocm => (
                "no AMD GPU with a working ROCm/HIP runtime was found",
                "install ROCm (libamdhip64.so; rocminfo shows whether it works), or use --device flex",
            ),
            Backend::Cpu => ("CubeCL's CPU runtime could not start", "use --device flex"),
            Backend::Flex | Backend::Ndarray => ("nothing", "use --device flex"),
        }
    }

    /// The burn device of a compiled-in backend, opened and checked: a backend that cannot
    /// start (no adapter, no driver) is an [`Error::DeviceUnavailable`] here, before anything
    /// is computed or written.
    pub fn open(self) -> Result<Device> {
        let device = self.device()?;
        if self.is_host() {
            return Ok(device);
        }
        // burn opens a device lazily, on its first use, and its backends panic when they
        // cannot: cubecl-wgpu on a machine without an adapter, cudarc without libcuda. Open it
        // here, under a panic hook that keeps the message instead of printing a backtrace.
        match quietly(|| adapter(&device)) {
            Ok(_) => Ok(device),
            Err(reason) => {
                let (missing, remedy) = self.needs();
                Err(Error::DeviceUnavailable {
                    backend: self.name(),
                    missing,
                    reason,
                    remedy,
                })
            }
        }
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

/// The name the device gives itself (`llvmpipe (LLVM 15.0.6, 256 bits)`, `NVIDIA H100 PCIe`),
/// for the backends that report one; `None` for host backends. Opens the device.
pub fn adapter(device: &Device) -> Option<String> {
    #[cfg(any(
        feature = "wgpu",
        feature = "vulkan",
        feature = "metal",
        feature = "cuda",
        feature = "rocm",
        feature = "cpu"
    ))]
    if !computes_on_host(device) {
        return device.identity().map(|identity| identity.name);
    }
    let _ = device;
    None
}

/// Whether `device` computes correctly in `dtype`. burn's `supports_dtype` asks the driver,
/// and that is not enough for f64: Mesa's lavapipe reports 64-bit float support, yet burn's
/// wgpu kernels return garbage in f64 there (a negative cross-entropy), so on a device that is
/// not the host an f64 answer is checked on a small forward pass with a known result.
pub fn computes_in(device: &Device, dtype: FloatDType) -> bool {
    if !device.supports_dtype(dtype) {
        return false;
    }
    if dtype != FloatDType::F64 || computes_on_host(device) {
        return true;
    }
    quietly(|| f64_forward_is_right(device)).unwrap_or(false)
}

/// A matrix product, a sigmoid, a logarithm and a sum in f64 on `device`, against the same
/// computed on the host; the inputs carry a 1e-10 that f32 would round away.
fn f64_forward_is_right(device: &Device) -> bool {
    const X: [f64; 6] = [0.5, -1.25, 2.0, 1.0 + 1e-10, 0.75, -0.5];
    const W: [f64; 3] = [0.3, -0.7, 1.1];
    let tensor = |values: &[f64], shape: [usize; 2]| {
        Tensor::<2>::from_data(
            TensorData::new(values.to_vec(), shape),
            (device, DType::F64),
        )
    };
    let z = tensor(&X, [2, 3]).matmul(tensor(&W, [3, 1]));
    let log_a = sigmoid(z.clone()).log();
    let shifted = tensor(&X, [2, 3]) - 1.0;
    let read = |t: Tensor<2>| t.into_data().convert::<f64>().try_to_vec::<f64>().ok();
    let (Some(z), Some(log_a), Some(shifted)) = (read(z), read(log_a), read(shifted)) else {
        return false;
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
    X.chunks(3).enumerate().all(|(i, row)| {
        let expected: f64 = row.iter().zip(W).map(|(x, w)| x * w).sum();
        close(z[i], expected) && close(log_a[i], -(-expected).exp().ln_1p())
    }) && close(shifted[3], 1e-10)
}

/// Checks that `device` can compute in `dtype` ([`computes_in`]); burnprop refuses an f64
/// run on a device that cannot, naming the devices that can, rather than train on garbage.
pub fn ensure_precision(backend: Backend, device: &Device, dtype: FloatDType) -> Result<()> {
    if computes_in(device, dtype) {
        return Ok(());
    }
    let hosts: Vec<&str> = Backend::compiled()
        .into_iter()
        .filter(|b| b.is_host())
        .map(Backend::name)
        .collect();
    let remedy = match hosts.first() {
        Some(host) => format!(
            "use --dtype f32, or --device {host} for {}",
            dtype_name(dtype)
        ),
        None => format!(
            "use --dtype f32, or rebuild with `--features flex` for {} on the CPU",
            dtype_name(dtype)
        ),
    };
    Err(Error::UnsupportedPrecision {
        backend: backend.name(),
        adapter: adapter(device)
            .map(|name| format!(" ({name})"))
            .unwrap_or_default(),
        dtype: dtype_name(dtype),
        remedy,
    })
}

/// The device for work that must run in f64 (the gradient check): `device` itself when it
/// computes in f64, else the first compiled-in host backend, with the reason it was chosen.
pub fn for_f64(backend: Backend, device: Device) -> Result<(Backend, Device, Option<String>)> {
    if computes_in(&device, FloatDType::F64) {
        return Ok((backend, device, None));
    }
    match Backend::compiled().into_iter().find(|b| b.is_host()) {
        Some(host) => Ok((
            host,
            host.open()?,
            Some(format!(
                "{backend} cannot compute in f64, so the f64 numerics run on {host}"
            )),
        )),
        None => Err(Error::InvalidConfig(format!(
            "device '{backend}' cannot compute in f64, and this build has no CPU backend to run f64 on instead: rebuild with `--features flex`"
        ))),
    }
}

fn dtype_name(dtype: FloatDType) -> &'static str {
    match dtype {
        FloatDType::F64 => "f64",
        FloatDType::F32 | FloatDType::Flex32 => "f32",
        FloatDType::F16 => "f16",
        FloatDType::BF16 => "bf16",
    }
}

/// Runs `f` with panics kept from the terminal: a panic on any thread while it runs (burn
/// opens devices on a runner thread of its own) is recorded instead of printed, and the first
/// recorded message, on one line, is the error.
fn quietly<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    static MESSAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());
    // One probe at a time: the panic hook is global.
    static PROBE: Mutex<()> = Mutex::new(());
    let _probe = PROBE.lock().unwrap_or_else(PoisonError::into_inner);
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        let message = info.payload_as_str().unwrap_or("a panic without a message");
        MESSAGES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(one_line(message));
    }));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    let messages = std::mem::take(&mut *MESSAGES.lock().unwrap_or_else(PoisonError::into_inner));
    result.map_err(|_| {
        messages
            .into_iter()
            .next()
            .unwrap_or_else(|| "it stopped without a reason".to_string())
    })
}

/// A backend's panic message on one line, and without Rust's debug punctuation where it
/// quotes an inner message (cubecl: `AdapterUnavailable { device: …, message: "…" }`).
fn one_line(message: &str) -> String {
    let inner = message
        .split_once("message: \"")
        .and_then(|(head, rest)| {
            let quoted = rest.split_once('"')?.0;
            let head = head.split_once(':').map_or(head, |(h, _)| h).trim();
            Some(format!("{head}: {quoted}"))
        })
        .unwrap_or_else(|| message.to_string());
    inner.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Picks the compute device: `requested` (from `--device`, which also reads `BURN_DEVICE`),
/// else the first compiled-in backend in [`Backend::ALL`] order, and opens it
/// ([`Backend::open`]).
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
    Ok((backend, backend.open()?))
}

/// [`select`] with the device named by `BURN_DEVICE`, if any (for programs without flags).
pub fn from_env() -> Result<(Backend, Device)> {
    select(std::env::var("BURN_DEVICE").ok().as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(any(
        feature = "cuda",
        feature = "metal",
        feature = "rocm",
        feature = "vulkan",
        feature = "wgpu",
        feature = "cpu"
    )))]
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

    #[cfg(feature = "wgpu")]
    #[test]
    fn accelerators_come_before_flex() {
        // A build with a GPU backend uses it unless told otherwise; flex stays selectable.
        let compiled = Backend::compiled();
        let wgpu = compiled.iter().position(|&b| b == Backend::Wgpu);
        let flex = compiled.iter().position(|&b| b == Backend::Flex);
        assert!(wgpu < flex, "{compiled:?}");
    }

    #[test]
    fn host_backends_compute_in_f64() {
        let device = Backend::Flex.open().expect("flex opens anywhere");
        ensure_precision(Backend::Flex, &device, FloatDType::F64).expect("flex has f64");
        let (backend, _, note) = for_f64(Backend::Flex, device).expect("flex has f64");
        assert_eq!((backend, note), (Backend::Flex, None));
    }

    #[test]
    fn panics_become_one_line_errors() {
        // The message cubecl-wgpu 0.11.3 panics with when no adapter exists
        // (runtime.rs: `.expect("Unable to acquire wgpu device")` of an AdapterUnavailable).
        let reason = quietly(|| -> () {
            panic!(
                "Unable to acquire wgpu device: AdapterUnavailable {{ device: DefaultDevice, message: \"no adapter found on the requested graphics API\" }}"
            )
        })
        .unwrap_err();
        assert_eq!(
            reason,
            "Unable to acquire wgpu device: no adapter found on the requested graphics API"
        );
        assert_eq!(quietly(|| 7), Ok(7));
        assert_eq!(one_line("two\n  lines"), "two lines");
    }
}
