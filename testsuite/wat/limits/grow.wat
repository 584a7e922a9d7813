;; Grows its memory by 16 pages (1 MiB) and a table by 100000 elements (800000 bytes
;; against --max-memory), then exits with 1 + 2 * (memory grew) + 4 * (table grew).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (table 0 funcref)
  (func (export "_start")
    (local $status i32)
    (local.set $status (i32.const 1))
    (if (i32.ne (memory.grow (i32.const 16)) (i32.const -1))
      (then (local.set $status (i32.add (local.get $status) (i32.const 2)))))
    (if (i32.ne (table.grow (ref.null func) (i32.const 100000)) (i32.const -1))
      (then (local.set $status (i32.add (local.get $status) (i32.const 4)))))
    (call $exit (local.get $status))))
