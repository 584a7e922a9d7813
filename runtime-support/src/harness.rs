//! The spec-test harness: `kiln_spec_main`, the entry of an executable that links several
//! compiled modules (the modules of one `.wast` file) and is driven line by line over
//! stdin/stdout by the spec runner (`spec-tests/src/harness.rs`).
//!
//! Nothing else in the runtime refers to this module, so executables linked with
//! `--gc-sections` (every normal Kiln executable) do not contain it.
//!
//! Requests, one a line: `instantiate MODULE INSTANCE`, `register NAME INSTANCE`,
//! `invoke INSTANCE NAME ARGS...`, `get INSTANCE NAME`, `state INSTANCE` (a digest of each
//! exported memory, table and global, for the differential fuzzer: `ok NAME:DIGEST...`,
//! see [`export_digest`]). Names are hex-encoded UTF-8 (`-`
//! for the empty name). Values are `i32:HEX`, `i64:HEX`, `f32:HEX`, `f64:HEX` (raw bits),
//! `v128:HEX` (32 digits: the 16 bytes as one little-endian number), `funcref:null`, `funcref:ref` (any non-null funcref), `externref:null` and
//! `externref:N` (host reference N, stored as the pointer-sized value N + 1).
//! Each request gets exactly one response line: `ok VALUES...`, `trap KIND` (an
//! [`TrapKind`] code) or `error MESSAGE`. End of input ends the process with status 0.

use crate::prelude::*;
mod spectest;

use crate::entry::{init_wasm_thread, WASM_STACK_SIZE};
use crate::instance::InstantiationError;
use crate::instance::{valtype_name, Extern, Instance};
use crate::{sig_registry, sys, traps};
use alloc::collections::BTreeMap;
use core::ffi::c_char;
use kiln_abi::{unhex, valtype, Fnv1a, ImportDesc, ModuleDescriptor, TrapKind, VMGlobal};
use spectest::Spectest;

/// The spec harness entry, called by the `main` of a harness executable
/// (`kiln::harness_object`) with the descriptors of the linked modules.
///
/// # Safety
/// `modules` must point at `count` compiler-emitted module descriptors (null entries are
/// tolerated and reported when instantiated).
#[no_mangle]
pub unsafe extern "C" fn kiln_spec_main(
    _argc: i32,
    _argv: *const *const c_char,
    modules: *const *const ModuleDescriptor,
    count: usize,
) -> i32 {
    sys::ignore_sigpipe();
    let addresses: Vec<usize> = if modules.is_null() {
        Vec::new()
    } else {
        // SAFETY: caller's contract: `count` pointers.
        unsafe { core::slice::from_raw_parts(modules, count) }
            .iter()
            .map(|&p| p as usize)
            .collect()
    };
    let thread = sys::run_on_thread(
        WASM_STACK_SIZE,
        Box::new(move || {
            let modules = addresses
                .iter()
                // SAFETY: addresses of 'static descriptors (or null), see above.
                .map(|&a| unsafe { (a as *const ModuleDescriptor).as_ref() })
                .collect();
            run(modules)
        }),
    );
    thread.unwrap_or_else(|e| {
        sys::write_stderr(format!("error: cannot start the wasm thread: {e}\n").as_bytes());
        1
    })
}

fn run(modules: Vec<Option<&'static ModuleDescriptor>>) -> i32 {
    if let Err(e) = init_wasm_thread(WASM_STACK_SIZE) {
        sys::write_stderr(format!("error: cannot set up trap handling: {e}\n").as_bytes());
        return 1;
    }
    let mut harness = match Harness::new(modules) {
        Ok(h) => h,
        Err(e) => {
            sys::write_stderr(format!("error: {e}\n").as_bytes());
            return 1;
        }
    };
    let status = serve(
        &mut harness,
        |buf| sys::read(0, buf),
        |bytes| sys::write_all(1, bytes),
    );
    if let Err(e) = &status {
        sys::write_stderr(format!("error: {e}\n").as_bytes());
    }
    i32::from(status.is_err())
}

