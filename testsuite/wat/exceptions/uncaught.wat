;; An exception no wasm frame catches: `_start` prints "start", calls a function that
;; throws the exported tag `boom` from 100 frames down, through a try_table that only
;; catches another tag, and would print "after throw" if execution went on.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "start\n")
  (data (i32.const 32) "after throw\n")
  (tag $boom (export "boom") (param i32))
  (tag $other)
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $_start (export "_start")
    (call $print (i32.const 16) (i32.const 6))
    (block $h
      (try_table (catch $other $h) (call $throw_here (i32.const 100))))
    (call $print (i32.const 32) (i32.const 12)))
  (func $throw_here (param $depth i32)
    (if (i32.eqz (local.get $depth)) (then (throw $boom (i32.const 1))))
    (call $throw_here (i32.sub (local.get $depth) (i32.const 1))))
)
