;; Trap fixture: call_ref on a null typed function reference.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "start\n")
  (data (i32.const 32) "after trap\n")
  (type $unop (func (param i32) (result i32)))
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $_start (export "_start")
    (call $print (i32.const 16) (i32.const 6))
    (drop (call $trap_here (ref.null $unop)))
    (call $print (i32.const 32) (i32.const 11)))
  (func $trap_here (param $f (ref null $unop)) (result i32)
    (call_ref $unop (i32.const 1) (local.get $f)))
)
