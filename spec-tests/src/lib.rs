//! Runs `.wast` spec tests through Kiln: every module of a file is compiled by the same
//! compiler users run, linked with the same runtime (plus its spec harness entry) into
//! one executable per file, and the file's commands drive that executable.

pub mod harness;
mod legacy_text;
mod values;

use harness::{Harness, Response};
use kiln::{Emit, Options};
use kiln_abi::hex;
use kiln_abi::TrapKind;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use values::{encode_arg, Expected};
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, Wat};

/// How to compile and run the files.
#[derive(Clone, Debug)]
pub struct Config {
    /// How modules are compiled (target, bounds checks, optimisation); the runner sets
    /// the output kind, descriptor symbols and entry itself.
    pub options: Options,
    /// Scratch directory for objects and executables (one subdirectory per file).
    pub work_dir: PathBuf,
    pub runtime_lib: PathBuf,
    /// Command prefix to run the executable with (an emulator), empty for native.
    pub runner: Vec<String>,
    /// A harness process is killed when one request takes longer than this.
    pub timeout: Duration,
}

/// The outcome of one `.wast` file.
#[derive(Debug, Default)]
pub struct FileReport {
    pub name: String,
    /// Assertions (`assert_*` commands) in the file.
    pub assertions: usize,
    pub passed: usize,
    /// Failed assertions plus failed actions (modules, registrations, invocations).
    pub failed: usize,
    pub failures: Vec<String>,
    /// Why the file was not run: a proposal it needs that Kiln does not compile yet.
    /// Nothing of a skipped file counts as passed or failed.
    pub skipped: Option<&'static str>,
    pub elapsed: Duration,
}

/// The trap a spec-test message stands for.
pub fn trap_kind_for(message: &str) -> Option<TrapKind> {
    const KINDS: [(&str, TrapKind); 14] = [
        ("unreachable", TrapKind::Unreachable),
        ("integer divide by zero", TrapKind::IntegerDivisionByZero),
        ("integer overflow", TrapKind::IntegerOverflow),
        (
            "invalid conversion to integer",
            TrapKind::InvalidConversionToInteger,
        ),
        ("out of bounds memory access", TrapKind::MemoryOutOfBounds),
        ("out of bounds table access", TrapKind::TableOutOfBounds),
        ("undefined element", TrapKind::TableOutOfBounds),
        ("uninitialized element", TrapKind::IndirectCallToNull),
        (
            "indirect call type mismatch",
            TrapKind::IndirectCallTypeMismatch,
        ),
        ("call stack exhausted", TrapKind::StackOverflow),
        ("null function reference", TrapKind::NullReference),
        ("null reference", TrapKind::NullReference),
        ("unaligned atomic", TrapKind::UnalignedAtomic),
        (
            "expected shared memory",
            TrapKind::AtomicWaitNonSharedMemory,
        ),
    ];
    KINDS
        .iter()
        .find(|(text, _)| message.starts_with(text))
        .map(|(_, kind)| *kind)
}

/// A parse buffer for a spec file: the `names.wast` tests deliberately use confusable
/// Unicode characters in names, which the parser rejects by default.
fn parse_buffer(text: &str) -> Result<ParseBuffer<'_>, wast::Error> {
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    ParseBuffer::new_with_lexer(lexer)
}

fn is_assertion(d: &WastDirective<'_>) -> bool {
    matches!(
        d,
        WastDirective::AssertMalformed { .. }
            | WastDirective::AssertInvalid { .. }
            | WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. }
            | WastDirective::AssertTrap { .. }
            | WastDirective::AssertReturn { .. }
            | WastDirective::AssertExhaustion { .. }
            | WastDirective::AssertUnlinkable { .. }
            | WastDirective::AssertException { .. }
            | WastDirective::AssertSuspension { .. }
    )
}

enum Action {
    Invoke {
        instance: Option<String>,
        name: String,
        args: Result<Vec<String>, String>,
    },
    Get {
        instance: Option<String>,
        name: String,
    },
}

