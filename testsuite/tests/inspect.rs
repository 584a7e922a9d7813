//! `kiln inspect IN.wasm|EXE [--json]`: what a module imports (and so which
//! WASI capabilities it can use), exports and its memory limits; for an
//! executable built by kiln, the grants baked into it. The JSON form is parsed
//! and checked field by field; the module facts are compared with what
//! wasmparser reads from the same file.

use std::path::Path;

use kiln_testsuite::{compile_ok, kiln, wasm_program, Output, Scratch};
use serde_json::Value as Json;

fn inspect(path: &Path, json_flag: bool) -> Output {
    let mut args = vec!["inspect".to_owned(), path.to_string_lossy().into_owned()];
    if json_flag {
        args.push("--json".into());
    }
    let out = kiln(&args);
    out.assert_success();
    out
}

fn inspect_json(path: &Path) -> Json {
    let out = inspect(path, true);
    serde_json::from_str(&out.stdout_text()).unwrap_or_else(|e| {
        panic!(
            "`kiln inspect --json` printed invalid JSON ({e})\n{}",
            out.describe()
        )
    })
}

/// (module, name, kind) of every import, in order.
fn json_imports(v: &Json) -> Vec<(String, String, String)> {
    v["imports"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|i| {
            (
                i["module"].as_str().unwrap().to_owned(),
                i["name"].as_str().unwrap().to_owned(),
                i["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// What wasmparser says about a module: imports, exports, memories.
struct ModuleFacts {
    imports: Vec<(String, String, String)>,
    exports: Vec<(String, String)>,
    memories: Vec<(u64, Option<u64>)>,
}

fn kind_name(kind: wasmparser::ExternalKind) -> &'static str {
    match kind {
        wasmparser::ExternalKind::Func => "func",
        wasmparser::ExternalKind::Table => "table",
        wasmparser::ExternalKind::Memory => "memory",
        wasmparser::ExternalKind::Global => "global",
        wasmparser::ExternalKind::Tag => "tag",
        _ => "other",
    }
}

fn facts(wasm: &[u8]) -> ModuleFacts {
    let mut f = ModuleFacts {
        imports: Vec::new(),
        exports: Vec::new(),
        memories: Vec::new(),
    };
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            wasmparser::Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.unwrap();
                    let kind = match import.ty {
                        wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_) => "func",
                        wasmparser::TypeRef::Table(_) => "table",
                        wasmparser::TypeRef::Memory(m) => {
                            f.memories.push((m.initial, m.maximum));
                            "memory"
                        }
                        wasmparser::TypeRef::Global(_) => "global",
                        wasmparser::TypeRef::Tag(_) => "tag",
                    };
                    f.imports
                        .push((import.module.into(), import.name.into(), kind.into()));
                }
            }
            wasmparser::Payload::MemorySection(reader) => {
                for m in reader {
                    let m = m.unwrap();
                    f.memories.push((m.initial, m.maximum));
                }
            }
            wasmparser::Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.unwrap();
                    f.exports.push((e.name.into(), kind_name(e.kind).into()));
                }
            }
            _ => {}
        }
    }
    f
}

