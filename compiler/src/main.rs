//! The `kiln` command line.

use clap::{Parser, Subcommand, ValueEnum};
use kiln::{BoundsChecks, Cpu, Emit, Grant, Limits, Linker, OptLevel, Options, Target};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Link with this recipe (cc, aarch64-linux-gnu-gcc, rust-lld, zig-cc) instead of trying the
    /// target's recipes in order (see `kiln targets`).
    #[arg(long)]
    linker: Option<String>,
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
        Command::Compile(args) => compile(args),
        Command::Run(args) => run(args),
        Command::Image(args) => image(args),
        Command::Inspect(args) => inspect(args),
        Command::Targets => {
            print!("{}", targets_table());
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

fn compile(args: CompileArgs) -> Result<(), String> {
    let emit = match args.emit {
        EmitArg::Exe => Emit::Exe,
        EmitArg::Obj => Emit::Obj,
        EmitArg::Clif => Emit::Clif,
        EmitArg::ClifOpt => Emit::ClifOptimized,
        EmitArg::Asm => Emit::Asm,
    };
    let options = options(&args.codegen, &args.grants, emit, Cpu::Baseline)?;
    let output = args.output.clone().unwrap_or_else(|| {
        let suffix = match emit {
            Emit::Exe => options.target.exe_suffix(),
            Emit::Obj => ".o",
            Emit::Clif | Emit::ClifOptimized => ".clif",
            Emit::Asm => ".s",
        };
        let stem = args.input.file_stem().unwrap_or_default().to_string_lossy();
        PathBuf::from(format!("{stem}{suffix}"))
    });
    if output == args.input {
        return Err(format!(
            "the output `{}` would overwrite the input",
            output.display()
        ));
    }
    kiln::build(&args.input, &output, &options).map_err(|e| e.to_string())
}

fn run(args: RunArgs) -> Result<(), String> {
    // `kiln run` compiles for the very machine that runs the result.
    let options = options(&args.codegen, &args.grants, Emit::Exe, Cpu::Native)?;
    if !options.target.is_host() {
        return Err("`kiln run` runs on this machine: --target must be the host".into());
    }
    let wasm = kiln::read_input(&args.input).map_err(|e| e.to_string())?;
    let exe = kiln::cached_executable(&wasm, &options).map_err(|e| e.to_string())?;
    let mut command = std::process::Command::new(&exe);
    command.args(&args.args);
    exec(command, &args.input)
}

/// Replaces this process with the compiled program, so its exit status (and any signal)
/// is exactly the program's.
#[cfg(unix)]
fn exec(mut command: std::process::Command, arg0: &std::path::Path) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let err = command.arg0(arg0).exec();
    Err(format!("cannot run the compiled module: {err}"))
}

#[cfg(not(unix))]
fn exec(mut command: std::process::Command, _arg0: &std::path::Path) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run the compiled module: {e}"))?;
    std::process::exit(status.code().unwrap_or(1));
}

