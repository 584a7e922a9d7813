//! Executables for macOS (x86_64 and arm64), linked on this machine with `zig cc` and
//! checked structurally with the `object` crate: nothing here can run a Mach-O.
//!
//! For each target and input (WAT fixtures, Rust programs built for wasm32-wasip1) the
//! executable must be a 64-bit Mach-O `MH_EXECUTE` of the target's CPU type, start through
//! `LC_MAIN` at `_main`, hold the module descriptor `_kiln_module`, the manifest
//! `_kiln_manifest` and the runtime's trap-recovery routines, load nothing but
//! `/usr/lib/libSystem.B.dylib` (or system frameworks) through `/usr/lib/dyld`, and leave
//! no symbol undefined except ones bound, by their two-level library ordinal, to those
//! libraries. arm64 executables must carry a code signature (macOS runs no unsigned arm64
//! code), and neither may ask for a macOS newer than 11.0.
//!
//! `zig cc` is required: without it these tests fail and say how to install it.

use kiln_targets::{linker_available, Linker, Target};
use kiln_testsuite::{compile, compile_ok, example, kiln, wasm_program, wat_fixture, Scratch};
use object::macho;
use object::read::macho::{LoadCommandVariant, MachHeader, MachOFile64, Nlist, Segment};
use object::{Architecture, Endianness, Object, ObjectKind, ObjectSymbol};
use std::collections::BTreeMap;
use std::path::Path;

struct MacTarget {
    name: &'static str,
    cputype: u32,
    arch: Architecture,
}

const TARGETS: [MacTarget; 2] = [
    MacTarget {
        name: "x86_64-macos",
        cputype: macho::CPU_TYPE_X86_64,
        arch: Architecture::X86_64,
    },
    MacTarget {
        name: "aarch64-macos",
        cputype: macho::CPU_TYPE_ARM64,
        arch: Architecture::Aarch64,
    },
];

/// The newest macOS an executable may require: 11.0 (`xxxx.yy.zz` in nibbles).
const NEWEST_MINIMUM_OS: u32 = 11 << 16;

/// Fails the test (never skips it) when `zig cc` cannot link for `target`; the message
/// names the pip command that installs the tested zig version.
fn require_zig(target: &MacTarget) {
    let parsed = Target::parse(target.name).expect("a known target");
    if let Err(why) = linker_available(Linker::ZigCc, &parsed) {
        panic!(
            "cannot link {} executables: zig cc is missing: {why} (CI installs it in .ci/run; \
             these tests never pass without it)",
            target.name
        );
    }
}

/// What the checks found, for the assertions of individual tests.
struct Executable {
    /// Every defined symbol: name → (section `segment,section`, address).
    defined: BTreeMap<String, (String, u64)>,
    /// The dylibs it loads, in ordinal order.
    dylibs: Vec<String>,
}

