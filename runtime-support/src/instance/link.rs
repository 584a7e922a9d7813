//! Linking: signature ids, and each import matched against what the resolver provides
//! (kinds, types with the spec's subtyping, limits, index types, sharing).

use super::names::{extern_kind_of, index_type_name, kind_name, sig_name, valtype_name};
use super::{check_limits, value_from_bits, Desc, Extern, Instance, InstantiationError};
use crate::memory::Memory;
use crate::prelude::*;
use crate::sig_registry;
use crate::table::Table;
use crate::types::{GlobalType, RefType};
use kiln_abi::{
    extern_kind, index_type, BoundsChecks, ImportDesc, VMFuncRef, VMHostFunc, NO_INDEX,
};

impl Instance {
    /// Fills signature ids and imports.
    pub(super) fn link(
        &self,
        d: &Desc,
        resolve: &mut impl FnMut(&ImportDesc) -> Result<Extern, String>,
    ) -> Result<(), InstantiationError> {
        let inst = self.data();
        for (t, ty) in d.types.iter().enumerate() {
            // SAFETY: descriptor slices are valid (Instance::new's contract).
            let (params, results) = unsafe { (ty.params.as_slice(), ty.results.as_slice()) };
            // SAFETY: as above.
            let key = unsafe { ty.key.as_str() };
            let id = sig_registry::intern(params, results, key, ty.trampoline);
            inst.vmctx.set_sig_id(t as u32, id);
        }
        for import in d.imports {
            let ext = resolve(import).map_err(InstantiationError::Link)?;
            self.link_import(d, import, ext)
                .map_err(InstantiationError::Link)?;
        }
        Ok(())
    }