fn image(args: ImageArgs) -> Result<(), String> {
    use kiln::image::{build_image, Arch, ImageFormat, ImageRequest, Reference};
    if args.codegen.target.is_some() {
        return Err("`kiln image` compiles for the platforms of --platform, not --target".into());
    }
    if matches!(args.codegen.cpu, Some(CpuArg::Native)) {
        return Err(
            "`kiln image` compiles for the baseline CPU: an image must run on every node of              its architecture (--cpu native is for `kiln compile` and `kiln run`)"
                .into(),
        );
    }
    let mut platforms = Vec::new();
    for platform in &args.platform {
        let arch = Arch::parse_platform(platform.trim())?;
        if !platforms.contains(&arch) {
            platforms.push(arch);
        }
    }
    let stem = args
        .input
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    let reference = match &args.tag {
        Some(tag) => Reference::parse(tag)?,
        None => {
            let name: String = stem
                .to_ascii_lowercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            Reference::parse(name.trim_matches('-')).map_err(|e| {
                format!("{e}; the input's name does not make an image name: give --tag")
            })?
        }
    };
    let format = match args.format {
        FormatArg::OciDir => ImageFormat::OciDir,
        FormatArg::OciTar => ImageFormat::OciTar,
        FormatArg::DockerTar => ImageFormat::DockerTar,
    };
    let epoch = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) => text.trim().parse().map_err(|_| {
            format!("SOURCE_DATE_EPOCH `{text}`: expected seconds since 1970 (an integer)")
        })?,
        Err(_) => 0,
    };
    let output = args.output.clone().unwrap_or_else(|| match format {
        ImageFormat::OciDir => PathBuf::from(format!("{stem}-image")),
        _ => PathBuf::from(format!("{stem}.tar")),
    });
    if output == args.input {
        return Err(format!(
            "the output `{}` would overwrite the input",
            output.display()
        ));
    }
    let options = options(&args.codegen, &args.grants, Emit::Exe, Cpu::Baseline)?;
    let wasm = kiln::read_input(&args.input).map_err(|e| e.to_string())?;
    let request = ImageRequest {
        platforms,
        reference,
        format,
        epoch,
    };
    let image = build_image(&wasm, &options, &request, &output).map_err(|e| e.to_string())?;
    let platforms: Vec<String> = image
        .platforms
        .iter()
        .map(|p| format!("linux/{}", p.arch.oci_name()))
        .collect();
    println!(
        "wrote {} ({}): {}:{} for {}",
        output.display(),
        match args.format {
            FormatArg::OciDir => "oci-dir",
            FormatArg::OciTar => "oci-tar",
            FormatArg::DockerTar => "docker-tar",
        },
        image.reference.name,
        image.reference.tag,
        platforms.join(", ")
    );
    println!("digest: {}", image.digest());
    Ok(())
}

fn inspect(args: InspectArgs) -> Result<(), String> {
    if kiln::image::is_image(&args.input) {
        let report =
            kiln::image::inspect_image(&args.input, args.json).map_err(|e| e.to_string())?;
        print!("{report}");
        return Ok(());
    }
    let bytes = kiln::read_input(&args.input).map_err(|e| e.to_string())?;
    let inspection = kiln::inspect(&bytes).map_err(|e| e.to_string())?;
    let text = if args.json {
        inspection.to_json()
    } else {
        inspection.to_text()
    };
    print!("{text}");
    Ok(())
}

/// `kiln targets`: per target, the first working link recipe and the runtime library,
/// or what is missing and how to get it.
fn targets_table() -> String {
    let mut out = String::new();
    let host = Target::host();
    let mut rows: Vec<(String, Target)> = vec![(format!("host ({})", host.triple), host)];
    for info in kiln_targets::TARGETS {
        rows.push((
            info.name.to_string(),
            Target::parse(info.name).expect("known target"),
        ));
    }
    for (name, target) in rows {
        let linkers = kiln_targets::linkers_for(&target);
        let linker = if linkers.is_empty() {
            "objects only: linking not supported yet".to_string()
        } else {
            let tried: Vec<String> = linkers
                .iter()
                .map(|l| match kiln_targets::linker_available(*l, &target) {
                    Ok(()) => format!("{} (found)", l.name()),
                    Err(why) => format!("{} (missing: {why})", l.name()),
                })
                .collect();
            tried.join("; ")
        };
        let runtime = match kiln_targets::runtime_library(&target) {
            Ok(path) => path.display().to_string(),
            Err(_) if linkers.is_empty() => "not available yet (no runtime port)".to_string(),
            Err(_) => format!(
                "missing: `cargo xtask runtime --target {}`",
                target.rust_triple()
            ),
        };
        out.push_str(&format!(
            "{name}\n  triple:  {}\n  linker:  {linker}\n  runtime: {runtime}\n",
            target.triple
        ));
    }
    out
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