/// Answers requests read with `read` (one read(2)-like call: 0 is the end) with `write`,
/// one response line per request line, until the end of the input.
fn serve(
    harness: &mut Harness,
    mut read: impl FnMut(&mut [u8]) -> Result<usize, sys::OsError>,
    mut write: impl FnMut(&[u8]) -> Result<(), sys::OsError>,
) -> Result<(), sys::OsError> {
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let request = String::from_utf8_lossy(&line);
            let response = harness.command(request.trim_end_matches(['\n', '\r']));
            write(format!("{response}\n").as_bytes())?;
        }
        let n = read(&mut buf)?;
        if n == 0 {
            // A last request without a newline still gets its answer.
            if !pending.is_empty() {
                pending.push(b'\n');
                continue;
            }
            return Ok(());
        }
        pending.extend_from_slice(&buf[..n]);
    }
}

/// The harness's state: the linked modules and the instances created so far.
pub(crate) struct Harness {
    modules: Vec<Option<&'static ModuleDescriptor>>,
    /// Instances by the driver's number. Never destroyed (others may import from them).
    instances: BTreeMap<u32, Instance>,
    /// Module names importable through `register`, with the instance they stand for.
    registered: BTreeMap<String, u32>,
    spectest: Spectest,
}

type Response = Result<String, String>;

impl Harness {
    pub fn new(modules: Vec<Option<&'static ModuleDescriptor>>) -> Result<Harness, String> {
        Ok(Harness {
            modules,
            instances: BTreeMap::new(),
            registered: BTreeMap::new(),
            spectest: Spectest::new()?,
        })
    }

    /// Executes one request; returns the response line.
    pub fn command(&mut self, line: &str) -> String {
        let words: Vec<&str> = line.split(' ').filter(|w| !w.is_empty()).collect();
        let response = match words.as_slice() {
            ["instantiate", module, instance] => self.instantiate(module, instance),
            ["register", name, instance] => self.register(name, instance),
            ["invoke", instance, name, args @ ..] => self.invoke(instance, name, args),
            ["get", instance, name] => self.get(instance, name),
            ["state", instance] => self.state(instance),
            _ => Err("unknown command".to_string()),
        };
        match response {
            Ok(text) => text,
            Err(message) => format!("error {}", one_line(&message)),
        }
    }

    fn instance(&self, number: &str) -> Result<&Instance, String> {
        let n: u32 = number
            .parse()
            .map_err(|_| format!("bad instance number `{number}`"))?;
        self.instances
            .get(&n)
            .ok_or_else(|| format!("no instance {n}"))
    }

    fn instantiate(&mut self, module: &str, instance: &str) -> Response {
        let m: usize = module
            .parse()
            .map_err(|_| format!("bad module number `{module}`"))?;
        let n: u32 = instance
            .parse()
            .map_err(|_| format!("bad instance number `{instance}`"))?;
        let desc = match self.modules.get(m) {
            Some(Some(desc)) => *desc,
            Some(None) => return Err(format!("module {m} has no descriptor")),
            None => return Err(format!("no module {m}")),
        };
        if self.instances.contains_key(&n) {
            return Err(format!("instance {n} exists already"));
        }
        let mut outcome = None;
        let this = &*self;
        // SAFETY: `desc` is compiler output (kiln_spec_main's contract) and the resolver
        // only returns exports of live instances and the spectest objects, which are never
        // freed. The protected closure holds nothing that needs dropping when abandoned:
        // Instance::new runs the start function in a protected call of its own, and it
        // reports segment traps as errors, so this outer one is only a safety net.
        let trapped = unsafe {
            traps::call_protected(|| {
                outcome = Some(Instance::new(desc, |import| this.resolve(desc, import)));
            })
        };
        match (trapped, outcome) {
            (Err(kind), _) => Ok(trap(kind)),
            (Ok(()), Some(Ok(inst))) => {
                self.instances.insert(n, inst);
                Ok("ok".into())
            }
            (Ok(()), Some(Err(InstantiationError::Trap { kind, .. }))) => Ok(trap(kind)),
            (Ok(()), Some(Err(InstantiationError::Link(message)))) => Err(message),
            (Ok(()), None) => Err("instantiation did not finish".into()),
        }
    }

