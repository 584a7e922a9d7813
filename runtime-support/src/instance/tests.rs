//! Instantiation, linking and invocation tests on hand-built module descriptors. (Over
//! 600 lines: the cases share the descriptor-building helpers at the top.)

use super::*;
use crate::builtins::*;
use crate::sig_registry;
use crate::testutil::*;
use kiln_abi::extern_kind::{FUNC, GLOBAL, MEMORY, TABLE};
use kiln_abi::segment_mode::{ACTIVE, DECLARED, PASSIVE};
use kiln_abi::valtype::{EXTERNREF, FUNCREF, I32, I64};
use kiln_abi::VMContextLayout;

unsafe extern "C" fn answer(_vmctx: *mut VMContext) -> i32 {
    42
}

/// A start function: marks byte 100 of the memory.
unsafe extern "C" fn mark(vmctx: *mut VMContext) {
    // SAFETY: called with the instance's vmctx; its memory has at least one page.
    unsafe { *(*vmctx).memory_base.add(100) = 0xab };
}

fn no_imports(_: &ImportDesc) -> Result<Extern, String> {
    Err("no imports expected".into())
}

/// funcs: 0 answer [] -> [i32], 1 mark [] -> []; memory 1..2 pages; table 0: funcref 4..10;
/// globals: 0 i32 42, 1 mut i64 = global.get 0, 2 funcref = ref.func 0;
/// data: 0 active "hello" at 8, 1 passive "xyz";
/// elems: 0 active at 1 [answer, null, mark], 1 declared, 2 passive [mark]; start: mark.
fn sample_module() -> &'static ModuleDescriptor {
    let mut b = ModuleBuilder::new();
    let t_vi = b.ty(V_I);
    let t_vv = b.ty(V_V);
    let f_answer = b.func("answer", answer as *const u8, t_vi);
    let f_mark = b.func("mark", mark as *const u8, t_vv);
    b.memory(1, 2);
    let tab = b.table(FUNCREF, 4, 10);
    let g0 = b.global(I32, false, value(42));
    b.global(I64, true, global_get(g0));
    b.global(FUNCREF, false, ref_func(f_answer));
    b.active_data(8, b"hello");
    b.passive_data(b"xyz");
    b.elem(
        ACTIVE,
        tab,
        1,
        vec![ref_func(f_answer), ref_null(), ref_func(f_mark)],
    );
    b.elem(DECLARED, 0, 0, vec![ref_func(f_answer)]);
    b.elem(PASSIVE, 0, 0, vec![ref_func(f_mark)]);
    b.export("answer", FUNC, f_answer);
    b.export("mem", MEMORY, 0);
    b.export("tab", TABLE, tab);
    b.export("g", GLOBAL, g0);
    b.export("mg", GLOBAL, 1);
    b.start = Some(f_mark);
    b.build()
}

fn memory_of(inst: &Instance) -> &'static mut Memory {
    let Some(Extern::Memory(m)) = inst.export("mem") else {
        panic!("no memory export")
    };
    // SAFETY: the instance's own memory, alive for the test.
    unsafe { &mut *m }
}

fn table_of(inst: &Instance, name: &str) -> &'static mut Table {
    let Some(Extern::Table(t)) = inst.export(name) else {
        panic!("no table export")
    };
    // SAFETY: a table of a live instance, not otherwise borrowed.
    unsafe { &mut *t }
}

fn bytes(memory: &Memory, at: usize, len: usize) -> Vec<u8> {
    assert!((at + len) as u64 <= memory.byte_len());
    // SAFETY: in bounds of the accessible memory.
    unsafe { core::slice::from_raw_parts(memory.base().add(at), len).to_vec() }
}

fn funcref_addr(inst: &Instance, index: u32) -> usize {
    inst.data().vmctx.funcref_ptr(index) as usize
}