#[test]
fn module_imports_exports_and_memory_match_wasmparser() {
    for program in ["wasi_raw", "wasi_fs", "hello"] {
        let path = wasm_program(program);
        let expected = facts(&std::fs::read(&path).unwrap());
        let v = inspect_json(&path);
        assert_eq!(v["kind"].as_str(), Some("module"), "{program}");
        assert_eq!(json_imports(&v), expected.imports, "{program}: imports");
        let exports: Vec<(String, String)> = v["exports"]
            .as_array()
            .expect("an array")
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_owned(),
                    e["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(exports, expected.exports, "{program}: exports");
        let memories: Vec<(u64, Option<u64>)> = v["memories"]
            .as_array()
            .expect("an array")
            .iter()
            .map(|m| {
                (
                    m["min_pages"].as_f64().unwrap() as u64,
                    m["max_pages"].as_f64().map(|x| x as u64),
                )
            })
            .collect();
        assert_eq!(memories, expected.memories, "{program}: memories");
        assert!(
            v["grants"].as_array().expect("an array").is_empty(),
            "{program}: a module has no grants"
        );

        // The text form names the same imports and exports.
        let text = inspect(&path, false).stdout_text();
        assert!(text.starts_with("module"), "{text}");
        for (module, name, _) in &expected.imports {
            assert!(
                text.contains(&format!("{module}::{name}")),
                "{program}: {module}::{name} missing\n{text}"
            );
        }
        for (name, _) in &expected.exports {
            assert!(
                text.contains(name.as_str()),
                "{program}: export {name} missing\n{text}"
            );
        }
    }
}

#[test]
fn capabilities_follow_the_imports() {
    // wasi_raw imports file functions; hello only writes to stdout.
    let raw = inspect_json(&wasm_program("wasi_raw"));
    let caps: Vec<&str> = raw["capabilities"]
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    assert!(
        caps.iter().any(|c| c.contains("--dir")),
        "wasi_raw can use files: {caps:?}"
    );
    assert!(
        caps.iter().any(|c| c.contains("environment")),
        "wasi_raw reads the environment: {caps:?}"
    );
    let hello = inspect_json(&wasm_program("hello"));
    let caps: Vec<&str> = hello["capabilities"]
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    assert!(
        !caps.iter().any(|c| c.contains("--dir")),
        "hello uses no files: {caps:?}"
    );
}

#[test]
fn wat_module_with_memory_limits() {
    let scratch = Scratch::new("inspect-wat");
    let wat = scratch.write(
        "limits.wat",
        r#"(module $limits
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
             (memory (export "memory") 2 10)
             (global (export "answer") i32 (i32.const 42))
             (func (export "_start") (call $exit (i32.const 0))))"#,
    );
    let v = inspect_json(&wat);
    assert_eq!(v["kind"].as_str(), Some("module"));
    assert_eq!(v["name"].as_str(), Some("limits"));
    assert_eq!(
        json_imports(&v),
        vec![
            (
                "wasi_snapshot_preview1".into(),
                "proc_exit".into(),
                "func".into()
            ),
            (
                "wasi_snapshot_preview1".into(),
                "random_get".into(),
                "func".into()
            ),
        ]
    );
    let memory = &v["memories"].as_array().expect("an array")[0];
    assert_eq!(memory["min_pages"].as_f64(), Some(2.0));
    assert_eq!(memory["max_pages"].as_f64(), Some(10.0));
    let exports: Vec<&str> = v["exports"]
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(exports, ["memory", "answer", "_start"]);
    let text = inspect(&wat, false).stdout_text();
    assert!(text.contains("2 pages minimum, maximum 10"), "{text}");

    // No maximum: JSON null.
    let wat = scratch.write(
        "nomax.wat",
        r#"(module (memory 1) (func (export "_start")))"#,
    );
    let v = inspect_json(&wat);
    assert_eq!(
        v["memories"].as_array().expect("an array")[0]["max_pages"],
        Json::Null
    );
}