    /// Import resolution: registered instances first, then the built-in `spectest`.
    fn resolve(&self, desc: &ModuleDescriptor, import: &ImportDesc) -> Result<Extern, String> {
        // SAFETY: descriptor names are UTF-8 (compiler output).
        let (module, name) = unsafe { (import.module.as_str(), import.name.as_str()) };
        if let Some(n) = self.registered.get(module) {
            return self.instances[n]
                .export(name)
                .ok_or_else(|| format!("unknown import `{module}::{name}`"));
        }
        if module == "spectest" {
            // SAFETY: `import` is one of `desc`'s imports, both compiler output.
            return unsafe { self.spectest.resolve(desc, import) };
        }
        Err(format!("unknown import `{module}::{name}`"))
    }

    fn register(&mut self, name: &str, instance: &str) -> Response {
        let name = decode_name(name)?;
        let n: u32 = instance
            .parse()
            .map_err(|_| format!("bad instance number `{instance}`"))?;
        if !self.instances.contains_key(&n) {
            return Err(format!("no instance {n}"));
        }
        self.registered.insert(name, n);
        Ok("ok".into())
    }

    fn invoke(&mut self, instance: &str, name: &str, args: &[&str]) -> Response {
        let name = decode_name(name)?;
        let Some(export) = self.instance(instance)?.export(&name) else {
            return Err(format!("unknown export {name:?}"));
        };
        let Extern::Func(func) = export else {
            return Err(format!("export {name:?} is not a function"));
        };
        // SAFETY: an exported funcref of a live instance.
        let (fn_ptr, vmctx, sig_id) = unsafe { ((*func).fn_ptr, (*func).vmctx, (*func).sig_id) };
        let (Some((params, results)), Some(trampoline)) = (
            sig_registry::signature(sig_id),
            sig_registry::trampoline(sig_id),
        ) else {
            return Err(format!("export {name:?} has an unknown signature"));
        };
        if args.len() != params.len() {
            return Err(format!(
                "{name:?} takes {} arguments, got {}",
                params.len(),
                args.len()
            ));
        }
        let mut values = vec![VMGlobal::default(); params.len().max(results.len()).max(1)];
        for ((slot, arg), &ty) in values.iter_mut().zip(args).zip(&params) {
            *slot = VMGlobal {
                bytes: parse_value(arg, ty)?.to_le_bytes(),
            };
        }
        let slots = values.as_mut_ptr();
        // SAFETY: the trampoline of the function's own signature; `values` holds arguments
        // of its parameter types (checked above) and has room for its results. The closure
        // owns nothing: a trap abandons only it, the trampoline and compiled code.
        let trapped = unsafe { traps::call_protected(|| trampoline(fn_ptr, vmctx, slots)) };
        if let Err(kind) = trapped {
            return Ok(trap(kind));
        }
        let mut response = String::from("ok");
        for (value, &ty) in values.iter().zip(&results) {
            response.push(' ');
            response.push_str(&format_value(ty, u128::from_le_bytes(value.bytes))?);
        }
        Ok(response)
    }

    fn get(&self, instance: &str, name: &str) -> Response {
        let name = decode_name(name)?;
        let Some(export) = self.instance(instance)?.export(&name) else {
            return Err(format!("unknown export {name:?}"));
        };
        let Extern::Global(storage, ty) = export else {
            return Err(format!("export {name:?} is not a global"));
        };
        // SAFETY: the storage of a live instance's (or the spectest module's) global.
        let value = unsafe { storage.read() };
        Ok(format!(
            "ok {}",
            format_value(ty.val_type, u128::from_le_bytes(value.bytes))?
        ))
    }
}

impl Harness {
    fn state(&self, instance: &str) -> Response {
        let mut response = String::from("ok");
        for (name, export) in self.instance(instance)?.exports() {
            // SAFETY: exports of a live instance.
            if let Some(digest) = unsafe { export_digest(&export) } {
                response.push_str(&format!(" {}:{digest:016x}", kiln_abi::hex(name)));
            }
        }
        Ok(response)
    }
}

