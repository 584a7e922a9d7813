//! The `kiln` command line.

use clap::{Parser, Subcommand, ValueEnum};
use kiln::{BoundsChecks, Emit, OptLevel, Options, Target};
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
                  environment variables unless granted.\n\n\
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
}

#[derive(clap::Args)]
struct CompileArgs {
    /// The module to compile: a WebAssembly binary or WebAssembly text file.
    input: PathBuf,
    /// Where to write the result [default: the input's name without extension, plus
    /// `.o`/`.clif`/`.exe` as the output kind and target need].
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Target: x86_64-linux, aarch64-linux, x86_64-macos, aarch64-macos, x86_64-windows,
    /// aarch64-windows, or a full target triple [default: the host].
    #[arg(long)]
    target: Option<String>,
    /// What to produce.
    #[arg(long, value_enum, default_value_t = EmitArg::Exe)]
    emit: EmitArg,
    /// Optimisation level of the generated code.
    #[arg(short = 'O', value_enum, default_value_t = OptArg::Speed)]
    opt_level: OptArg,
    /// How memory accesses are kept inside linear memory: `guard` reserves address space
    /// with guard pages and needs no per-access checks; `explicit` compares every access
    /// against the memory size (for small address spaces).
    #[arg(long, value_enum, default_value_t = BoundsArg::Guard)]
    bounds_checks: BoundsArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum EmitArg {
    /// A native executable linked with the Kiln runtime.
    Exe,
    /// A native object file (link it with the runtime library yourself).
    Obj,
    /// Cranelift IR of every function, for debugging.
    Clif,
}

#[derive(Clone, Copy, ValueEnum)]
enum OptArg {
    None,
    Speed,
    SpeedAndSize,
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
    // A bug in Kiln or Cranelift must still end as a clear error, not a crash dump.
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Compile(args) => compile(args),
    })
    .unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        Err(format!("internal compiler error: {what}"))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn compile(args: CompileArgs) -> Result<(), String> {
    let target = match &args.target {
        Some(t) => Target::parse(t)?,
        None => Target::host(),
    };
    let emit = match args.emit {
        EmitArg::Exe => Emit::Exe,
        EmitArg::Obj => Emit::Obj,
        EmitArg::Clif => Emit::Clif,
    };
    let output = args.output.clone().unwrap_or_else(|| {
        let suffix = match emit {
            Emit::Exe => target.exe_suffix(),
            Emit::Obj => ".o",
            Emit::Clif => ".clif",
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
    let options = Options {
        target,
        emit,
        opt_level: match args.opt_level {
            OptArg::None => OptLevel::None,
            OptArg::Speed => OptLevel::Speed,
            OptArg::SpeedAndSize => OptLevel::SpeedAndSize,
        },
        bounds_checks: match args.bounds_checks {
            BoundsArg::Guard => BoundsChecks::Guard,
            BoundsArg::Explicit => BoundsChecks::Explicit,
        },
        ..Options::default()
    };
    kiln::build(&args.input, &output, &options).map_err(|e| e.to_string())
}
