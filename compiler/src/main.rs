//! The `kiln` command line.

use clap::{Parser, Subcommand, ValueEnum};
use kiln::{BoundsChecks, Cpu, Emit, Grant, Limits, Linker, OptLevel, Options, Target};
use std::path::PathBuf;
use std::process::ExitCode;

mod commands;

#[derive(Parser)]
#[command(
    name = "kiln",
    version,
    about = "Ahead-of-time compiler from WebAssembly (wasm32-wasi) to native executables",
    long_about = "Kiln compiles a WebAssembly module (WASI preview1 command) into a native \
                  executable that runs it sandboxed: memory accesses stay inside the module's \
                  linear memory, faults become wasm traps, and the module gets no files or \
                  environment variables unless granted with --dir / --env / --inherit-env \
                  when it is compiled.\n\n\
                  Exit statuses of a compiled executable: 0 when `_start` returns, N when the \
                  module calls proc_exit(N), 134 when it traps (after printing \
                  `error: wasm trap: <reason>` on stderr)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a module (.wasm binary or .wat text) to an executable, object or IR.
    Compile(CompileArgs),
    /// Compile a module (cached) and run it: the quick path for development.
    ///
    /// The executable is cached by module, options and grants in $KILN_CACHE_DIR (default
    /// ~/.cache/kiln); it behaves exactly like one built with `kiln compile`.
    Run(RunArgs),
    /// Build a container image (OCI) that runs the module on Linux nodes.
    ///
    /// Each platform gets the module compiled as a fully static executable for the
    /// baseline CPU of its architecture, alone in a FROM-scratch image: `/app` (the entry
    /// point), an empty `/tmp`, run as the numeric non-root user 65532:65532. Both Linux
    /// platforms sit behind one tag, so every node of a Kubernetes cluster pulls its own.
    /// The same inputs give the same bytes and digest on every run (timestamps come from
    /// SOURCE_DATE_EPOCH, else 0). Grants name paths inside the container, e.g.
    /// `--dir /data::/data` for a volume mounted at /data.
    Image(ImageArgs),
    /// Show what a module, a kiln-built executable or an image asks for and is granted.
    Inspect(InspectArgs),
    /// List the targets with the linker and runtime library found for each.
    Targets,
}

#[derive(clap::Args)]
struct CompileArgs {
    /// The module to compile: a WebAssembly binary or WebAssembly text file.
    input: PathBuf,
    /// Where to write the result [default: the input's name without extension, plus
    /// `.o`/`.clif`/`.s`/`.exe` as the output kind and target need].
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// What to produce.
    #[arg(long, value_enum, default_value_t = EmitArg::Exe)]
    emit: EmitArg,
    #[command(flatten)]
    codegen: CodegenArgs,
    #[command(flatten)]
    grants: GrantArgs,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The module to run: a WebAssembly binary or WebAssembly text file.
    input: PathBuf,
    #[command(flatten)]
    codegen: CodegenArgs,
    #[command(flatten)]
    grants: GrantArgs,
    /// Arguments for the module (after `--`); its argv[0] is the module's path.
    #[arg(last = true)]
    args: Vec<String>,
}

#[derive(clap::Args)]
struct ImageArgs {
    /// The module: a WebAssembly binary or WebAssembly text file.
    input: PathBuf,
    /// Where to write the image: a directory for oci-dir, a file for the tar formats
    /// [default: the input's name with `-image` (oci-dir) or `.tar`].
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The image's name and tag, NAME[:TAG] (e.g. hello:1, or registry.example/team/hello:1)
    /// [default: the input's name, tag `latest`].
    #[arg(long, value_name = "NAME:TAG")]
    tag: Option<String>,
    /// The platforms, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "linux/amd64,linux/arm64")]
    platform: Vec<String>,
    /// oci-dir: an OCI layout directory (skopeo, umoci, `skopeo copy` to a registry);
    /// oci-tar: that layout as one tar (`ctr images import`, `kind load image-archive`,
    /// `podman load`); docker-tar: the tar plus Docker's manifest.json, one platform only
    /// (`docker load`).
    #[arg(long, value_enum, default_value_t = FormatArg::OciDir)]
    format: FormatArg,
    #[command(flatten)]
    codegen: CodegenArgs,
    #[command(flatten)]
    grants: GrantArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    OciDir,
    OciTar,
    DockerTar,
}

