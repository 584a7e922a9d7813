//! Objects for all six targets (format, architecture, descriptor symbol) and
//! executables for the host; a non-host executable either links or fails
//! cleanly.

use std::path::Path;

use kiln_testsuite::{compile, compile_ok, example, host_target, run, wasm_program, Scratch};
use object::{
    Architecture, BinaryFormat, Object, ObjectKind, ObjectSection, ObjectSymbol, SectionKind,
};

const DESCRIPTOR: &str = "kiln_module";

struct Target {
    name: &'static str,
    triple: &'static str,
    format: BinaryFormat,
    arch: Architecture,
}

const TARGETS: &[Target] = &[
    Target {
        name: "x86_64-linux",
        triple: "x86_64-unknown-linux-gnu",
        format: BinaryFormat::Elf,
        arch: Architecture::X86_64,
    },
    Target {
        name: "aarch64-linux",
        triple: "aarch64-unknown-linux-gnu",
        format: BinaryFormat::Elf,
        arch: Architecture::Aarch64,
    },
    Target {
        name: "x86_64-macos",
        triple: "x86_64-apple-darwin",
        format: BinaryFormat::MachO,
        arch: Architecture::X86_64,
    },
    Target {
        name: "aarch64-macos",
        triple: "aarch64-apple-darwin",
        format: BinaryFormat::MachO,
        arch: Architecture::Aarch64,
    },
    Target {
        name: "x86_64-windows",
        triple: "x86_64-pc-windows-gnu",
        format: BinaryFormat::Coff,
        arch: Architecture::X86_64,
    },
    Target {
        name: "aarch64-windows",
        triple: "aarch64-pc-windows-gnullvm",
        format: BinaryFormat::Coff,
        arch: Architecture::Aarch64,
    },
];

/// Parses an object kiln wrote and checks it is a relocatable object of the
/// target's format and architecture, with code and a defined, global
/// descriptor symbol (Mach-O names carry a leading underscore).
fn check_object(path: &Path, target: &Target, what: &str) {
    let data = std::fs::read(path).unwrap();
    let file =
        object::File::parse(&*data).unwrap_or_else(|e| panic!("{what}: not an object file: {e}"));
    assert_eq!(file.format(), target.format, "{what}: object format");
    assert_eq!(file.architecture(), target.arch, "{what}: architecture");
    assert_eq!(file.kind(), ObjectKind::Relocatable, "{what}: object kind");
    // COFF objects record no pointer width; the architecture check covers them.
    assert!(
        file.is_little_endian() && (file.is_64() || target.format == BinaryFormat::Coff),
        "{what}: should be 64-bit little-endian"
    );
    let symbol_name = if target.format == BinaryFormat::MachO {
        format!("_{DESCRIPTOR}")
    } else {
        DESCRIPTOR.to_owned()
    };
    let symbol = file
        .symbols()
        .find(|s| s.name() == Ok(symbol_name.as_str()))
        .unwrap_or_else(|| {
            let names: Vec<_> = file
                .symbols()
                .filter_map(|s| s.name().ok().map(str::to_owned))
                .collect();
            panic!("{what}: no `{symbol_name}` symbol; symbols: {names:?}")
        });
    assert!(
        !symbol.is_undefined(),
        "{what}: `{symbol_name}` is undefined"
    );
    assert!(symbol.is_global(), "{what}: `{symbol_name}` is not global");
    let code: u64 = file
        .sections()
        .filter(|s| s.kind() == SectionKind::Text)
        .map(|s| s.size())
        .sum();
    assert!(code > 0, "{what}: no code in the object");
}

#[test]
fn objects_for_every_target_by_short_name() {
    let scratch = Scratch::new("objects");
    for (input, label) in [
        (example("hello.wat"), "hello.wat"),
        (wasm_program("hello"), "rust-hello"),
    ] {
        for target in TARGETS {
            let name = format!("{label}-{}.o", target.name);
            let object = compile_ok(
                &input,
                &scratch,
                &name,
                &["--emit", "obj", "--target", target.name],
            );
            check_object(&object, target, &format!("{label} for {}", target.name));
        }
    }
}

#[test]
fn objects_for_every_target_by_triple() {
    let scratch = Scratch::new("objects-triples");
    let input = example("hello.wat");
    for target in TARGETS {
        let name = format!("{}.o", target.triple);
        let object = compile_ok(
            &input,
            &scratch,
            &name,
            &["--emit", "obj", "--target", target.triple],
        );
        check_object(&object, target, &format!("hello.wat for {}", target.triple));
    }
}