/// One command of a file, planned before anything runs (modules are compiled while
/// planning, so the executable can be linked first).
enum Step {
    Module {
        module: Result<usize, String>,
        id: Option<String>,
    },
    Definition {
        module: Result<usize, String>,
        id: Option<String>,
    },
    Instance {
        instance: Option<String>,
        definition: Option<String>,
    },
    Register {
        name: String,
        instance: Option<String>,
    },
    Act(Action),
    AssertReturn(Action, Result<Vec<Expected>, String>),
    AssertTrap(Action, Option<TrapKind>),
    AssertExhaustion(Action),
    AssertModuleTraps(Result<usize, String>, Option<TrapKind>),
    AssertUnlinkable(Result<usize, String>),
    /// Decided while planning (assert_invalid / assert_malformed).
    Decided(Result<(), String>),
    Unsupported(String),
}

struct Planner<'c> {
    config: &'c Config,
    dir: PathBuf,
    objects: Vec<PathBuf>,
    symbols: Vec<String>,
    /// Set when a module of the file needs an unsupported proposal: the file is skipped.
    missing_feature: Option<&'static str>,
}

impl Planner<'_> {
    fn options(&self, emit: Emit, symbol: String) -> Options {
        Options {
            emit,
            descriptor_symbol: symbol,
            entry: false,
            ..self.config.options.clone()
        }
    }

    /// Compiles a module to an object; returns its index among the linked modules.
    fn compile(&mut self, wat: &mut QuoteWat<'_>) -> Result<usize, String> {
        let bytes = wat
            .encode()
            .map_err(|e| format!("cannot encode module: {e}"))?;
        if let Some(feature) = kiln::missing_feature(&bytes) {
            self.missing_feature.get_or_insert(feature);
            return Err(format!("needs {feature}"));
        }
        let index = self.objects.len();
        let symbol = format!("kiln_spec_module_{index}");
        let compiled = kiln::compile(&bytes, &self.options(Emit::Obj, symbol.clone()))
            .map_err(|e| format!("kiln rejected a valid module: {e}"))?;
        let path = self.dir.join(format!("module{index}.o"));
        std::fs::write(&path, compiled.object).map_err(|e| e.to_string())?;
        self.objects.push(path);
        self.symbols.push(symbol);
        Ok(index)
    }

    /// For assert_invalid / assert_malformed: Kiln must reject the module.
    fn must_reject(&self, wat: &mut QuoteWat<'_>, what: &str, message: &str) -> Result<(), String> {
        let Ok(bytes) = wat.encode() else {
            return Ok(()); // text that does not even parse is malformed
        };
        let options = self.options(Emit::Obj, "kiln_spec_rejected".into());
        match kiln::compile(&bytes, &options) {
            Err(_) => Ok(()),
            Ok(_) => Err(format!("{what} module was accepted (expected: {message})")),
        }
    }

    /// For assert_malformed_custom / assert_invalid_custom: a bad custom section or
    /// annotation is the custom format's error, never the module's. Text the wast crate
    /// rejects is malformed as asserted; a module it encodes Kiln must compile.
    fn must_accept_custom(&self, wat: &mut QuoteWat<'_>) -> Result<(), String> {
        let Ok(bytes) = wat.encode() else {
            return Ok(());
        };
        let options = self.options(Emit::Obj, "kiln_spec_custom".into());
        kiln::compile(&bytes, &options)
            .map(|_| ())
            .map_err(|e| format!("a module whose custom section is bad was rejected: {e}"))
    }

    fn plan(&mut self, directive: WastDirective<'_>) -> Step {
        match directive {
            WastDirective::Module(mut wat) => {
                let id = module_id(&wat);
                Step::Module {
                    module: self.compile(&mut wat),
                    id,
                }
            }
            WastDirective::ModuleDefinition(mut wat) => {
                let id = module_id(&wat);
                Step::Definition {
                    module: self.compile(&mut wat),
                    id,
                }
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => Step::Instance {
                instance: instance.map(|i| i.name().to_string()),
                definition: module.map(|i| i.name().to_string()),
            },
            WastDirective::Register { name, module, .. } => Step::Register {
                name: name.to_string(),
                instance: module.map(|i| i.name().to_string()),
            },
            WastDirective::Invoke(invoke) => Step::Act(invoke_action(invoke)),
            WastDirective::AssertReturn { exec, results, .. } => {
                let expected = results.iter().map(Expected::from_wast).collect();
                match self.action(exec) {
                    Ok(action) => Step::AssertReturn(action, expected),
                    Err(step) => step,
                }
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                let kind = trap_kind_for(message);
                match exec {
                    WastExecute::Wat(wat) => {
                        let module = self.compile(&mut QuoteWat::Wat(wat));
                        Step::AssertModuleTraps(module, kind)
                    }
                    exec => match self.action(exec) {
                        Ok(action) => Step::AssertTrap(action, kind),
                        Err(step) => step,
                    },
                }
            }
            WastDirective::AssertException { exec, .. } => match self.action(exec) {
                Ok(action) => Step::AssertTrap(action, Some(TrapKind::UncaughtException)),
                Err(step) => step,
            },
            WastDirective::AssertExhaustion { call, .. } => {
                Step::AssertExhaustion(invoke_action(call))
            }
            WastDirective::AssertUnlinkable { module, .. } => {
                Step::AssertUnlinkable(self.compile(&mut QuoteWat::Wat(module)))
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => Step::Decided(self.must_reject(&mut module, "invalid", message)),
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => Step::Decided(self.must_reject(&mut module, "malformed", message)),
            WastDirective::AssertMalformedCustom { mut module, .. }
            | WastDirective::AssertInvalidCustom { mut module, .. } => {
                Step::Decided(self.must_accept_custom(&mut module))
            }
            other => Step::Unsupported(format!("{other:?}").chars().take(60).collect()),
        }
    }

    fn action(&mut self, exec: WastExecute<'_>) -> Result<Action, Step> {
        match exec {
            WastExecute::Invoke(invoke) => Ok(invoke_action(invoke)),
            WastExecute::Get { module, global, .. } => Ok(Action::Get {
                instance: module.map(|i| i.name().to_string()),
                name: global.to_string(),
            }),
            WastExecute::Wat(_) => Err(Step::Unsupported(
                "a module where an invocation was expected".into(),
            )),
        }
    }
}

fn module_id(wat: &QuoteWat<'_>) -> Option<String> {
    match wat {
        QuoteWat::Wat(Wat::Module(m)) => m.id.map(|id| id.name().to_string()),
        _ => None,
    }
}

fn invoke_action(invoke: WastInvoke<'_>) -> Action {
    Action::Invoke {
        instance: invoke.module.map(|i| i.name().to_string()),
        name: invoke.name.to_string(),
        args: invoke.args.iter().map(encode_arg).collect(),
    }
}

/// Compiles, links and runs one `.wast` file; `name` is its path in the suite.
///
/// The file's objects and harness go to a directory of their own under the work
/// directory, which is removed once every assertion passed (the suites' harnesses take
/// gigabytes) and kept for a failing file, to rerun and debug.
pub fn run_file(path: &Path, name: &str, config: &Config) -> FileReport {
    let start = Instant::now();
    let mut report = FileReport {
        name: name.to_string(),
        ..FileReport::default()
    };
    let dir = config
        .work_dir
        .join(name.trim_end_matches(".wast").replace('/', "_"));
    if let Err(e) = run_file_inner(path, config, &dir, &mut report) {
        report.failed += 1;
        report.failures.push(e);
    }
    if report.failed == 0 {
        // Nothing to debug; a directory that cannot be removed only costs disk space.
        let _ = std::fs::remove_dir_all(&dir);
    }
    report.elapsed = start.elapsed();
    report
}

fn run_file_inner(
    path: &Path,
    config: &Config,
    dir: &Path,
    report: &mut FileReport,
) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let text = legacy_text::unfold_legacy_try(&text);
    let buf = parse_buffer(&text).map_err(|e| format!("cannot parse: {e}"))?;
    let wast: Wast<'_> = parser::parse(&buf).map_err(|e| format!("cannot parse: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut planner = Planner {
        config,
        dir: dir.to_path_buf(),
        objects: Vec::new(),
        symbols: Vec::new(),
        missing_feature: None,
    };
    let mut steps = Vec::new();
    for directive in wast.directives {
        let line = directive.span().linecol_in(&text).0 + 1;
        let assertion = is_assertion(&directive);
        steps.push((line, assertion, planner.plan(directive)));
    }
    report.assertions = steps.iter().filter(|(_, a, _)| *a).count();
    if let Some(feature) = planner.missing_feature {
        report.skipped = Some(feature);
        return Ok(());
    }

    let exe = dir.join(format!("harness{}", config.options.target.exe_suffix()));
    link(&planner, &exe)?;
    let mut harness = Harness::start(&exe, &config.runner, config.timeout)
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    let mut state = State::default();
    for (line, assertion, step) in steps {
        match state.execute(&mut harness, step) {
            Ok(()) if assertion => report.passed += 1,
            Ok(()) => {}
            Err(why) => {
                report.failed += 1;
                report.failures.push(format!("line {line}: {why}"));
            }
        }
    }
    harness.finish()
}