#[test]
fn instantiation_fills_everything() {
    // SAFETY: a well-formed hand-built descriptor.
    let inst = unsafe { Instance::new(sample_module(), no_imports) }.unwrap();
    let vmctx = inst.vmctx();
    let mem = memory_of(&inst);
    assert_eq!(mem.pages(), 1);
    // SAFETY: reading the head of a live context.
    unsafe {
        assert_eq!((*vmctx).memory_base, mem.base());
        assert_eq!((*vmctx).memory, Memory::vm(mem));
    }
    assert_eq!(bytes(mem, 8, 5), b"hello");
    assert_eq!(bytes(mem, 100, 1), [0xab], "the start function ran");

    // Funcrefs of defined functions.
    let Some(Extern::Func(f)) = inst.export("answer") else {
        panic!()
    };
    // SAFETY: an exported funcref of a live instance.
    let f = unsafe { &*f };
    assert_eq!(f.fn_ptr, answer as *const u8);
    assert_eq!(f.vmctx, vmctx);
    assert_eq!(f.sig_id, sig_registry::intern(&[], &[I32], "", tramp_v_i));
    let mut values = [VMGlobal::default()];
    // SAFETY: `answer` takes nothing and returns an i32.
    unsafe { invoke(f, &mut values) }.unwrap();
    assert_eq!(value_bits(&values[0]), 42);
    // Signature ids in the context.
    let layout = VMContextLayout::new(kiln_abi::VMCounts {
        functions: 2,
        types: 2,
        tables: 1,
        memories: 1,
        globals: 3,
        tags: 0,
    });
    // SAFETY: reading the sig id array of a live context.
    let sig0 = unsafe {
        *vmctx
            .cast::<u8>()
            .add(layout.sig_id(0) as usize)
            .cast::<u32>()
    };
    assert_eq!(sig0, f.sig_id);

    // Table: the active segment at 1, dropped segments.
    let tab = table_of(&inst, "tab");
    assert_eq!(
        tab.elements(),
        &[0, funcref_addr(&inst, 0), 0, funcref_addr(&inst, 1)]
    );
    let d = inst.data();
    let dropped = |cells: &[Cell<bool>]| cells.iter().map(Cell::get).collect::<Vec<_>>();
    assert_eq!(dropped(&d.dropped_data), [true, false]);
    assert_eq!(dropped(&d.dropped_elems), [true, true, false]);

    // Globals, including constant expressions.
    let Some(Extern::Global(g, ty)) = inst.export("g") else {
        panic!()
    };
    assert_eq!(
        ty,
        GlobalType {
            val_type: I32,
            mutable: false,
            ref_type: None,
        }
    );
    // SAFETY: a live global.
    assert_eq!(value_bits(unsafe { &*g }), 42);
    let Some(Extern::Global(mg, ty)) = inst.export("mg") else {
        panic!()
    };
    assert_eq!(
        ty,
        GlobalType {
            val_type: I64,
            mutable: true,
            ref_type: None,
        }
    );
    // SAFETY: a live global.
    assert_eq!(value_bits(unsafe { &*mg }), 42);
    assert_eq!(
        value_bits(&d.vmctx.global(2)) as usize,
        funcref_addr(&inst, 0)
    );
    assert!(inst.export("nope").is_none());
    assert_eq!(inst.exports().count(), 5);
    // SAFETY: nothing else refers to the instance.
    unsafe { inst.destroy() };
}

#[test]
fn stack_limit_comes_from_the_thread() {
    set_thread_stack_limit(0x1234_5000);
    // SAFETY: a well-formed hand-built descriptor.
    let inst = unsafe { Instance::new(sample_module(), no_imports) }.unwrap();
    set_thread_stack_limit(0);
    // SAFETY: reading the head of a live context.
    assert_eq!(unsafe { (*inst.vmctx()).stack_limit }, 0x1234_5000);
    inst.set_stack_limit(7);
    // SAFETY: as above.
    assert_eq!(unsafe { (*inst.vmctx()).stack_limit }, 7);
}