#[derive(clap::Args)]
struct InspectArgs {
    /// A WebAssembly module, an executable built by kiln, or an OCI image (layout
    /// directory or tar).
    input: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct CodegenArgs {
    /// Target: x86_64-linux, aarch64-linux, x86_64-macos, aarch64-macos, x86_64-windows,
    /// aarch64-windows, or a full target triple [default: the host].
    #[arg(long)]
    target: Option<String>,
    /// Optimisation level of the generated code.
    #[arg(short = 'O', value_enum, default_value_t = OptArg::Speed)]
    opt_level: OptArg,
    /// CPU features the code may use: `baseline` runs on every CPU of the target
    /// architecture (x86-64-v2, ARMv8.0-A); `native` uses all of this machine's (AVX2,
    /// BMI2, ...), for executables that run where they are compiled [default: baseline
    /// for `compile`, native for `run`].
    #[arg(long, value_enum)]
    cpu: Option<CpuArg>,
    /// How memory accesses are kept inside linear memory: `guard` reserves address space
    /// with guard pages and needs no per-access checks; `explicit` compares every access
    /// against the memory size (for small address spaces). 64-bit memories (memory64)
    /// are always checked explicitly.
    #[arg(long, value_enum, default_value_t = BoundsArg::Guard)]
    bounds_checks: BoundsArg,
    /// With `--bounds-checks explicit`: address space to reserve for each linear memory
    /// the module defines, e.g. `64MiB` (memory.grow fails beyond it) [default: the
    /// memory's declared maximum, else 4GiB; for a 64-bit memory, its maximum up to
    /// 64GiB]. For devices whose address space or overcommit policy refuses large
    /// reservations, or 64-bit memories that need more than 64GiB.
    #[arg(long, value_name = "SIZE")]
    reserve: Option<String>,
    /// Link with this recipe (cc, aarch64-linux-gnu-gcc, rust-lld, zig-cc,
    /// x86_64-w64-mingw32-gcc) instead of trying the target's recipes in order (see
    /// `kiln targets`).
    #[arg(long)]
    linker: Option<String>,
    /// Leave the symbol table out of the executable: smaller, but profilers, debuggers
    /// and crash dumps then show addresses instead of wasm function names.
    #[arg(long)]
    strip: bool,
}

/// What the module is granted: capabilities (nothing else: deny by default) and resource
/// limits (none by default). Both are baked into the executable (`kiln inspect` shows them).
#[derive(clap::Args)]
struct GrantArgs {
    /// Grant a host directory: HOST[::GUEST][:ro]. The module sees HOST as GUEST (default:
    /// HOST as written); a trailing `:ro` makes it read-only. Relative host paths are
    /// resolved against the working directory when the executable starts.
    #[arg(long = "dir", value_name = "HOST[::GUEST][:ro]")]
    dirs: Vec<String>,
    /// Grant one environment variable.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    envs: Vec<String>,
    /// Grant the whole environment of the process that runs the executable.
    #[arg(long)]
    inherit_env: bool,
    /// Most memory the module may hold: its linear memory plus table storage (8 bytes an
    /// element), e.g. `256MiB`. `memory.grow` and `table.grow` beyond it fail (return -1);
    /// a module whose initial memory exceeds it is refused at start [default: no limit].
    #[arg(long, value_name = "SIZE")]
    max_memory: Option<String>,
    /// Stop the program after this wall-clock time, e.g. `500ms`, `30s`, `5m`, `1h`, with
    /// `error: wasm trap: deadline exceeded` and exit status 134. Adds a check to every
    /// loop iteration [default: no limit, no checks].
    #[arg(long, value_name = "DURATION")]
    max_time: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum EmitArg {
    /// A native executable linked with the Kiln runtime.
    Exe,
    /// A native object file (link it with the runtime library yourself).
    Obj,
    /// Cranelift IR of every function as translated from wasm, for debugging.
    Clif,
    /// Cranelift IR of every function after Cranelift's optimisations.
    ClifOpt,
    /// Machine code of every function (Cranelift's disassembly, registers allocated),
    /// annotated with the wasm offsets of its instructions: what a profile points at.
    Asm,
}

#[derive(Clone, Copy, ValueEnum)]
enum OptArg {
    None,
    Speed,
    SpeedAndSize,
}

#[derive(Clone, Copy, ValueEnum)]
enum CpuArg {
    Baseline,
    Native,
}

#[derive(Clone, Copy, ValueEnum)]
enum BoundsArg {
    Guard,
    Explicit,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors (already
            // starting with `error:`) to stderr with status 1, like every other failure.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // A bug in Kiln or Cranelift must still end as a clear error, not a crash dump, and
    // leave no half-written output (panics abort: the hook is the last code that runs).
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let what = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        let place = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal compiler error: {what}{place}");
        kiln::remove_staged_files();
        std::process::exit(1);
    }));
    let result = match cli.command {
        Command::Compile(args) => commands::compile(args),
        Command::Run(args) => commands::run(args),
        Command::Image(args) => commands::image(args),
        Command::Inspect(args) => commands::inspect(args),
        Command::Targets => {
            print!("{}", commands::targets_table());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The compile options the flags ask for; `default_cpu` applies without `--cpu`.
fn options(
    codegen: &CodegenArgs,
    grants: &GrantArgs,
    emit: Emit,
    default_cpu: Cpu,
) -> Result<Options, String> {
    let target = match &codegen.target {
        Some(t) => Target::parse(t)?,
        None => Target::host(),
    };
    Ok(Options {
        target,
        emit,
        opt_level: match codegen.opt_level {
            OptArg::None => OptLevel::None,
            OptArg::Speed => OptLevel::Speed,
            OptArg::SpeedAndSize => OptLevel::SpeedAndSize,
        },
        cpu: match codegen.cpu {
            Some(CpuArg::Baseline) => Cpu::Baseline,
            Some(CpuArg::Native) => Cpu::Native,
            None => default_cpu,
        },
        bounds_checks: match codegen.bounds_checks {
            BoundsArg::Guard => BoundsChecks::Guard,
            BoundsArg::Explicit => BoundsChecks::Explicit,
        },
        grants: grants.parse()?,
        limits: Limits {
            max_memory: match &grants.max_memory {
                Some(size) => Some(parse_size("--max-memory", size, 1 << 48)?),
                None => None,
            },
            max_time_ms: match &grants.max_time {
                Some(time) => Some(parse_duration(time)?),
                None => None,
            },
        },
        memory_reservation: match &codegen.reserve {
            None => None,
            Some(_) if matches!(codegen.bounds_checks, BoundsArg::Guard) => {
                return Err(
                    "--reserve needs --bounds-checks explicit: guard pages need the \
                            full 8 GiB reservation"
                        .into(),
                )
            }
            Some(size) => Some(parse_size("--reserve", size, 1 << 48)?),
        },
        strip: codegen.strip,
        linker: match &codegen.linker {
            Some(name) => Some(Linker::parse(name).map_err(|e| e.0)?),
            None => None,
        },
        ..Options::default()
    })
}

/// `65536`, `512KiB`, `64MiB`, `1GiB` (also `K`/`M`/`G`, `KB`/`MB`/`GB` as binary units),
/// from 1 byte to `max`.
fn parse_size(flag: &str, text: &str, max: u64) -> Result<u64, String> {
    let bad = || format!("{flag} `{text}`: expected a size such as 64MiB or 1GiB");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().map_err(|_| bad())?;
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(bad()),
    };
    number
        .checked_mul(1 << shift)
        .filter(|&n| n > 0 && n <= max)
        .ok_or_else(|| {
            format!(
                "{flag} `{text}`: must be between 1 byte and {}GiB",
                max >> 30
            )
        })
}

/// `500ms`, `30s`, `5m`, `1h` (a bare number is seconds), in milliseconds.
fn parse_duration(text: &str) -> Result<u64, String> {
    let bad = || format!("--max-time `{text}`: expected a duration such as 500ms, 30s, 5m or 1h");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().map_err(|_| bad())?;
    let scale = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    number
        .checked_mul(scale)
        .filter(|&ms| ms > 0)
        .ok_or_else(|| format!("--max-time `{text}`: must be at least 1ms"))
}

impl GrantArgs {
    fn parse(&self) -> Result<Vec<Grant>, String> {
        let mut grants = Vec::new();
        for spec in &self.dirs {
            let (spec, read_only) = match spec.strip_suffix(":ro") {
                Some(rest) => (rest, true),
                None => (spec.as_str(), false),
            };
            let (host, guest) = spec.split_once("::").unwrap_or((spec, spec));
            if host.is_empty() || guest.is_empty() {
                return Err(format!("--dir `{spec}`: expected HOST[::GUEST][:ro]"));
            }
            grants.push(Grant::Dir {
                host: host.to_string(),
                guest: guest.to_string(),
                read_only,
            });
        }
        for spec in &self.envs {
            let (key, value) = spec
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("--env `{spec}`: expected KEY=VALUE"))?;
            grants.push(Grant::Env {
                key: key.to_string(),
                value: value.to_string(),
            });
        }
        if self.inherit_env {
            grants.push(Grant::InheritEnv);
        }
        Ok(grants)
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, parse_size};

    #[test]
    fn sizes() {
        let reserve = |t| parse_size("--reserve", t, 1 << 48);
        assert_eq!(reserve("65536"), Ok(65536));
        assert_eq!(reserve("64MiB"), Ok(64 << 20));
        assert_eq!(reserve("1G"), Ok(1 << 30));
        assert_eq!(reserve("4GiB"), Ok(1 << 32));
        assert_eq!(reserve("5GiB"), Ok(5 << 30));
        assert_eq!(reserve("1TiB"), Ok(1 << 40));
        assert!(reserve("300TiB").is_err());
        assert!(reserve("0").is_err());
        assert!(reserve("12 parsecs").is_err());
        assert_eq!(parse_size("--max-memory", "5GiB", 1 << 48), Ok(5 << 30));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("30s"), Ok(30_000));
        assert_eq!(parse_duration("30"), Ok(30_000));
        assert_eq!(parse_duration("5m"), Ok(300_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000));
        assert!(parse_duration("0ms").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1 h").is_err());
    }
}
