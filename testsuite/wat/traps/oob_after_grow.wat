;; Trap fixture: memory grown from 1 to 2 pages: the new page works, the byte after it traps.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 2)
  (data (i32.const 16) "start\n")
  (data (i32.const 32) "after trap\n")
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $_start (export "_start")
    (call $print (i32.const 16) (i32.const 6))
    (drop (call $trap_here (i32.const 131068)))
    (call $print (i32.const 32) (i32.const 11)))
  (func $trap_here (param $addr i32) (result i32)
    (if (i32.ne (memory.grow (i32.const 1)) (i32.const 1)) (then (return (i32.const -1))))
    ;; the last word of the new page is accessible...
    (i32.store (local.get $addr) (i32.const 0x01020304))
    (if (i32.ne (i32.load (local.get $addr)) (i32.const 0x01020304)) (then (return (i32.const -2))))
    ;; ...and a load reaching one byte past it is not (the maximum is 2 pages)
    (i32.load offset=1 (local.get $addr)))
)