fn link(planner: &Planner<'_>, exe: &Path) -> Result<(), String> {
    let config = planner.config;
    link_harness(
        &planner.options(Emit::Exe, String::new()),
        &planner.objects,
        &planner.symbols,
        &config.runtime_lib,
        exe,
    )
}

/// Links compiled module objects (whose descriptors are `symbols`, in module-number
/// order) with the runtime and its spec harness entry into the executable `exe`.
pub fn link_harness(
    options: &Options,
    objects: &[PathBuf],
    symbols: &[String],
    runtime_lib: &Path,
    exe: &Path,
) -> Result<(), String> {
    let entry = kiln::harness_object(options, symbols).map_err(|e| e.to_string())?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let entry_path = dir.join("harness-main.o");
    std::fs::write(&entry_path, entry).map_err(|e| e.to_string())?;
    let mut all: Vec<&Path> = objects.iter().map(PathBuf::as_path).collect();
    all.push(&entry_path);
    kiln_targets::link_executable(
        &options.target,
        &all,
        runtime_lib,
        exe,
        options.linker,
        options.strip,
    )
    .map_err(|e| format!("cannot link the harness: {e}"))
}

/// What the driver knows about the harness process's instances.
#[derive(Default)]
struct State {
    next_instance: u32,
    current: Option<u32>,
    named: HashMap<String, u32>,
    definitions: HashMap<String, usize>,
}

