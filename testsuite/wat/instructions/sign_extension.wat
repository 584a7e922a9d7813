;; Sign-extension operators (rustc emits these for every `as i8` / `as i16`).
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

  (func $i32_8 (param i32) (result i32) (i32.extend8_s (local.get 0)))
  (func $i32_16 (param i32) (result i32) (i32.extend16_s (local.get 0)))
  (func $i64_8 (param i64) (result i64) (i64.extend8_s (local.get 0)))
  (func $i64_16 (param i64) (result i64) (i64.extend16_s (local.get 0)))
  (func $i64_32 (param i64) (result i64) (i64.extend32_s (local.get 0)))

  (func $_start (export "_start")
    (call $check_i32 (i32.const 1) (call $i32_8 (i32.const 0)) (i32.const 0))
    (call $check_i32 (i32.const 2) (call $i32_8 (i32.const 0x7f)) (i32.const 127))
    (call $check_i32 (i32.const 3) (call $i32_8 (i32.const 0x80)) (i32.const -128))
    (call $check_i32 (i32.const 4) (call $i32_8 (i32.const 0xff)) (i32.const -1))
    (call $check_i32 (i32.const 5) (call $i32_8 (i32.const 0x012345ff)) (i32.const -1))
    (call $check_i32 (i32.const 6) (call $i32_8 (i32.const 0xfedcba80)) (i32.const -128))
    (call $check_i32 (i32.const 7) (call $i32_8 (i32.const -1)) (i32.const -1))
    (call $check_i32 (i32.const 8) (call $i32_8 (i32.const 0xffffff7f)) (i32.const 127))
    (call $check_i32 (i32.const 9) (call $i32_16 (i32.const 0x7fff)) (i32.const 32767))
    (call $check_i32 (i32.const 10) (call $i32_16 (i32.const 0x8000)) (i32.const -32768))
    (call $check_i32 (i32.const 11) (call $i32_16 (i32.const 0x12347fff)) (i32.const 32767))
    (call $check_i32 (i32.const 12) (call $i32_16 (i32.const 0xffff8000)) (i32.const -32768))
    (call $check_i32 (i32.const 13) (call $i32_16 (i32.const 0x0000ffff)) (i32.const -1))
    (call $check_i64 (i32.const 14) (call $i64_8 (i64.const 0xff)) (i64.const -1))
    (call $check_i64 (i32.const 15) (call $i64_8 (i64.const 0x7f)) (i64.const 127))
    (call $check_i64 (i32.const 16) (call $i64_8 (i64.const 0x0123456789abcd80)) (i64.const -128))
    (call $check_i64 (i32.const 17) (call $i64_8 (i64.const 0xfedcba9876543200)) (i64.const 0))
    (call $check_i64 (i32.const 18) (call $i64_16 (i64.const 0x8000)) (i64.const -32768))
    (call $check_i64 (i32.const 19) (call $i64_16 (i64.const 0x123456789abc7fff)) (i64.const 32767))
    (call $check_i64 (i32.const 20) (call $i64_16 (i64.const 0xffff)) (i64.const -1))
    (call $check_i64 (i32.const 21) (call $i64_32 (i64.const 0x80000000)) (i64.const -2147483648))
    (call $check_i64 (i32.const 22) (call $i64_32 (i64.const 0x7fffffff)) (i64.const 2147483647))
    (call $check_i64 (i32.const 23) (call $i64_32 (i64.const 0x123456789abcdef0)) (i64.const 0xffffffff9abcdef0))
    (call $check_i64 (i32.const 24) (call $i64_32 (i64.const 0xffffffff00000001)) (i64.const 1))
    (call $check_i64 (i32.const 25) (call $i64_32 (i64.const 0x00000000ffffffff)) (i64.const -1))
    ;; folded forms
    (call $check_i32 (i32.const 26) (i32.extend8_s (i32.const 0x1f0)) (i32.const -16))
    (call $check_i32 (i32.const 27) (i32.extend16_s (i32.const 0x1fff0)) (i32.const -16))
    (call $check_i64 (i32.const 28) (i64.extend32_s (i64.const 0x1fffffff0)) (i64.const -16))
    ;; combined with the other extensions
    (call $check_i64 (i32.const 29) (i64.extend_i32_u (i32.extend8_s (i32.const 0x80))) (i64.const 0xffffff80))
    (call $check_i32 (i32.const 30) (i32.wrap_i64 (i64.extend16_s (i64.const 0x8001))) (i32.const 0xffff8001))
    (call $ok))
)
