;; Trap fixture: i32.div_u by zero in a function reached by a tail call. $middle's
;; frame is gone when $trap_here traps, and the trap names $trap_here.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "start\n")
  (data (i32.const 32) "after trap\n")
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $_start (export "_start")
    (call $print (i32.const 16) (i32.const 6))
    (drop (call $middle (i32.const 7) (i32.const 0)))
    (call $print (i32.const 32) (i32.const 11)))
  (func $trap_here (param $a i32) (param $b i32) (result i32)
    (i32.div_u (local.get $a) (local.get $b)))
  (func $middle (param $a i32) (param $b i32) (result i32)
    (return_call $trap_here (local.get $a) (local.get $b)))
)
