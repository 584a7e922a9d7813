;; Imports one WASI function the runtime provides, one it does not, and
;; things from two other modules. Compiling must fail and name every missing
;; import (and not the one that exists).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "kiln_no_such_call" (func $nope (param i32) (result i32)))
  (import "env" "host_callback" (func $cb (param i32)))
  (import "other_module" "shared_counter" (global $g (mut i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $cb (call $nope (global.get $g))))
)
