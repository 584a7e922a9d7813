;; Trap fixture: a trap inside a try_table with catch_all is not an exception: it is not
;; caught (the spec's rule), so it ends the program like any trap.
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
    (block $h
      (try_table (catch_all $h) (call $trap_here (i32.const 1))))
    (call $print (i32.const 32) (i32.const 11)))
  (func $trap_here (param $x i32)
    (if (local.get $x) (then (unreachable))))
)