#[test]
fn objects_with_explicit_bounds_checks_and_every_opt_level() {
    let scratch = Scratch::new("objects-flags");
    let input = wasm_program("hello");
    for target in TARGETS {
        for flags in [
            &["--bounds-checks", "explicit"][..],
            &["-O", "none"],
            &["-O", "speed-and-size"],
        ] {
            let name = format!("{}{}.o", target.name, flags.join(""));
            let mut args = vec!["--emit", "obj", "--target", target.name];
            args.extend(flags);
            let object = compile_ok(&input, &scratch, &name, &args);
            check_object(
                &object,
                target,
                &format!("hello for {} with {flags:?}", target.name),
            );
        }
    }
}

#[test]
fn host_executable_with_explicit_target() {
    let host = host_target().expect("the test host is one of Kiln's targets");
    let scratch = Scratch::new("host-exe");
    for target in [
        host,
        TARGETS.iter().find(|t| t.name == host).unwrap().triple,
    ] {
        let exe = compile_ok(
            &example("hello.wat"),
            &scratch,
            &format!("hello-{target}"),
            &["--target", target],
        );
        run(&exe, &[], b"")
            .assert_success()
            .assert_stdout("Hello from Kiln!\n")
            .assert_stderr("");
    }
}

#[test]
fn non_host_executables_link_or_fail_cleanly() {
    let host = host_target();
    let scratch = Scratch::new("cross-exe");
    for target in TARGETS.iter().filter(|t| Some(t.name) != host) {
        let before = scratch.entries();
        let output = scratch.join(&format!("hello-{}", target.name));
        let out = compile(&example("hello.wat"), &output, &["--target", target.name]);
        if out.status == 0 {
            let len = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
            assert!(
                len > 0,
                "kiln reported success for {} but wrote no executable\n{}",
                target.name,
                out.describe()
            );
            let data = std::fs::read(&output).unwrap();
            let file = object::File::parse(&*data)
                .unwrap_or_else(|e| panic!("{}: unreadable executable: {e}", target.name));
            // Windows objects are COFF; their executables are PE.
            let format = match target.format {
                object::BinaryFormat::Coff => object::BinaryFormat::Pe,
                other => other,
            };
            assert_eq!(file.format(), format, "{}: executable format", target.name);
            assert_eq!(
                file.architecture(),
                target.arch,
                "{}: executable architecture",
                target.name
            );
            assert_eq!(
                file.kind(),
                ObjectKind::Executable,
                "{}: not an executable",
                target.name
            );
        } else {
            out.assert_cli_error();
            assert!(
                !output.exists(),
                "a failed link left {} behind\n{}",
                output.display(),
                out.describe()
            );
            assert_eq!(
                scratch.entries(),
                before,
                "a failed link left files behind\n{}",
                out.describe()
            );
        }
    }
}

#[test]
fn unknown_target_is_an_error() {
    let scratch = Scratch::new("bad-target");
    for target in [
        "sparc-sun-solaris",
        "x86_64-plan9",
        "not-a-target",
        "riscv64gc-unknown-linux-gnu",
    ] {
        let output = scratch.join("out");
        let out = compile(
            &example("hello.wat"),
            &output,
            &["--emit", "obj", "--target", target],
        );
        out.assert_cli_error();
        assert!(
            !output.exists(),
            "an unknown target left an output file\n{}",
            out.describe()
        );
    }
}

/// The same module and options give the same executable bytes for every target, from
/// another working directory and into another directory (the input path differs too):
/// `kiln image` promises reproducible images, and deployers compare hashes. The output
/// file name stays the same, since macOS code signatures name the file.
#[test]
fn executables_are_byte_identical_across_directories() {
    let scratch = Scratch::new("reproducible");
    let kiln = kiln_testsuite::kiln_exe();
    for t in TARGETS {
        let mut builds = Vec::new();
        for (i, cwd) in ["one", "two/deeper"].iter().enumerate() {
            let dir = scratch.join(cwd);
            std::fs::create_dir_all(&dir).unwrap();
            let input = dir.join(format!("input{i}.wat"));
            std::fs::copy(example("hello.wat"), &input).unwrap();
            let out = kiln_testsuite::Cmd::new(&kiln)
                .args(["compile", &format!("input{i}.wat"), "-o", "app.bin"])
                .args(["--target", t.name])
                .current_dir(&dir)
                .output();
            assert_eq!(out.status, 0, "{}", out.describe());
            builds.push(std::fs::read(dir.join("app.bin")).unwrap());
        }
        assert!(builds[0] == builds[1], "{}: two builds differ", t.name);
    }
}