#[test]
fn memory_builtins_check_bounds() {
    // SAFETY: a well-formed hand-built descriptor.
    let inst = unsafe { Instance::new(sample_module(), no_imports) }.unwrap();
    let vmctx = inst.vmctx();
    let mem = memory_of(&inst);
    let page = 65536u64;
    // SAFETY: builtins called with a live instance's vmctx, as compiled code does.
    unsafe {
        assert_eq!(kiln_memory_fill(vmctx, 0, page - 4, 7, 4), 0);
        assert_eq!(bytes(mem, page as usize - 4, 4), [7; 4]);
        assert_eq!(kiln_memory_fill(vmctx, 0, page - 3, 9, 4), 1);
        assert_eq!(
            bytes(mem, page as usize - 4, 4),
            [7; 4],
            "nothing written on failure"
        );
        assert_eq!(
            kiln_memory_fill(vmctx, 0, page, 9, 0),
            0,
            "len 0 at the end"
        );
        assert_eq!(kiln_memory_fill(vmctx, 0, page + 1, 9, 0), 1);
        assert_eq!(
            kiln_memory_fill(vmctx, 0, u64::MAX, 9, 2),
            1,
            "no wrap-around"
        );

        // memory.copy is memmove.
        assert_eq!(kiln_memory_fill(vmctx, 0, 0, 0, 16), 0);
        mem.base().copy_from(b"12345".as_ptr(), 5);
        assert_eq!(kiln_memory_copy(vmctx, 0, 0, 1, 0, 4), 0);
        assert_eq!(bytes(mem, 0, 5), b"11234");
        assert_eq!(kiln_memory_copy(vmctx, 0, 0, 0, 1, 4), 0);
        assert_eq!(bytes(mem, 0, 5), b"12344");
        assert_eq!(kiln_memory_copy(vmctx, 0, 0, 0, page - 2, 4), 1);
        assert_eq!(kiln_memory_copy(vmctx, 0, 0, page - 2, 0, 4), 1);
        assert_eq!(bytes(mem, 0, 5), b"12344");
        assert_eq!(kiln_memory_copy(vmctx, 0, 0, page, page, 0), 0);

        // memory.init from the passive segment 1 ("xyz"); the active one is dropped.
        assert_eq!(kiln_memory_init(vmctx, 0, 1, 200, 1, 2), 0);
        assert_eq!(bytes(mem, 200, 2), b"yz");
        assert_eq!(kiln_memory_init(vmctx, 0, 1, 200, 2, 2), 1);
        assert_eq!(kiln_memory_init(vmctx, 0, 1, page - 1, 0, 2), 1);
        assert_eq!(kiln_memory_init(vmctx, 0, 1, 0, 3, 0), 0);
        assert_eq!(
            kiln_memory_init(vmctx, 0, 0, 0, 0, 1),
            1,
            "active segments are dropped"
        );
        assert_eq!(kiln_memory_init(vmctx, 0, 0, 0, 0, 0), 0);
        kiln_data_drop(vmctx, 1);
        assert_eq!(kiln_memory_init(vmctx, 0, 1, 0, 0, 1), 1);
        assert_eq!(kiln_memory_init(vmctx, 0, 1, page, 0, 0), 0);
        assert_eq!(kiln_memory_init(vmctx, 0, 7, 0, 0, 0), 1, "no such segment");

        // memory.grow up to the maximum of 2 pages; the base never moves.
        let base = mem.base();
        assert_eq!(kiln_memory_grow(vmctx, 0, 0), 1);
        assert_eq!(kiln_memory_grow(vmctx, 0, 1), 1);
        assert_eq!(kiln_memory_grow(vmctx, 0, 1), u64::MAX);
        assert_eq!(kiln_memory_grow(vmctx, 1, 0), u64::MAX, "no memory 1");
        assert_eq!(kiln_memory_fill(vmctx, 1, 0, 0, 0), 1, "no memory 1");
        assert_eq!((*vmctx).memory_base, base);
        assert_eq!((*(*vmctx).memory).length, 2 * 65536);
        assert_eq!(kiln_memory_fill(vmctx, 0, 2 * page - 1, 1, 1), 0);
    }
}