    fn link_import(&self, d: &Desc, import: &ImportDesc, ext: Extern) -> Result<(), String> {
        let inst = self.data();
        let vmctx = &inst.vmctx;
        // SAFETY: descriptor names are UTF-8 (Instance::new's contract).
        let (module, name) = unsafe { (import.module.as_str(), import.name.as_str()) };
        let incompatible =
            |what: String| format!("incompatible import type for `{module}::{name}`: {what}");
        let malformed = || {
            format!(
                "malformed descriptor: import `{module}::{name}` has index {}",
                import.index
            )
        };
        let index = import.index;
        match (import.kind, ext) {
            (extern_kind::FUNC, Extern::Func(_) | Extern::HostFunc(_)) => {
                let f = d.functions.get(index as usize).ok_or_else(malformed)?;
                if f.type_index >= vmctx.counts().types {
                    return Err(malformed());
                }
                let expected = vmctx.sig_id(f.type_index);
                let funcref = match ext {
                    Extern::Func(p) => {
                        // SAFETY: resolver's contract: `p` is a live funcref.
                        let p = unsafe { &*p };
                        if p.sig_id != expected {
                            return Err(incompatible(format!(
                                "expected function type {}, found {}",
                                sig_name(expected),
                                sig_name(p.sig_id)
                            )));
                        }
                        VMFuncRef {
                            fn_ptr: p.fn_ptr,
                            vmctx: p.vmctx,
                            sig_id: p.sig_id,
                            _pad: 0,
                        }
                    }
                    Extern::HostFunc(p) => {
                        // Compiled code calls it through the type's host adapter (see the
                        // `kiln_abi` docs on calling conventions).
                        let adapter = d.types[f.type_index as usize].host_adapter;
                        if adapter.is_null() {
                            return Err(malformed());
                        }
                        let host = inst.host_funcs.get(index as usize).ok_or_else(malformed)?;
                        host.set(VMHostFunc {
                            host_fn: p,
                            vmctx: vmctx.raw(),
                        });
                        VMFuncRef {
                            fn_ptr: adapter,
                            vmctx: host.as_ptr().cast(),
                            sig_id: expected,
                            _pad: 0,
                        }
                    }
                    _ => unreachable!(),
                };
                vmctx.set_funcref(index, funcref);
            }
            (extern_kind::TABLE, Extern::Table(t)) => {
                let td = d.tables.get(index as usize).ok_or_else(malformed)?;
                // SAFETY: resolver's contract: `t` is a live runtime table.
                let t_ref = unsafe { &*t };
                if t_ref.index64() != (td.index_type == index_type::I64) {
                    return Err(incompatible(format!(
                        "expected a table with {} indices, found one with {}",
                        index_type_name(td.index_type == index_type::I64),
                        index_type_name(t_ref.index64())
                    )));
                }
                // SAFETY: descriptor strings are UTF-8 (Instance::new's contract).
                let elem = unsafe { RefType::from_desc(&td.elem) };
                if u32::from(t_ref.elem_type()) == td.elem_type && t_ref.elem() != elem {
                    return Err(incompatible(format!(
                        "expected a table of {}, found one of {}",
                        elem.name(),
                        t_ref.elem().name()
                    )));
                }
                if u32::from(t_ref.elem_type()) != td.elem_type {
                    return Err(incompatible(format!(
                        "expected a table of {}, found one of {}",
                        valtype_name(td.elem_type as u8),
                        valtype_name(t_ref.elem_type())
                    )));
                }
                let declared_max = (td.max != NO_INDEX).then_some(td.max);
                check_limits(
                    t_ref.size().into(),
                    t_ref.max().map(u64::from),
                    td.min.into(),
                    declared_max.map(u64::from),
                )
                .map_err(|e| incompatible(format!("table {e}")))?;
                vmctx.set_table(index, Table::vm(t));
            }
            (extern_kind::MEMORY, Extern::Memory(m)) => {
                let md = d.memories.get(index as usize).ok_or_else(malformed)?;
                // SAFETY: resolver's contract: `m` is a live runtime memory.
                let m_ref = unsafe { &*m };
                if m_ref.index64() != (md.index_type == index_type::I64) {
                    return Err(incompatible(format!(
                        "expected a memory with {} addresses, found one with {}",
                        index_type_name(md.index_type == index_type::I64),
                        index_type_name(m_ref.index64())
                    )));
                }
                if m_ref.shared() != (md.shared != 0) {
                    let sharing = |s: bool| if s { "a shared" } else { "an unshared" };
                    return Err(incompatible(format!(
                        "expected {} memory, found {} one",
                        sharing(md.shared != 0),
                        sharing(m_ref.shared())
                    )));
                }
                let declared_max = (md.max_pages != u64::MAX).then_some(md.max_pages);
                check_limits(m_ref.pages(), m_ref.max_pages(), md.min_pages, declared_max)
                    .map_err(|e| incompatible(format!("memory {e}")))?;
                let guarded = d.bounds_checks == BoundsChecks::Guard as u32 && !m_ref.index64();
                if guarded && !m_ref.has_guard_reservation() {
                    return Err(incompatible(
                        "the memory has a small reservation (explicit bounds checks) but this \
                         module was compiled for guard pages"
                            .to_string(),
                    ));
                }
                vmctx.set_memory(index, Memory::vm(m));
            }
            (extern_kind::GLOBAL, Extern::Global(g, ty)) => {
                let gd = d.globals.get(index as usize).ok_or_else(malformed)?;
                // SAFETY: descriptor strings are UTF-8 (Instance::new's contract).
                let expected = unsafe { GlobalType::from_desc(gd) };
                if !ty.matches(expected) {
                    return Err(incompatible(format!(
                        "expected global {}, found global {}",
                        expected.name(),
                        ty.name()
                    )));
                }
                vmctx.set_global(index, value_from_bits(g as u64));
            }
            (extern_kind::TAG, Extern::Tag(identity, sig_id)) => {
                let td = d.tags.get(index as usize).ok_or_else(malformed)?;
                if td.type_index >= vmctx.counts().types {
                    return Err(malformed());
                }
                let expected = vmctx.sig_id(td.type_index);
                if sig_id != expected {
                    return Err(incompatible(format!(
                        "expected tag type {}, found {}",
                        sig_name(expected),
                        sig_name(sig_id)
                    )));
                }
                vmctx.set_tag(index, identity);
            }
            (kind, ext) => {
                return Err(incompatible(format!(
                    "expected a {}, found a {}",
                    kind_name(kind),
                    kind_name(extern_kind_of(&ext))
                )))
            }
        }
        Ok(())
    }
}