/// FNV-1a (64-bit) of an export's contents, `None` for functions and tags. The fuzzer computes the
/// same digest from its reference interpreter, so the byte stream is part of the protocol:
/// a memory is its bytes; a table its length (u32 LE) and a byte per element (0 null, 1
/// not); a global its value's little-endian bytes (4, 8 or 16; 1 byte, null or not, for
/// references).
///
/// # Safety
/// `export` must belong to a live instance.
unsafe fn export_digest(export: &Extern) -> Option<u64> {
    let mut digest = Fnv1a::default();
    match *export {
        Extern::Func(_) | Extern::HostFunc(_) | Extern::Tag(..) => return None,
        Extern::Memory(memory) => {
            // SAFETY: a live memory (caller's contract); its bytes up to `byte_len`
            // are mapped and readable.
            let bytes = unsafe {
                let memory = &*memory;
                core::slice::from_raw_parts(memory.base(), memory.byte_len() as usize)
            };
            digest.write(bytes);
        }
        Extern::Table(table) => {
            // SAFETY: a live table (caller's contract).
            let elements = unsafe { (*table).elements() };
            digest.write(&(elements.len() as u32).to_le_bytes());
            for &element in elements {
                digest.write(&[u8::from(element != 0)]);
            }
        }
        Extern::Global(storage, ty) => {
            // SAFETY: a live global's storage (caller's contract).
            let bytes = unsafe { storage.read() }.bytes;
            match ty.val_type {
                valtype::I32 | valtype::F32 => digest.write(&bytes[..4]),
                valtype::I64 | valtype::F64 => digest.write(&bytes[..8]),
                valtype::V128 => digest.write(&bytes),
                _ => digest.write(&[u8::from(bytes[..8] != [0; 8])]),
            }
        }
    }
    Some(digest.0)
}

/// A name on the protocol (see [`kiln_abi::hex`]).
fn decode_name(hex: &str) -> Result<String, String> {
    unhex(hex).ok_or_else(|| format!("bad name `{hex}`"))
}

fn trap(kind: TrapKind) -> String {
    format!("trap {}", kind as u32)
}

fn one_line(message: &str) -> String {
    message.replace(['\n', '\r'], " ")
}

/// The bits of argument `text` for a parameter of type `ty`, as a value slot holds them.
fn parse_value(text: &str, ty: u8) -> Result<u128, String> {
    let (kind, payload) = text
        .split_once(':')
        .ok_or_else(|| format!("bad value `{text}`"))?;
    let expected = valtype_name(ty);
    if kind != expected {
        return Err(format!(
            "type mismatch: argument `{text}` for a {expected} parameter"
        ));
    }
    let bad = || format!("bad value `{text}`");
    match ty {
        valtype::I32 | valtype::F32 => u32::from_str_radix(payload, 16)
            .map(u128::from)
            .map_err(|_| bad()),
        valtype::I64 | valtype::F64 => u64::from_str_radix(payload, 16)
            .map(u128::from)
            .map_err(|_| bad()),
        valtype::V128 => u128::from_str_radix(payload, 16).map_err(|_| bad()),
        valtype::FUNCREF | valtype::EXNREF | valtype::EXTERNREF if payload == "null" => Ok(0),
        valtype::EXTERNREF => payload
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_add(1))
            .map(u128::from)
            .ok_or_else(bad),
        _ => Err(format!("cannot pass `{text}`")),
    }
}

/// The protocol form of a value of type `ty` held in a slot as `slot`.
fn format_value(ty: u8, slot: u128) -> Result<String, String> {
    let bits = slot as u64;
    Ok(match ty {
        valtype::I32 => format!("i32:{:x}", bits as u32),
        valtype::I64 => format!("i64:{bits:x}"),
        valtype::F32 => format!("f32:{:x}", bits as u32),
        valtype::F64 => format!("f64:{bits:x}"),
        valtype::V128 => format!("v128:{slot:032x}"),
        valtype::FUNCREF if bits == 0 => "funcref:null".into(),
        valtype::FUNCREF => "funcref:ref".into(),
        valtype::EXTERNREF if bits == 0 => "externref:null".into(),
        valtype::EXTERNREF => format!("externref:{}", bits - 1),
        valtype::EXNREF if bits == 0 => "exnref:null".into(),
        valtype::EXNREF => "exnref:ref".into(),
        other => {
            return Err(format!(
                "cannot return a value of type {}",
                valtype_name(other)
            ))
        }
    })
}

#[cfg(test)]
mod tests;
