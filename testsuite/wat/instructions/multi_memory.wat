;; Multiple memories (Wasm 3.0): loads and stores with a memory index, data segments for
;; memories other than 0, memory.size/grow/fill/init per memory, memory.copy within one
;; memory and between two. Memory 0 is the harness's (WASI output); $a and $b are the
;; module's own, and writes to one never show in another.
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

  (memory $a 2)
  (memory $b 1 3)
  (data (memory $a) (i32.const 10) "hello")
  (data $passive "wasm!")

  (func $_start (export "_start")
    ;; The active segment landed in $a, not in memory 0.
    (call $check_i32 (i32.const 1) (i32.load8_u $a (i32.const 10)) (i32.const 0x68))
    (call $check_i32 (i32.const 2) (i32.load8_u (i32.const 10)) (i32.const 0))
    ;; Stores go to the named memory only.
    (i64.store $b (i32.const 64) (i64.const 0x0123456789abcdef))
    (call $check_i64 (i32.const 3) (i64.load $b (i32.const 64)) (i64.const 0x0123456789abcdef))
    (call $check_i64 (i32.const 4) (i64.load $a (i32.const 64)) (i64.const 0))
    (call $check_i64 (i32.const 5) (i64.load (i32.const 64)) (i64.const 0))
    ;; memory.copy from $a to $b, and within $a (overlapping).
    (memory.copy $b $a (i32.const 100) (i32.const 10) (i32.const 5))
    (call $check_i32 (i32.const 6) (i32.load8_u $b (i32.const 104)) (i32.const 0x6f))
    (memory.copy $a $a (i32.const 11) (i32.const 10) (i32.const 5))
    (call $check_i32 (i32.const 7) (i32.load8_u $a (i32.const 11)) (i32.const 0x68))
    (call $check_i32 (i32.const 8) (i32.load8_u $a (i32.const 15)) (i32.const 0x6f))
    ;; ... and from $b into memory 0.
    (memory.copy 0 $b (i32.const 200) (i32.const 100) (i32.const 5))
    (call $check_i32 (i32.const 9) (i32.load8_u (i32.const 200)) (i32.const 0x68))
    ;; size and grow per memory.
    (call $check_i32 (i32.const 10) (memory.size $a) (i32.const 2))
    (call $check_i32 (i32.const 11) (memory.size $b) (i32.const 1))
    (call $check_i32 (i32.const 12) (memory.grow $b (i32.const 2)) (i32.const 1))
    (call $check_i32 (i32.const 13) (memory.size $b) (i32.const 3))
    (call $check_i32 (i32.const 14) (memory.grow $b (i32.const 1)) (i32.const -1))
    (call $check_i32 (i32.const 15) (memory.size $a) (i32.const 2))
    ;; The grown pages are usable.
    (i32.store $b (i32.const 196604) (i32.const 77))
    (call $check_i32 (i32.const 16) (i32.load $b (i32.const 196604)) (i32.const 77))
    ;; fill and init per memory.
    (memory.fill $a (i32.const 1000) (i32.const 0x5a) (i32.const 16))
    (call $check_i32 (i32.const 17) (i32.load8_u $a (i32.const 1015)) (i32.const 0x5a))
    (call $check_i32 (i32.const 18) (i32.load8_u $a (i32.const 1016)) (i32.const 0))
    (call $check_i32 (i32.const 19) (i32.load8_u $b (i32.const 1000)) (i32.const 0))
    (memory.init $b $passive (i32.const 300) (i32.const 0) (i32.const 5))
    (call $check_i32 (i32.const 20) (i32.load8_u $b (i32.const 304)) (i32.const 0x21))
    (call $check_i32 (i32.const 21) (i32.load8_u $a (i32.const 304)) (i32.const 0))
    (call $ok))
)
