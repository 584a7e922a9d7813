//! Kiln: an ahead-of-time compiler from WebAssembly (wasm32-wasi, WASI preview1) to
//! native objects and executables, built on wasmparser and Cranelift.
//!
//! [`compile`] turns module bytes into an object; [`build`] also links it with the
//! runtime library and writes the result atomically.

extern crate alloc;

mod builtins;
mod cache;
mod codegen;
mod descriptor;
mod entry;
mod environ;
mod error;
pub mod image;
mod imports;
mod index;
mod inspect;
mod manifest;
mod output;
mod symbols;
mod translate;
mod traps;
mod type_text;

pub use cache::{cache_dir, cached_executable, CACHE_DIR_ENV};
pub use entry::{harness_object, HARNESS_SYMBOL};
pub use environ::missing_feature;
pub use error::Error;
pub use inspect::{inspect, Inspection};
pub use kiln_abi::manifest::{Grant, Limits};
pub use kiln_abi::BoundsChecks;
pub use kiln_targets::{Linker, Target};
pub use output::{build, build_bytes, read_input, remove_staged_files};

/// What `kiln compile` produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// A linked native executable.
    Exe,
    /// The native object, not linked.
    Obj,
    /// Cranelift IR of every function as translated from wasm, as text.
    Clif,
    /// Cranelift IR of every function after Cranelift's optimisations and legalisation.
    ClifOptimized,
    /// Machine code of every function, in Cranelift's disassembly (registers allocated),
    /// with the wasm offsets of its instructions.
    Asm,
}

impl Emit {
    /// Whether the output is a text listing instead of an object.
    pub fn is_listing(self) -> bool {
        matches!(self, Emit::Clif | Emit::ClifOptimized | Emit::Asm)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptLevel {
    None,
    Speed,
    SpeedAndSize,
}

/// Which CPU features the generated code may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cpu {
    /// What every CPU of the architecture has since about 2009: x86-64-v2 (SSE4.2,
    /// POPCNT) or ARMv8.0-A. The executable runs anywhere.
    Baseline,
    /// Everything this machine's CPU has (e.g. AVX2, BMI2, LZCNT): the executable may
    /// not start on an older CPU of the same architecture.
    Native,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub target: Target,
    pub emit: Emit,
    pub opt_level: OptLevel,
    pub cpu: Cpu,
    pub bounds_checks: BoundsChecks,
    /// Symbol of the module descriptor in the object.
    pub descriptor_symbol: String,
    /// Emit a C `main` that runs the module's `_start` as a WASI command, and require
    /// every import to be a WASI function the runtime provides.
    pub entry: bool,
    /// Overrides the module name recorded in the descriptor.
    pub module_name: Option<String>,
    /// Capabilities granted to the module, baked into the executable's manifest.
    pub grants: Vec<Grant>,
    /// Resource limits, baked into the manifest; a time limit also adds interrupt checks.
    pub limits: Limits,
    /// Link with this recipe instead of trying the target's recipes in order.
    pub linker: Option<Linker>,
    /// Link the executable without a symbol table (`--strip`).
    pub strip: bool,
    /// Explicit bounds checks only: address space reserved for the module's memory
    /// (default: its declared maximum, else 4 GiB).
    pub memory_reservation: Option<u64>,
    /// The WebAssembly standard modules are validated against.
    pub wasm: WasmVersion,
    /// Deliberately miscompile `i32.sub` (operands swapped), so tests can check that a
    /// runner notices a broken translation.
    #[cfg(feature = "fault-injection")]
    pub swap_i32_sub_operands: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            target: Target::host(),
            emit: Emit::Exe,
            opt_level: OptLevel::Speed,
            cpu: Cpu::Baseline,
            bounds_checks: BoundsChecks::Guard,
            descriptor_symbol: kiln_abi::DEFAULT_DESCRIPTOR_SYMBOL.to_string(),
            entry: true,
            module_name: None,
            grants: Vec::new(),
            limits: Limits::default(),
            linker: None,
            strip: false,
            memory_reservation: None,
            wasm: WasmVersion::V3,
            #[cfg(feature = "fault-injection")]
            swap_i32_sub_operands: false,
        }
    }
}

/// Which WebAssembly standard a module must conform to. Later versions accept modules
/// earlier ones reject (several memories, for one), so a 2.0 conformance run needs 2.0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WasmVersion {
    /// WebAssembly 2.0 (SIMD included).
    V2,
    /// WebAssembly 3.0, as far as Kiln supports it (see the README), and threads.
    #[default]
    V3,
    /// WebAssembly 1.0 plus threads: what the threads proposal's own test scripts are
    /// written against (a second table, for one, is invalid there).
    ThreadsProposal,
}

/// The result of [`compile`]: object bytes, or the text listing of a listing kind
/// ([`Emit::is_listing`]).
pub struct Compiled {
    pub object: Vec<u8>,
    pub listing: String,
}

/// Compiles a module given as wasm binary or WebAssembly text.
pub fn compile(input: &[u8], options: &Options) -> Result<Compiled, Error> {
    let wasm = to_binary(input)?;
    let env = environ::ModuleEnv::parse(&wasm, options.wasm)?;
    if options.entry {
        imports::check_command(&env)?;
    } else {
        imports::check_wasi_memory(&env)?;
    }
    let out = codegen::compile_module(&env, options)?;
    Ok(Compiled {
        object: out.object,
        listing: out.listing,
    })
}

const WASM_MAGIC: &[u8] = b"\0asm";

/// Binary modules pass through; anything else must be WebAssembly text.
fn to_binary(input: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, Error> {
    if input.starts_with(WASM_MAGIC) {
        return Ok(input.into());
    }
    let text = std::str::from_utf8(input).map_err(|_| {
        Error::new(
            "not a WebAssembly module: the input has neither the `\\0asm` header of a binary \
             module nor valid UTF-8 WebAssembly text",
        )
    })?;
    if !text.trim_start().starts_with('(') && !text.trim_start().starts_with(";;") {
        return Err(Error::new(
            "not a WebAssembly module: the input has neither the `\\0asm` header of a binary \
             module nor the `(module ...)` of WebAssembly text",
        ));
    }
    wat::parse_str(text)
        .map(Into::into)
        .map_err(|e| Error::new(format!("cannot parse WebAssembly text: {e}")))
}
