;; A start function runs once, after the data segments are written and before
;; _start: it sees the data and its effects are visible to _start.
(module
  ;; --- self-check harness (same in every instruction fixture) -------------
  ;; Bytes 0..63 of memory are scratch for the harness; tests use 64 and up.
  ;; On a mismatch: prints "FAIL <check number>" and exits with status 1.
  ;; At the end _start calls $ok, which prints "ok".
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $fail (param $n i32)
    (local $p i32)
    (i32.store (i32.const 16) (i32.const 0x4c494146)) ;; "FAIL"
    (i32.store8 (i32.const 20) (i32.const 0x20))      ;; " "
    (call $write (i32.const 16) (i32.const 5))
    (i32.store8 (i32.const 47) (i32.const 0x0a))
    (local.set $p (i32.const 47))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 0x30) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $write (local.get $p) (i32.sub (i32.const 48) (local.get $p)))
    (call $proc_exit (i32.const 1))
    (unreachable))

  (func $ok
    (i32.store (i32.const 16) (i32.const 0x000a6b6f)) ;; "ok\n"
    (call $write (i32.const 16) (i32.const 3)))

  (func $check_i32 (param $n i32) (param $got i32) (param $want i32)
    (if (i32.ne (local.get $got) (local.get $want)) (then (call $fail (local.get $n)))))
  (func $check_i64 (param $n i32) (param $got i64) (param $want i64)
    (if (i64.ne (local.get $got) (local.get $want)) (then (call $fail (local.get $n)))))
  ;; Floats compare bit patterns, so -0.0 differs from 0.0 and NaN payloads count.
  (func $check_f32 (param $n i32) (param $got f32) (param $want f32)
    (if (i32.ne (i32.reinterpret_f32 (local.get $got)) (i32.reinterpret_f32 (local.get $want)))
      (then (call $fail (local.get $n)))))
  (func $check_f64 (param $n i32) (param $got f64) (param $want f64)
    (if (i64.ne (i64.reinterpret_f64 (local.get $got)) (i64.reinterpret_f64 (local.get $want)))
      (then (call $fail (local.get $n)))))
  ;; Arithmetic NaN results have unspecified sign and payload: only "is NaN" is checked.
  (func $check_nan32 (param $n i32) (param $got f32)
    (if (f32.eq (local.get $got) (local.get $got)) (then (call $fail (local.get $n)))))
  (func $check_nan64 (param $n i32) (param $got f64)
    (if (f64.eq (local.get $got) (local.get $got)) (then (call $fail (local.get $n)))))
  ;; --- end of harness -------------------------------------------------------

  (data (i32.const 128) "\07\00\00\00")
  (global $start_runs (mut i32) (i32.const 0))
  (global $seen_data (mut i32) (i32.const -1))

  (func $init
    (global.set $start_runs (i32.add (global.get $start_runs) (i32.const 1)))
    (global.set $seen_data (i32.load (i32.const 128)))
    (i32.store (i32.const 64) (i32.const 0xc0ffee)))
  (start $init)

  (func $_start (export "_start")
    (call $check_i32 (i32.const 1) (global.get $start_runs) (i32.const 1))
    (call $check_i32 (i32.const 2) (global.get $seen_data) (i32.const 7))
    (call $check_i32 (i32.const 3) (i32.load (i32.const 64)) (i32.const 0xc0ffee))
    (call $ok))
)