#[test]
fn executable_shows_its_grants() {
    let scratch = Scratch::new("inspect-grants");
    let data = scratch.join("data");
    let ro = scratch.join("read only dir");
    std::fs::create_dir(&data).unwrap();
    std::fs::create_dir(&ro).unwrap();
    let env_value = "he said \"hi\"\tand ünïcödé \\ ✓";
    let exe = compile_ok(
        &wasm_program("wasi_raw"),
        &scratch,
        "granted",
        &[
            "--dir",
            &format!("{}::/data", data.display()),
            "--dir",
            &format!("{}::/ro:ro", ro.display()),
            "--env",
            "GREETING=hello",
            "--env",
            &format!("TRICKY={env_value}"),
            "--env",
            "EMPTY=",
        ],
    );
    let v = inspect_json(&exe);
    assert_eq!(v["kind"].as_str(), Some("executable"));
    let grants = v["grants"].as_array().expect("an array");
    let dirs: Vec<(&str, &str, bool)> = grants
        .iter()
        .filter(|g| g["kind"].as_str() == Some("dir"))
        .map(|g| {
            (
                g["host"].as_str().unwrap(),
                g["guest"].as_str().unwrap(),
                g["read_only"].as_bool().unwrap(),
            )
        })
        .collect();
    let data_s = data.to_string_lossy();
    let ro_s = ro.to_string_lossy();
    assert_eq!(dirs, [(&*data_s, "/data", false), (&*ro_s, "/ro", true)]);
    let envs: Vec<(&str, &str)> = grants
        .iter()
        .filter(|g| g["kind"].as_str() == Some("env"))
        .map(|g| (g["key"].as_str().unwrap(), g["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        envs,
        [("GREETING", "hello"), ("TRICKY", env_value), ("EMPTY", "")]
    );
    assert_eq!(grants.len(), 5, "{grants:?}");
    // The executable still reports what its module imports.
    let expected = facts(&std::fs::read(wasm_program("wasi_raw")).unwrap());
    assert_eq!(json_imports(&v), expected.imports);

    let text = inspect(&exe, false).stdout_text();
    assert!(text.starts_with("executable"), "{text}");
    let line_with = |needles: &[&str]| text.lines().any(|l| needles.iter().all(|n| l.contains(n)));
    assert!(line_with(&[&data_s, "/data", "read-write"]), "{text}");
    assert!(line_with(&[&ro_s, "/ro", "read-only"]), "{text}");
    assert!(line_with(&["GREETING=hello"]), "{text}");
    assert!(line_with(&["EMPTY="]), "{text}");
}

#[test]
fn executable_with_inherit_env_and_without_grants() {
    let scratch = Scratch::new("inspect-inherit");
    let inherit = compile_ok(
        &wasm_program("hello"),
        &scratch,
        "inherit",
        &["--inherit-env"],
    );
    let v = inspect_json(&inherit);
    let kinds: Vec<&str> = v["grants"]
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|g| g["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["inherit-env"]);
    let text = inspect(&inherit, false).stdout_text();
    assert!(text.contains("whole environment"), "{text}");

    let bare = compile_ok(&wasm_program("hello"), &scratch, "bare", &[]);
    let v = inspect_json(&bare);
    assert_eq!(v["kind"].as_str(), Some("executable"));
    assert!(v["grants"].as_array().expect("an array").is_empty());
    let text = inspect(&bare, false).stdout_text();
    assert!(text.contains("grants (0)"), "{text}");
}

#[test]
fn inspecting_something_else_is_an_error() {
    let scratch = Scratch::new("inspect-bad");
    let junk = scratch.write("junk.bin", b"\x7fELF but not really");
    let out = kiln(["inspect".as_ref(), junk.as_os_str()]);
    out.assert_cli_error();
    // A native executable not built by kiln.
    let out = kiln(["inspect", "/bin/sh"]);
    out.assert_cli_error();
    let out = kiln(["inspect".as_ref(), scratch.join("missing.wasm").as_os_str()]);
    out.assert_cli_error();
}

/// Index types of memories and the proposals a module uses, from the module and from an
/// executable built from it (its manifest).
#[test]
fn memory_index_types_and_features() {
    let scratch = Scratch::new("inspect-features");
    let wat = scratch.write(
        "features.wat",
        r#"(module
             (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
             (memory 1)
             (memory $big i64 1 2)
             (func $f (result i32) (return_call $g))
             (func $g (result i32) (i32.load8_u $big (i64.const 0)))
             (func (export "_start") (drop (call $f))))"#,
    );
    let exe = compile_ok(&wat, &scratch, "features", &[]);
    for path in [&wat, &exe] {
        let v = inspect_json(path);
        let memories = v["memories"].as_array().expect("an array");
        let types: Vec<&str> = memories
            .iter()
            .map(|m| m["index_type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["i32", "i64"], "{}", path.display());
        let features: Vec<&str> = v["features"]
            .as_array()
            .expect("an array")
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(
            features,
            ["tail calls", "multiple memories", "memory64"],
            "{}",
            path.display()
        );
        let text = inspect(path, false).stdout_text();
        assert!(
            text.contains("1 pages minimum, maximum 2, 64-bit addresses")
                && text.contains("features: tail calls, multiple memories, memory64"),
            "{text}"
        );
    }
    let plain = scratch.write("plain.wat", r#"(module (func (export "_start")))"#);
    let text = inspect(&plain, false).stdout_text();
    assert!(
        text.contains("features: none past WebAssembly 1.0"),
        "{text}"
    );
}