impl State {
    fn instantiate(&mut self, h: &mut Harness, module: usize) -> Result<u32, Response> {
        let instance = self.next_instance;
        self.next_instance += 1;
        match h.request(&format!("instantiate {module} {instance}")) {
            Response::Ok(_) => Ok(instance),
            other => Err(other),
        }
    }

    fn instance(&self, id: &Option<String>) -> Result<u32, String> {
        match id {
            Some(id) => self
                .named
                .get(id)
                .copied()
                .ok_or_else(|| format!("no instance named ${id}")),
            None => self
                .current
                .ok_or_else(|| "no module instantiated".to_string()),
        }
    }

    fn perform(&self, h: &mut Harness, action: &Action) -> Result<Response, String> {
        let request = match action {
            Action::Invoke {
                instance,
                name,
                args,
            } => {
                let args = args.as_ref().map_err(Clone::clone)?;
                let mut line = format!("invoke {} {}", self.instance(instance)?, hex(name));
                for arg in args {
                    line.push(' ');
                    line.push_str(arg);
                }
                line
            }
            Action::Get { instance, name } => {
                format!("get {} {}", self.instance(instance)?, hex(name))
            }
        };
        Ok(h.request(&request))
    }

    fn execute(&mut self, h: &mut Harness, step: Step) -> Result<(), String> {
        match step {
            Step::Module { module, id } => {
                let instance = self.instantiate(h, module?).map_err(unexpected)?;
                self.current = Some(instance);
                if let Some(id) = id {
                    self.named.insert(id, instance);
                }
                Ok(())
            }
            Step::Definition { module, id } => {
                if let Some(id) = id {
                    self.definitions.insert(id, module?);
                }
                Ok(())
            }
            Step::Instance {
                instance,
                definition,
            } => {
                let module = definition
                    .and_then(|d| self.definitions.get(&d).copied())
                    .ok_or("instance of an unknown module definition")?;
                let index = self.instantiate(h, module).map_err(unexpected)?;
                self.current = Some(index);
                if let Some(id) = instance {
                    self.named.insert(id, index);
                }
                Ok(())
            }
            Step::Register { name, instance } => {
                let instance = self.instance(&instance)?;
                match h.request(&format!("register {} {instance}", hex(&name))) {
                    Response::Ok(_) => Ok(()),
                    other => Err(unexpected(other)),
                }
            }
            Step::Act(action) => match self.perform(h, &action)? {
                Response::Ok(_) => Ok(()),
                other => Err(unexpected(other)),
            },
            Step::AssertReturn(action, expected) => {
                let expected = expected?;
                match self.perform(h, &action)? {
                    Response::Ok(values)
                        if values.len() == expected.len()
                            && expected.iter().zip(&values).all(|(e, v)| e.matches(v)) =>
                    {
                        Ok(())
                    }
                    Response::Ok(values) => Err(format!(
                        "{}: got [{}], expected {expected:?}",
                        describe(&action),
                        values.join(" ")
                    )),
                    other => Err(format!("{}: {}", describe(&action), unexpected(other))),
                }
            }
            Step::AssertTrap(action, kind) => self.expect_trap(h, &action, kind),
            Step::AssertExhaustion(action) => {
                self.expect_trap(h, &action, Some(TrapKind::StackOverflow))
            }
            Step::AssertModuleTraps(module, kind) => match self.instantiate(h, module?) {
                Err(Response::Trap(actual)) if actual == kind => Ok(()),
                Err(other) => Err(format!(
                    "instantiation: {}, expected trap {kind:?}",
                    unexpected(other)
                )),
                Ok(_) => Err(format!("instantiation succeeded, expected trap {kind:?}")),
            },
            Step::AssertUnlinkable(module) => match self.instantiate(h, module?) {
                Err(Response::Error(_)) => Ok(()),
                Err(other) => Err(format!("expected a link error, got {}", unexpected(other))),
                Ok(_) => Err("module linked, expected a link error".into()),
            },
            Step::Decided(result) => result,
            Step::Unsupported(what) => Err(format!("unsupported command {what}")),
        }
    }

    fn expect_trap(
        &self,
        h: &mut Harness,
        action: &Action,
        kind: Option<TrapKind>,
    ) -> Result<(), String> {
        match self.perform(h, action)? {
            Response::Trap(actual) if kind.is_some() && actual == kind => Ok(()),
            other => Err(format!(
                "{}: {}, expected trap {kind:?}",
                describe(action),
                unexpected(other)
            )),
        }
    }
}

fn describe(action: &Action) -> String {
    match action {
        Action::Invoke { name, args, .. } => {
            format!(
                "invoke {name:?}({})",
                args.as_ref().map(|a| a.join(", ")).unwrap_or_default()
            )
        }
        Action::Get { name, .. } => format!("get {name:?}"),
    }
}

fn unexpected(response: Response) -> String {
    match response {
        Response::Ok(values) => format!("returned [{}]", values.join(" ")),
        Response::Trap(kind) => format!("trapped ({kind:?})"),
        Response::Error(message) => format!("error: {message}"),
    }
}
