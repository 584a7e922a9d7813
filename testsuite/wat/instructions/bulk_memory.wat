;; Bulk memory: memory.fill, memory.copy (overlapping in both directions, large,
;; zero-length at the very end), memory.init from passive segments, data.drop,
;; and active segments applied in order (a later one overwrites an earlier one).
(module
    ;; --- self-check harness (same in every instruction fixture) -------------
  ;; Bytes 0..63 of memory are scratch for the harness; tests use 64 and up.
  ;; On a mismatch: prints "FAIL <check number>" and exits with status 1.
  ;; At the end _start calls $ok, which prints "ok".
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)

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

  (data $greeting "hello, world")
  (data $digits "0123456789")
  (data (i32.const 1000) "abcdef")
  (data (i32.const 1002) "XY")
  (data $active_then_dropped (i32.const 1100) "zz")

  (func $fill (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func $copy (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func $init_greeting (param i32 i32 i32) (memory.init $greeting (local.get 0) (local.get 1) (local.get 2)))
  (func $u8 (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func $write_1_to_8 (param $at i32)
    (i64.store (local.get $at) (i64.const 0x0807060504030201)))

  (func $_start (export "_start")
    (local $i i32) (local $sum i32)
    ;; active segments, in order
    (call $check_i32 (i32.const 1) (i32.load (i32.const 1000)) (i32.const 0x59586261)) ;; "abXY"
    (call $check_i32 (i32.const 2) (i32.load16_u (i32.const 1004)) (i32.const 0x6665))  ;; "ef"
    (call $check_i32 (i32.const 3) (i32.load16_u (i32.const 1100)) (i32.const 0x7a7a))

    ;; memory.fill: only the requested bytes, value truncated to 8 bits
    (call $fill (i32.const 100) (i32.const 0xab) (i32.const 10))
    (call $check_i32 (i32.const 4) (call $u8 (i32.const 99)) (i32.const 0))
    (call $check_i32 (i32.const 5) (call $u8 (i32.const 100)) (i32.const 0xab))
    (call $check_i32 (i32.const 6) (call $u8 (i32.const 109)) (i32.const 0xab))
    (call $check_i32 (i32.const 7) (call $u8 (i32.const 110)) (i32.const 0))
    (call $fill (i32.const 120) (i32.const 0x1234) (i32.const 4))
    (call $check_i32 (i32.const 8) (i32.load (i32.const 120)) (i32.const 0x34343434))
    (call $fill (i32.const 130) (i32.const 0xff) (i32.const 0))
    (call $check_i32 (i32.const 9) (call $u8 (i32.const 130)) (i32.const 0))

    ;; memory.copy, no overlap
    (call $write_1_to_8 (i32.const 160))
    (call $copy (i32.const 180) (i32.const 160) (i32.const 8))
    (call $check_i64 (i32.const 10) (i64.load (i32.const 180)) (i64.const 0x0807060504030201))
    ;; overlap, destination above source (must copy backwards)
    (call $write_1_to_8 (i32.const 200))
    (call $copy (i32.const 202) (i32.const 200) (i32.const 6))
    (call $check_i64 (i32.const 11) (i64.load (i32.const 200)) (i64.const 0x0605040302010201))
    ;; overlap, destination below source (must copy forwards)
    (call $write_1_to_8 (i32.const 300))
    (call $copy (i32.const 300) (i32.const 302) (i32.const 6))
    (call $check_i64 (i32.const 12) (i64.load (i32.const 300)) (i64.const 0x0807080706050403))
    ;; copy onto itself
    (call $copy (i32.const 300) (i32.const 300) (i32.const 8))
    (call $check_i64 (i32.const 13) (i64.load (i32.const 300)) (i64.const 0x0807080706050403))

    ;; large overlapping copies across the page boundary
    (local.set $i (i32.const 0))
    (loop $pattern
      (i32.store8 offset=40000 (local.get $i) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $pattern (i32.lt_u (local.get $i) (i32.const 50000))))
    (call $copy (i32.const 40001) (i32.const 40000) (i32.const 50000))
    (call $check_i32 (i32.const 14) (call $u8 (i32.const 40000)) (i32.const 0))
    (call $check_i32 (i32.const 15) (call $u8 (i32.const 40001)) (i32.const 0))
    (call $check_i32 (i32.const 16) (call $u8 (i32.const 40002)) (i32.const 1))
    (call $check_i32 (i32.const 17) (call $u8 (i32.const 90000)) (i32.const 0x4f)) ;; (49999 & 0xff)
    (call $check_i32 (i32.const 18) (call $u8 (i32.const 70001)) (i32.const 0x30)) ;; (30000 & 0xff)
    (call $copy (i32.const 39990) (i32.const 40001) (i32.const 50000))
    (call $check_i32 (i32.const 19) (call $u8 (i32.const 39990)) (i32.const 0))
    (call $check_i32 (i32.const 20) (call $u8 (i32.const 39991)) (i32.const 1))
    (call $check_i32 (i32.const 21) (call $u8 (i32.const 89989)) (i32.const 0x4f))
    (call $check_i32 (i32.const 22) (call $u8 (i32.const 89990)) (i32.const 0x45)) ;; untouched: holds byte 89989 of the first copy
    (call $fill (i32.const 39990) (i32.const 0) (i32.const 60000))
    (call $check_i64 (i32.const 23) (i64.load (i32.const 65530)) (i64.const 0))

    ;; zero-length operations exactly at the end of memory are allowed
    (call $copy (i32.const 131072) (i32.const 0) (i32.const 0))
    (call $copy (i32.const 0) (i32.const 131072) (i32.const 0))
    (call $fill (i32.const 131072) (i32.const 1) (i32.const 0))
    (call $init_greeting (i32.const 131072) (i32.const 0) (i32.const 0))
    ;; filling the last bytes of memory
    (call $fill (i32.const 131068) (i32.const 0x77) (i32.const 4))
    (call $check_i32 (i32.const 24) (i32.load (i32.const 131068)) (i32.const 0x77777777))

    ;; memory.init from passive segments, repeatedly, with offsets
    (call $init_greeting (i32.const 400) (i32.const 7) (i32.const 5))
    (call $check_i32 (i32.const 25) (i32.load (i32.const 400)) (i32.const 0x6c726f77)) ;; "worl"
    (call $check_i32 (i32.const 26) (call $u8 (i32.const 404)) (i32.const 0x64))       ;; "d"
    (call $check_i32 (i32.const 27) (call $u8 (i32.const 405)) (i32.const 0))
    (call $init_greeting (i32.const 410) (i32.const 0) (i32.const 5))
    (call $check_i32 (i32.const 28) (i32.load (i32.const 410)) (i32.const 0x6c6c6568)) ;; "hell"
    (call $init_greeting (i32.const 420) (i32.const 12) (i32.const 0))
    (memory.init $digits (i32.const 430) (i32.const 8) (i32.const 2))
    (call $check_i32 (i32.const 29) (i32.load16_u (i32.const 430)) (i32.const 0x3938))
    ;; data.drop: afterwards only zero-length inits are allowed (a non-zero one traps;
    ;; that is tested in the trap fixtures)
    (data.drop $digits)
    (memory.init $digits (i32.const 440) (i32.const 0) (i32.const 0))
    (data.drop $digits)
    ;; dropping an active segment is allowed and does not touch memory
    (data.drop $active_then_dropped)
    (call $check_i32 (i32.const 30) (i32.load16_u (i32.const 1100)) (i32.const 0x7a7a))
    ;; the greeting segment is still intact
    (call $init_greeting (i32.const 450) (i32.const 0) (i32.const 12))
    (local.set $i (i32.const 450))
    (loop $sum_loop
      (local.set $sum (i32.add (local.get $sum) (call $u8 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $sum_loop (i32.lt_u (local.get $i) (i32.const 462))))
    (call $check_i32 (i32.const 31) (local.get $sum) (i32.const 1160))
    (call $ok))
)