#[test]
fn table_builtins_check_bounds() {
    // SAFETY: a well-formed hand-built descriptor.
    let inst = unsafe { Instance::new(sample_module(), no_imports) }.unwrap();
    let vmctx = inst.vmctx();
    let (f0, f1) = (funcref_addr(&inst, 0), funcref_addr(&inst, 1));
    let tab = || table_of(&inst, "tab").elements().to_vec();
    // SAFETY: builtins called with a live instance's vmctx.
    unsafe {
        assert_eq!(tab(), [0, f0, 0, f1]);
        assert_eq!(kiln_table_grow(vmctx, 0, f1, 2), 4);
        assert_eq!(tab(), [0, f0, 0, f1, f1, f1]);
        assert_eq!(kiln_table_grow(vmctx, 0, 0, 5), u64::MAX, "max is 10");
        assert_eq!(kiln_table_grow(vmctx, 0, 0, 4), 6);
        assert_eq!(kiln_table_grow(vmctx, 0, 0, 0), 10);
        assert_eq!(kiln_table_grow(vmctx, 1, 0, 0), u64::MAX, "no table 1");

        assert_eq!(kiln_table_fill(vmctx, 0, 8, f0, 2), 0);
        assert_eq!(kiln_table_fill(vmctx, 0, 9, f1, 2), 1);
        assert_eq!(tab()[8..], [f0, f0]);
        assert_eq!(kiln_table_fill(vmctx, 0, 10, f1, 0), 0);
        assert_eq!(
            kiln_table_fill(vmctx, 0, 1 << 32, f1, 0),
            1,
            "a table64 index past u32"
        );
        assert_eq!(kiln_table_grow(vmctx, 0, 0, 1 << 32), u64::MAX);

        // table.copy within one table is memmove.
        assert_eq!(kiln_table_copy(vmctx, 0, 0, 0, 1, 3), 0);
        assert_eq!(tab()[..4], [f0, 0, f1, f1]);
        assert_eq!(kiln_table_copy(vmctx, 0, 0, 1, 0, 3), 0);
        assert_eq!(tab()[..4], [f0, f0, 0, f1]);
        assert_eq!(kiln_table_copy(vmctx, 0, 0, 8, 0, 3), 1);
        assert_eq!(kiln_table_copy(vmctx, 0, 0, 0, 8, 3), 1);
        assert_eq!(kiln_table_copy(vmctx, 0, 0, 10, 10, 0), 0);

        // table.init from the passive segment 2 ([mark]).
        assert_eq!(kiln_table_init(vmctx, 0, 2, 2, 0, 1), 0);
        assert_eq!(tab()[2], f1);
        assert_eq!(kiln_table_init(vmctx, 0, 2, 0, 1, 1), 1);
        assert_eq!(kiln_table_init(vmctx, 0, 2, 10, 0, 1), 1);
        assert_eq!(kiln_table_init(vmctx, 0, 2, 10, 1, 0), 0);
        assert_eq!(
            kiln_table_init(vmctx, 0, 0, 0, 0, 1),
            1,
            "active segments are dropped"
        );
        assert_eq!(
            kiln_table_init(vmctx, 0, 1, 0, 0, 1),
            1,
            "declared segments are dropped"
        );
        kiln_elem_drop(vmctx, 2);
        assert_eq!(kiln_table_init(vmctx, 0, 2, 0, 0, 1), 1);
        assert_eq!(kiln_table_init(vmctx, 0, 2, 0, 0, 0), 0);
        assert_eq!(kiln_table_init(vmctx, 0, 9, 0, 0, 0), 1, "no such segment");
    }
}

/// Instance A of the linking tests: memory 1..3, funcref table 2..5, globals g (i32 7)
/// and mg (mut i64 9), function answer.
fn exporter() -> Instance {
    let mut b = ModuleBuilder::new();
    let t = b.ty(V_I);
    let f = b.func("answer", answer as *const u8, t);
    b.memory(1, 3);
    let tab = b.table(FUNCREF, 2, 5);
    let g = b.global(I32, false, value(7));
    let mg = b.global(I64, true, value(9));
    b.export("answer", FUNC, f);
    b.export("mem", MEMORY, 0);
    b.export("tab", TABLE, tab);
    b.export("g", GLOBAL, g);
    b.export("mg", GLOBAL, mg);
    // SAFETY: a well-formed hand-built descriptor.
    unsafe { Instance::new(b.build(), no_imports) }.unwrap()
}

fn resolve_from(a: &Instance) -> impl FnMut(&ImportDesc) -> Result<Extern, String> + '_ {
    |import| {
        // SAFETY: test descriptors have valid names.
        let name = unsafe { import.name.as_str() };
        a.export(name)
            .ok_or_else(|| format!("unknown import `a::{name}`"))
    }
}