fn allowed_dylib(name: &str) -> bool {
    name == "/usr/lib/libSystem.B.dylib" || name.starts_with("/System/Library/Frameworks/")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Checks `path` as described in the module comment and returns what it found.
fn check_executable(path: &Path, target: &MacTarget, what: &str) -> Executable {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{what}: cannot read: {e}"));
    let generic =
        object::File::parse(&*data).unwrap_or_else(|e| panic!("{what}: not an object file: {e}"));
    assert_eq!(
        generic.format(),
        object::BinaryFormat::MachO,
        "{what}: format"
    );
    assert_eq!(generic.architecture(), target.arch, "{what}: architecture");
    assert_eq!(generic.kind(), ObjectKind::Executable, "{what}: kind");

    let file = MachOFile64::<Endianness, _>::parse(&*data)
        .unwrap_or_else(|e| panic!("{what}: not a 64-bit Mach-O: {e}"));
    let endian = file.endian();
    let header = file.macho_header();
    assert_eq!(
        header.filetype(endian),
        macho::MH_EXECUTE,
        "{what}: filetype"
    );
    assert_eq!(header.cputype(endian), target.cputype, "{what}: CPU type");
    let flags = header.flags(endian);
    for (flag, name) in [
        (macho::MH_PIE, "MH_PIE"),
        (macho::MH_TWOLEVEL, "MH_TWOLEVEL"),
        (macho::MH_DYLDLINK, "MH_DYLDLINK"),
    ] {
        assert!(flags & flag != 0, "{what}: header flag {name} missing");
    }

    let mut dylibs = Vec::new();
    let mut dylinker = None;
    let mut entries = Vec::new();
    let mut text_segment = None;
    let mut minimum_os = None;
    let mut code_signature = false;
    let mut commands = file.macho_load_commands().expect("load commands");
    while let Some(command) = commands.next().expect("a load command") {
        match command.variant().expect("a known load command") {
            LoadCommandVariant::Dylib(dylib) => {
                let name = command
                    .string(endian, dylib.dylib.name)
                    .expect("dylib name");
                dylibs.push(text(name));
            }
            LoadCommandVariant::LoadDylinker(d) => {
                dylinker = Some(text(command.string(endian, d.name).expect("dylinker")));
            }
            LoadCommandVariant::EntryPoint(main) => entries.push(main.entryoff.get(endian)),
            LoadCommandVariant::Thread(..) => panic!("{what}: LC_UNIXTHREAD instead of LC_MAIN"),
            LoadCommandVariant::Segment64(segment, _) if segment.name() == b"__TEXT" => {
                text_segment = Some(segment.vmaddr(endian));
            }
            LoadCommandVariant::BuildVersion(v) => {
                assert_eq!(
                    v.platform.get(endian),
                    macho::PLATFORM_MACOS,
                    "{what}: platform"
                );
                minimum_os = Some(v.minos.get(endian));
            }
            LoadCommandVariant::VersionMin(v) => {
                assert_eq!(
                    command.cmd(),
                    macho::LC_VERSION_MIN_MACOSX,
                    "{what}: platform"
                );
                minimum_os = Some(v.version.get(endian));
            }
            LoadCommandVariant::LinkeditData(_) if command.cmd() == macho::LC_CODE_SIGNATURE => {
                code_signature = true;
            }
            _ => {}
        }
    }
    assert_eq!(
        dylinker.as_deref(),
        Some("/usr/lib/dyld"),
        "{what}: dynamic linker"
    );
    assert!(
        dylibs.iter().any(|d| d == "/usr/lib/libSystem.B.dylib"),
        "{what}: does not load libSystem: {dylibs:?}"
    );
    for dylib in &dylibs {
        assert!(
            allowed_dylib(dylib),
            "{what}: loads {dylib}; only libSystem and system frameworks exist on every Mac"
        );
    }
    let minimum_os = minimum_os.unwrap_or_else(|| panic!("{what}: no minimum macOS version"));
    assert!(
        minimum_os <= NEWEST_MINIMUM_OS,
        "{what}: requires macOS {}.{}, newer than 11.0",
        minimum_os >> 16,
        (minimum_os >> 8) & 0xff
    );
    if target.cputype == macho::CPU_TYPE_ARM64 {
        assert!(
            code_signature,
            "{what}: arm64 executable without LC_CODE_SIGNATURE"
        );
    }

    // Symbols: definitions by name; every undefined one bound to an allowed dylib.
    let symbols = file.macho_symbol_table();
    let strings = symbols.strings();
    let sections: Vec<String> = generic
        .sections()
        .map(|s| {
            use object::ObjectSection;
            format!(
                "{},{}",
                s.segment_name().ok().flatten().unwrap_or(""),
                s.name().unwrap_or("")
            )
        })
        .collect();
    let mut defined = BTreeMap::new();
    let mut unbound = Vec::new();
    let mut undefined = 0;
    for nlist in symbols.iter() {
        if nlist.is_stab() {
            continue;
        }
        let name = text(nlist.name(endian, strings).expect("symbol name"));
        if nlist.is_undefined() {
            if nlist.n_type() & macho::N_EXT == 0 {
                continue;
            }
            undefined += 1;
            let ordinal = nlist.library_ordinal(endian) as usize;
            match ordinal.checked_sub(1).and_then(|i| dylibs.get(i)) {
                Some(dylib) if allowed_dylib(dylib) => {}
                Some(dylib) => unbound.push(format!("{name} (from {dylib})")),
                None => unbound.push(format!("{name} (library ordinal {ordinal})")),
            }
        } else if nlist.is_definition() {
            let section = sections
                .get((nlist.n_sect() as usize).wrapping_sub(1))
                .cloned()
                .unwrap_or_default();
            defined.insert(name, (section, nlist.n_value(endian)));
        }
    }
    assert!(
        unbound.is_empty(),
        "{what}: undefined symbols not bound to libSystem: {unbound:?}"
    );
    assert!(undefined > 0, "{what}: imports nothing from libSystem?");
    // The same through `object`'s import list.
    for import in generic.imports().expect("imports") {
        let library = text(import.library());
        assert!(
            allowed_dylib(&library),
            "{what}: `{}` imported from `{library}`",
            text(import.name())
        );
    }

    let section_of = |symbol: &str| -> (String, u64) {
        defined.get(symbol).cloned().unwrap_or_else(|| {
            panic!(
                "{what}: `{symbol}` is not defined ({} symbols defined)",
                defined.len()
            )
        })
    };
    let (main_section, main_address) = section_of("_main");
    assert_eq!(main_section, "__TEXT,__text", "{what}: `_main` is not code");
    for code in [
        "_kiln_run_main",
        "_kiln_rt_protected_call",
        "_kiln_rt_trap_landing",
    ] {
        assert_eq!(
            section_of(code).0,
            "__TEXT,__text",
            "{what}: `{code}` is not code"
        );
    }
    for data in ["_kiln_module", "_kiln_manifest"] {
        let (section, _) = section_of(data);
        assert!(
            !section.starts_with("__TEXT,__text"),
            "{what}: `{data}` is in {section}"
        );
    }

    // LC_MAIN's entry offset is relative to the __TEXT segment and names `_main`.
    assert_eq!(entries.len(), 1, "{what}: LC_MAIN commands: {entries:?}");
    let text_base = text_segment.unwrap_or_else(|| panic!("{what}: no __TEXT segment"));
    assert_eq!(
        text_base + entries[0],
        main_address,
        "{what}: the entry point is not `_main`"
    );

    Executable { defined, dylibs }
}

fn compile_and_check(input: &Path, label: &str, flags: &[&str]) {
    let scratch = Scratch::new(&format!("macos-{label}"));
    for target in &TARGETS {
        require_zig(target);
        let name = format!("{label}-{}", target.name);
        let mut args = vec!["--target", target.name];
        args.extend(flags);
        let exe = compile_ok(input, &scratch, &name, &args);
        let what = format!("{label} for {} with {flags:?}", target.name);
        let found = check_executable(&exe, target, &what);
        assert_eq!(
            found.dylibs,
            ["/usr/lib/libSystem.B.dylib"],
            "{what}: dylibs"
        );
        // Nothing but the executable is left behind.
        assert_eq!(
            scratch
                .entries()
                .iter()
                .filter(|e| e.starts_with('.'))
                .count(),
            0
        );
    }
}

#[test]
fn wat_example_links_for_macos() {
    compile_and_check(&example("hello.wat"), "hello-wat", &[]);
}

#[test]
fn wat_trap_fixture_links_for_macos_in_both_bounds_check_modes() {
    let fixture = wat_fixture("traps/oob_load.wat");
    compile_and_check(&fixture, "oob-load", &[]);
    compile_and_check(
        &fixture,
        "oob-load-explicit",
        &["--bounds-checks", "explicit"],
    );
}

#[test]
fn rust_programs_link_for_macos() {
    for program in ["hello", "wasi_fs"] {
        compile_and_check(&wasm_program(program), program, &[]);
    }
}

#[test]
fn rust_program_links_for_macos_by_triple_and_forced_linker() {
    let scratch = Scratch::new("macos-triples");
    for (target, triple) in TARGETS
        .iter()
        .zip(["x86_64-apple-darwin", "aarch64-apple-darwin"])
    {
        require_zig(target);
        let exe = compile_ok(
            &wasm_program("hello"),
            &scratch,
            triple,
            &[
                "--target",
                triple,
                "--linker",
                "zig-cc",
                "-O",
                "speed-and-size",
            ],
        );
        let found = check_executable(&exe, target, &format!("hello for {triple}"));
        assert!(found.defined.contains_key("_kiln_module"));
    }
}

#[test]
fn zig_cc_refuses_other_targets_cleanly() {
    let scratch = Scratch::new("zig-cc-linux");
    let output = scratch.join("hello");
    let out = compile(
        &example("hello.wat"),
        &output,
        &["--target", "x86_64-linux", "--linker", "zig-cc"],
    );
    out.assert_cli_error();
    assert!(
        out.stderr_text()
            .contains("zig-cc links only macOS and aarch64-windows executables"),
        "{}",
        out.describe()
    );
    assert!(scratch.entries().is_empty(), "{}", out.describe());
}

#[test]
fn kiln_targets_reports_zig_cc_and_the_macos_runtimes() {
    let out = kiln(["targets"]);
    out.assert_success();
    let listing = out.stdout_text();
    for (target, triple) in TARGETS
        .iter()
        .zip(["x86_64-apple-darwin", "aarch64-apple-darwin"])
    {
        require_zig(target);
        let block: Vec<&str> = listing
            .lines()
            .skip_while(|l| *l != target.name)
            .take(4)
            .collect();
        assert_eq!(block.len(), 4, "no {} entry\n{listing}", target.name);
        assert_eq!(block[1], format!("  triple:  {triple}"), "{listing}");
        assert_eq!(block[2], "  linker:  zig-cc (found)", "{listing}");
        let runtime = block[3].strip_prefix("  runtime: ").unwrap_or("");
        assert!(
            runtime.ends_with("libkiln_runtime.a")
                && runtime.contains(triple)
                && Path::new(runtime).is_file(),
            "{}: no runtime library found\n{listing}",
            target.name
        );
    }
}

#[test]
fn strip_leaves_the_wasm_function_names_out() {
    let scratch = Scratch::new("macos-strip");
    let wasm = wasm_program("collections");
    for target in &TARGETS {
        require_zig(target);
        for strip in [false, true] {
            let name = format!("collections-{}-{strip}", target.name);
            let mut args = vec!["--target", target.name];
            if strip {
                args.push("--strip");
            }
            let exe = compile_ok(&wasm, &scratch, &name, &args);
            if !strip {
                let found = check_executable(&exe, target, &name);
                let named = found.defined.keys().filter(|n| n.contains("wasm[")).count();
                assert!(named > 100, "{name}: only {named} wasm symbols");
                continue;
            }
            // The full check looks runtime symbols up, which stripping removes: here, an
            // executable of the right kind, signed on arm64, without wasm names.
            let data = std::fs::read(&exe).unwrap();
            let file = MachOFile64::<Endianness, _>::parse(&*data).expect("a 64-bit Mach-O");
            assert_eq!(file.kind(), ObjectKind::Executable, "{name}: kind");
            assert_eq!(file.architecture(), target.arch, "{name}: architecture");
            if target.cputype == macho::CPU_TYPE_ARM64 {
                let mut commands = file.macho_load_commands().expect("load commands");
                let mut signed = false;
                while let Some(command) = commands.next().expect("a load command") {
                    signed |= command.cmd() == macho::LC_CODE_SIGNATURE;
                }
                assert!(signed, "{name}: arm64 executable without LC_CODE_SIGNATURE");
            }
            let named = file
                .symbols()
                .filter(|s| s.name().is_ok_and(|n| n.contains("wasm[")))
                .count();
            assert_eq!(named, 0, "{name}: --strip left {named} wasm symbols");
        }
    }
}
