//! What each `kiln` subcommand does, once its arguments are parsed (in `main.rs`).

use super::*;

pub(super) fn compile(args: CompileArgs) -> Result<(), String> {
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

pub(super) fn run(args: RunArgs) -> Result<(), String> {
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

pub(super) fn image(args: ImageArgs) -> Result<(), String> {
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

pub(super) fn inspect(args: InspectArgs) -> Result<(), String> {
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
pub(super) fn targets_table() -> String {
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