#[test]
fn imports_link_to_another_instance() {
    let a = exporter();
    let mut b = ModuleBuilder::new();
    let t = b.ty(V_I);
    let f = b.import_func("a", "answer", t);
    b.import_memory("a", "mem", 1, 4);
    let tab = b.import_table("a", "tab", FUNCREF, 2, 5);
    let g = b.import_global("a", "g", I32, false);
    let mg = b.import_global("a", "mg", I64, true);
    let copy = b.global(I32, false, global_get(g));
    b.elem(ACTIVE, tab, 1, vec![ref_func(f)]);
    b.active_data(0, b"B!");
    b.export("answer_again", FUNC, f);
    b.export("mg_again", GLOBAL, mg);
    b.export("copy", GLOBAL, copy);
    // SAFETY: a well-formed descriptor; exports of `a` outlive `b`.
    let b = unsafe { Instance::new(b.build(), resolve_from(&a)) }.unwrap();

    assert_eq!(
        bytes(memory_of(&a), 0, 2),
        b"B!",
        "the data segment went into a's memory"
    );
    let a_tab = table_of(&a, "tab");
    assert_eq!(a_tab.elements(), &[0, funcref_addr(&b, 0)]);
    let b_f = b.data().vmctx.funcref(0);
    assert_eq!(b_f.fn_ptr, answer as *const u8);
    assert_eq!(
        b_f.vmctx,
        a.vmctx(),
        "an imported function runs with its own instance's vmctx"
    );
    let (Some(Extern::Global(mg_a, _)), Some(Extern::Global(mg_b, ty))) =
        (a.export("mg"), b.export("mg_again"))
    else {
        panic!()
    };
    assert_eq!(mg_a, mg_b, "a re-exported global is the same storage");
    assert!(ty.mutable);
    let Some(Extern::Global(copy, _)) = b.export("copy") else {
        panic!()
    };
    // SAFETY: a live global.
    assert_eq!(value_bits(unsafe { &*copy }), 7);
    let Some(Extern::Func(again)) = b.export("answer_again") else {
        panic!()
    };
    let mut v = [VMGlobal::default()];
    // SAFETY: [] -> [i32].
    unsafe { invoke(again, &mut v) }.unwrap();
    assert_eq!(value_bits(&v[0]), 42);
    // Builtins reach imported tables and memories through the importer's vmctx.
    // SAFETY: builtins called with a live instance's vmctx.
    unsafe {
        assert_eq!(kiln_memory_grow(b.vmctx(), 0, 1), 1);
        assert_eq!(memory_of(&a).pages(), 2);
        assert_eq!(kiln_table_grow(b.vmctx(), 0, 0, 1), 2);
        assert_eq!(table_of(&a, "tab").size(), 3);
    }
}

/// The error of instantiating a module with one import described by `add` against `a`.
fn link_error(a: &Instance, add: impl FnOnce(&mut ModuleBuilder)) -> String {
    let mut b = ModuleBuilder::new();
    add(&mut b);
    // SAFETY: a well-formed descriptor; exports of `a` outlive the attempt.
    match unsafe { Instance::new(b.build(), resolve_from(a)) } {
        Err(InstantiationError::Link(msg)) => msg,
        Err(e) => panic!("unexpected {e:?}"),
        Ok(_) => panic!("linked"),
    }
}

