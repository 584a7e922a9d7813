;; memory64 (Wasm 3.0): a 64-bit memory beside the harness's 32-bit memory 0 (WASI needs
;; a 32-bit memory 0), grown to 5 GiB, with i64 addresses past 4 GiB for loads, stores,
;; memory.fill, memory.copy (also into memory 0) and a data segment at an i64 offset.
;; 64-bit memories are always bounds-checked explicitly; see README "Memory64".
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

  (memory $big i64 1)
  (data (memory $big) (i64.const 8) "sixty-four")

  (func $_start (export "_start")
    (call $check_i64 (i32.const 1) (memory.size $big) (i64.const 1))
    (call $check_i32 (i32.const 2) (i32.load8_u $big (i64.const 8)) (i32.const 0x73))
    ;; 5 GiB = 81920 pages: past anything a 32-bit memory can address.
    (call $check_i64 (i32.const 3) (memory.grow $big (i64.const 81919)) (i64.const 1))
    (call $check_i64 (i32.const 4) (memory.size $big) (i64.const 81920))
    (i64.store $big (i64.const 0x13ffffff8) (i64.const 0x1122334455667788))
    (call $check_i64 (i32.const 5) (i64.load $big (i64.const 0x13ffffff8)) (i64.const 0x1122334455667788))
    ;; An address just past 4 GiB, through a static offset on a small address.
    (i32.store $big offset=0x100000000 (i64.const 16) (i32.const 42))
    (call $check_i32 (i32.const 6) (i32.load $big (i64.const 0x100000010)) (i32.const 42))
    ;; The same low 32 bits in the first 4 GiB are a different byte.
    (call $check_i32 (i32.const 7) (i32.load $big (i64.const 16)) (i32.const 0x7275))
    (memory.fill $big (i64.const 0x120000000) (i32.const 0xab) (i64.const 4096))
    (call $check_i32 (i32.const 8) (i32.load8_u $big (i64.const 0x120000fff)) (i32.const 0xab))
    (call $check_i32 (i32.const 9) (i32.load8_u $big (i64.const 0x120001000)) (i32.const 0))
    ;; memory.copy within $big across the 4 GiB line, then into memory 0.
    (memory.copy $big $big (i64.const 0x100000100) (i64.const 8) (i64.const 10))
    (call $check_i32 (i32.const 10) (i32.load8_u $big (i64.const 0x100000109)) (i32.const 0x72))
    (memory.copy 0 $big (i32.const 300) (i64.const 0x100000100) (i32.const 10))
    (call $check_i32 (i32.const 11) (i32.load8_u (i32.const 300)) (i32.const 0x73))
    ;; Growing to the 64 GiB reservation's end fails cleanly: -1, size unchanged.
    (call $check_i64 (i32.const 12) (memory.grow $big (i64.const 0x1000000)) (i64.const -1))
    (call $check_i64 (i32.const 13) (memory.size $big) (i64.const 81920))
    (call $ok))
)
