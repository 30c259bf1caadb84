//! Execution providers: which hardware runs a model.
//!
//! Each accelerator is behind a cargo feature of `crumb-engine` (`cuda`,
//! `coreml`, `directml`) *and* the target it can exist on, so a default build
//! carries none of them and a feature asked for on the wrong platform is inert.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a model runs. `Auto` tries every accelerator compiled in, then the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionProvider {
    /// Every compiled-in accelerator in turn, then the CPU.
    #[default]
    Auto,
    /// ONNX Runtime's own CPU kernels; always available.
    Cpu,
    /// NVIDIA CUDA (feature `cuda`, Linux and Windows).
    Cuda,
    /// Apple CoreML (feature `coreml`, Apple targets).
    CoreMl,
    /// DirectML (feature `directml`, Windows).
    DirectMl,
}

impl ExecutionProvider {
    /// All values, in `Auto`'s order of preference for the concrete ones.
    pub const ALL: [ExecutionProvider; 5] = [
        ExecutionProvider::Auto,
        ExecutionProvider::Cpu,
        ExecutionProvider::Cuda,
        ExecutionProvider::CoreMl,
        ExecutionProvider::DirectMl,
    ];

    /// The lowercase name used in options, logs and `crumb status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionProvider::Auto => "auto",
            ExecutionProvider::Cpu => "cpu",
            ExecutionProvider::Cuda => "cuda",
            ExecutionProvider::CoreMl => "coreml",
            ExecutionProvider::DirectMl => "directml",
        }
    }

    /// Whether this build can use the provider at all (feature and target).
    pub fn compiled_in(self) -> bool {
        match self {
            ExecutionProvider::Auto | ExecutionProvider::Cpu => true,
            ExecutionProvider::Cuda => cfg!(all(
                feature = "cuda",
                any(target_os = "linux", target_os = "windows")
            )),
            ExecutionProvider::CoreMl => cfg!(all(feature = "coreml", target_vendor = "apple")),
            ExecutionProvider::DirectMl => cfg!(all(feature = "directml", target_os = "windows")),
        }
    }

    /// Turns the user's ordered choice into the concrete providers to try:
    /// `Auto` becomes every compiled-in accelerator, duplicates and
    /// unavailable ones drop out, and the CPU always ends the list.
    pub fn expand(choice: &[ExecutionProvider]) -> Vec<ExecutionProvider> {
        let mut out = Vec::new();
        let auto = [
            ExecutionProvider::Cuda,
            ExecutionProvider::CoreMl,
            ExecutionProvider::DirectMl,
        ];
        for &ep in choice {
            let items: &[ExecutionProvider] = if ep == ExecutionProvider::Auto {
                &auto
            } else {
                std::slice::from_ref(&ep)
            };
            for &e in items {
                if e.compiled_in() && !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        if !out.contains(&ExecutionProvider::Cpu) {
            out.push(ExecutionProvider::Cpu);
        }
        out
    }
}

impl fmt::Display for ExecutionProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExecutionProvider {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        ExecutionProvider::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                crate::Error::Input(format!(
                    "unknown execution provider {s:?} (expected auto|cpu|cuda|coreml|directml)"
                ))
            })
    }
}

/// The `ort` registration for a concrete accelerator; `None` for the CPU,
/// which ONNX Runtime always has. An accelerator missing from this build is an
/// error so the caller moves on to the next one.
pub(crate) fn dispatch(
    ep: ExecutionProvider,
) -> std::result::Result<Option<ort::ep::ExecutionProviderDispatch>, String> {
    match ep {
        ExecutionProvider::Cpu => Ok(None),
        #[cfg(all(feature = "cuda", any(target_os = "linux", target_os = "windows")))]
        ExecutionProvider::Cuda => {
            available::<ort::ep::CUDA>(ep).map(|()| Some(ort::ep::CUDA::default().build()))
        }
        #[cfg(all(feature = "coreml", target_vendor = "apple"))]
        ExecutionProvider::CoreMl => {
            available::<ort::ep::CoreML>(ep).map(|()| Some(ort::ep::CoreML::default().build()))
        }
        #[cfg(all(feature = "directml", target_os = "windows"))]
        ExecutionProvider::DirectMl => {
            available::<ort::ep::DirectML>(ep).map(|()| Some(ort::ep::DirectML::default().build()))
        }
        other => Err(format!("{other} is not compiled into this build")),
    }
}

/// Asks the loaded ONNX Runtime whether it was built with the provider: the
/// CPU-only wheel is not, and registering would fail less clearly.
#[allow(dead_code)] // unused when no accelerator feature is on
fn available<E: ort::ep::ExecutionProvider>(
    ep: ExecutionProvider,
) -> std::result::Result<(), String> {
    match E::is_available() {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("the loaded ONNX Runtime has no {ep} support")),
        Err(e) => Err(format!("cannot query {ep} support: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_always_ends_with_cpu_and_drops_duplicates() {
        let got = ExecutionProvider::expand(&[ExecutionProvider::Cpu, ExecutionProvider::Cpu]);
        assert_eq!(got, vec![ExecutionProvider::Cpu]);
        let got = ExecutionProvider::expand(&[ExecutionProvider::Auto]);
        assert_eq!(got.last(), Some(&ExecutionProvider::Cpu));
        assert!(ExecutionProvider::expand(&[]).contains(&ExecutionProvider::Cpu));
    }

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for ep in ExecutionProvider::ALL {
            let json = serde_json::to_string(&ep).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", ep.as_str()));
            assert_eq!(ep.as_str().parse::<ExecutionProvider>().ok(), Some(ep));
        }
        assert!("tpu".parse::<ExecutionProvider>().is_err());
    }
}