#[test]
fn imports_are_type_checked() {
    let a = exporter();
    let incompatible = |msg: String, name: &str| {
        assert!(
            msg.starts_with(&format!("incompatible import type for `a::{name}`")),
            "{msg}"
        );
    };
    incompatible(
        link_error(&a, |b| {
            let t = b.ty(I_I);
            b.import_func("a", "answer", t);
        }),
        "answer",
    );
    incompatible(
        link_error(&a, |b| {
            let t = b.ty(V_I);
            b.import_func("a", "mem", t);
        }),
        "mem",
    );
    incompatible(
        link_error(&a, |b| b.import_memory("a", "mem", 2, u64::MAX)),
        "mem",
    );
    incompatible(link_error(&a, |b| b.import_memory("a", "mem", 1, 2)), "mem");
    incompatible(
        link_error(&a, |b| {
            b.import_table("a", "tab", EXTERNREF, 2, 5);
        }),
        "tab",
    );
    incompatible(
        link_error(&a, |b| {
            b.import_table("a", "tab", FUNCREF, 3, NO_INDEX);
        }),
        "tab",
    );
    incompatible(
        link_error(&a, |b| {
            b.import_table("a", "tab", FUNCREF, 1, 4);
        }),
        "tab",
    );
    incompatible(
        link_error(&a, |b| {
            b.import_global("a", "g", I32, true);
        }),
        "g",
    );
    incompatible(
        link_error(&a, |b| {
            b.import_global("a", "mg", I32, true);
        }),
        "mg",
    );
    let msg = link_error(&a, |b| {
        b.import_global("a", "nope", I32, false);
    });
    assert_eq!(msg, "unknown import `a::nope`");
    // Compatible limits: smaller minimum, larger maximum, no maximum.
    let mut b = ModuleBuilder::new();
    b.import_memory("a", "mem", 0, u64::MAX);
    b.import_table("a", "tab", FUNCREF, 1, NO_INDEX);
    // SAFETY: as above.
    assert!(unsafe { Instance::new(b.build(), resolve_from(&a)) }.is_ok());
    // A memory without a maximum does not match an import with one.
    let mut unbounded = Memory::new(1, None).unwrap();
    let mut b = ModuleBuilder::new();
    b.import_memory("host", "mem", 1, 10);
    let m: *mut Memory = &mut *unbounded;
    // SAFETY: as above; `unbounded` outlives the attempt.
    let r = unsafe { Instance::new(b.build(), |_| Ok(Extern::Memory(m))) };
    assert!(matches!(r, Err(InstantiationError::Link(msg)) if msg.contains("maximum")));
}

#[test]
fn out_of_bounds_segments_trap_after_earlier_ones() {
    let a = exporter();
    // Element segments come first: the second one does not fit, so the data segment
    // is never applied, but the first element segment stays.
    let mut b = ModuleBuilder::new();
    let t = b.ty(V_I);
    let f = b.import_func("a", "answer", t);
    b.import_memory("a", "mem", 1, 3);
    let tab = b.import_table("a", "tab", FUNCREF, 2, 5);
    b.elem(ACTIVE, tab, 0, vec![ref_func(f)]);
    b.elem(ACTIVE, tab, 1, vec![ref_func(f), ref_func(f)]);
    b.active_data(0, b"never");
    // SAFETY: a well-formed descriptor; exports of `a` outlive `b`.
    let r = unsafe { Instance::new(b.build(), resolve_from(&a)) };
    let Err(InstantiationError::Trap { kind, context }) = r else {
        panic!("{:?}", r.err())
    };
    assert_eq!(kind, TrapKind::TableOutOfBounds);
    assert!(context.contains("element segment 1"), "{context}");
    assert_ne!(
        table_of(&a, "tab").elements()[0],
        0,
        "the first segment was applied"
    );
    assert_eq!(table_of(&a, "tab").elements()[1], 0);
    assert_eq!(bytes(memory_of(&a), 0, 5), [0; 5]);

    // Data segments: the one at the very end of memory fits, the one past it does not;
    // offsets near u32::MAX do not wrap.
    for (offset, fits) in [(65536 - 2, true), (65536 - 1, false), (u32::MAX, false)] {
        let mut b = ModuleBuilder::new();
        b.import_memory("a", "mem", 1, 3);
        b.active_data(3, b"abc");
        b.active_data(offset, b"zz");
        // SAFETY: as above.
        let r = unsafe { Instance::new(b.build(), resolve_from(&a)) };
        assert_eq!(bytes(memory_of(&a), 3, 3), b"abc");
        if fits {
            assert!(r.is_ok());
        } else {
            assert!(matches!(
                r,
                Err(InstantiationError::Trap {
                    kind: TrapKind::MemoryOutOfBounds,
                    ..
                })
            ));
        }
    }
}

/// Extended constant expressions: arithmetic wraps, operands come off the stack in order.
#[test]
fn constant_expressions_run_on_a_stack() {
    use kiln_abi::const_op::*;
    let mut b = ModuleBuilder::new();
    let g0 = b.global(I32, false, value(i32::MAX as u64));
    // (g0 + 1) * 3 - 2, in i32: wraps.
    b.global(
        I32,
        false,
        expr(&[
            (GLOBAL_GET, g0, 0),
            (VALUE, 0, 1),
            (I32_ADD, 0, 0),
            (VALUE, 0, 3),
            (I32_MUL, 0, 0),
            (VALUE, 0, 2),
            (I32_SUB, 0, 0),
        ]),
    );
    b.global(
        I64,
        false,
        expr(&[(VALUE, 0, 5), (VALUE, 0, 7), (I64_SUB, 0, 0)]),
    );
    // SAFETY: a valid hand-built descriptor.
    let inst = unsafe { Instance::new(b.build(), no_imports) }.unwrap();
    let d = inst.data();
    let expected = (i32::MAX as u32)
        .wrapping_add(1)
        .wrapping_mul(3)
        .wrapping_sub(2);
    assert_eq!(value_bits(&d.vmctx.global(1)), u64::from(expected));
    assert_eq!(value_bits(&d.vmctx.global(2)), 5u64.wrapping_sub(7));
    // Leftover or missing operands are a malformed descriptor, not a crash.
    for ops in [&[(VALUE, 0, 1), (VALUE, 0, 2)][..], &[(I64_ADD, 0, 0)][..]] {
        let mut b = ModuleBuilder::new();
        b.global(I64, false, expr(ops));
        // SAFETY: a descriptor with valid pointers; the bad expression is the point.
        let r = unsafe { Instance::new(b.build(), no_imports) };
        assert!(matches!(r, Err(InstantiationError::Link(m)) if m.contains("malformed")));
    }
    // SAFETY: nothing else refers to the instance.
    unsafe { inst.destroy() };
}

#[test]
fn malformed_descriptors_are_errors() {
    let mut b = ModuleBuilder::new();
    b.global(I32, false, expr(&[(99, 0, 0)]));
    // SAFETY: a descriptor with valid pointers; the bad expression is the point.
    let r = unsafe { Instance::new(b.build(), no_imports) };
    assert!(
        matches!(r, Err(InstantiationError::Link(msg)) if msg.contains("malformed descriptor"))
    );

    let mut b = ModuleBuilder::new();
    b.global(I32, false, global_get(5));
    // SAFETY: as above.
    let r = unsafe { Instance::new(b.build(), no_imports) };
    assert!(matches!(r, Err(InstantiationError::Link(_))));

    let mut b = ModuleBuilder::new();
    b.start = Some(3);
    // SAFETY: as above.
    let r = unsafe { Instance::new(b.build(), no_imports) };
    assert!(matches!(r, Err(InstantiationError::Link(msg)) if msg.contains("start function 3")));

    let mut b = ModuleBuilder::new();
    b.global(I32, false, value(1));
    let desc = b.build();
    let bad: &'static mut ModuleDescriptor = Box::leak(Box::new(ModuleDescriptor {
        abi_version: 99,
        ..*desc
    }));
    // SAFETY: as above.
    let r = unsafe { Instance::new(bad, no_imports) };
    assert!(matches!(r, Err(InstantiationError::Link(msg)) if msg.contains("ABI version 99")));
}

#[test]
fn tables_start_with_their_init_value() {
    let mut b = ModuleBuilder::new();
    let t = b.ty(V_I);
    let f = b.func("answer", answer as *const u8, t);
    let tab = b.table_with_init(FUNCREF, 3, NO_INDEX, ref_func(f));
    b.export("tab", TABLE, tab);
    let ext = b.table(EXTERNREF, 2, NO_INDEX);
    b.export("ext", TABLE, ext);
    // SAFETY: a well-formed hand-built descriptor.
    let inst = unsafe { Instance::new(b.build(), no_imports) }.unwrap();
    let f = funcref_addr(&inst, 0);
    assert_eq!(table_of(&inst, "tab").elements(), &[f, f, f]);
    assert_eq!(table_of(&inst, "tab").max(), None);
    assert_eq!(table_of(&inst, "ext").elements(), &[0, 0]);
    // SAFETY: externref tables work with the same builtins.
    unsafe {
        assert_eq!(kiln_table_grow(inst.vmctx(), 1, 0xdead, 1), 2);
        assert_eq!(kiln_table_fill(inst.vmctx(), 1, 0, 0xbeef, 1), 0);
        assert_eq!(kiln_table_copy(inst.vmctx(), 1, 1, 1, 2, 1), 0);
    }
    assert_eq!(table_of(&inst, "ext").elements(), &[0xbeef, 0xdead, 0xdead]);
}
