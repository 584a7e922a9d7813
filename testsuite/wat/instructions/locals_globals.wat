;; Locals (zero-initialised, tee, many live at once) and globals: immutable and
;; mutable, all four number types, exported, shared across calls.
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

  (global $answer (export "answer") i32 (i32.const 42))
  (global $big i64 (i64.const 0x123456789abcdef0))
  (global $half f32 (f32.const -1.5))
  (global $three f64 (f64.const 0x1.8p+1))
  (global $counter (export "counter") (mut i32) (i32.const 0))
  (global $acc64 (mut i64) (i64.const -1))
  (global $accf32 (mut f32) (f32.const 0))
  (global $accf64 (mut f64) (f64.const 0.5))

  (func $zero_i32 (result i32) (local i32) (local.get 0))
  (func $zero_i64 (result i64) (local i64) (local.get 0))
  (func $zero_f32 (result f32) (local f32) (local.get 0))
  (func $zero_f64 (result f64) (local f64) (local.get 0))
  ;; locals start at zero on every call, whatever the previous call left
  (func $dirty (param $x i32) (result i32) (local $l i32)
    (local.set $l (i32.add (local.get $l) (local.get $x)))
    (local.get $l))
  (func $tee (param $x i32) (result i32) (local $y i32)
    (i32.add (local.tee $y (i32.mul (local.get $x) (i32.const 3))) (local.get $y)))
  ;; parameters are ordinary locals
  (func $param_set (param $x i64) (result i64)
    (local.set $x (i64.add (local.get $x) (i64.const 1)))
    (local.get $x))
  (func $bump
    (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  ;; more values live at once than there are registers
  (func $many_locals (param $seed i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32)
    (local $f i32) (local $g i32) (local $h i32) (local $i i32) (local $j i32)
    (local $k i32) (local $l i32) (local $m i32) (local $n i32) (local $o i32)
    (local $p i32) (local $q i32) (local $r i32) (local $s i32) (local $t i32)
    (local $x i64) (local $y f64)
    (local.set $a (i32.add (local.get $seed) (i32.const 1)))
    (local.set $b (i32.mul (local.get $a) (i32.const 2)))
    (local.set $c (i32.add (local.get $b) (i32.const 3)))
    (local.set $d (i32.mul (local.get $c) (i32.const 4)))
    (local.set $e (i32.add (local.get $d) (i32.const 5)))
    (local.set $f (i32.mul (local.get $e) (i32.const 6)))
    (local.set $g (i32.add (local.get $f) (i32.const 7)))
    (local.set $h (i32.mul (local.get $g) (i32.const 8)))
    (local.set $i (i32.add (local.get $h) (i32.const 9)))
    (local.set $j (i32.mul (local.get $i) (i32.const 10)))
    (local.set $k (i32.add (local.get $j) (i32.const 11)))
    (local.set $l (i32.mul (local.get $k) (i32.const 12)))
    (local.set $m (i32.add (local.get $l) (i32.const 13)))
    (local.set $n (i32.mul (local.get $m) (i32.const 14)))
    (local.set $o (i32.add (local.get $n) (i32.const 15)))
    (local.set $p (i32.mul (local.get $o) (i32.const 16)))
    (local.set $q (i32.add (local.get $p) (i32.const 17)))
    (local.set $r (i32.mul (local.get $q) (i32.const 18)))
    (local.set $s (i32.add (local.get $r) (i32.const 19)))
    (local.set $t (i32.mul (local.get $s) (i32.const 20)))
    (local.set $x (i64.extend_i32_u (local.get $t)))
    (local.set $y (f64.convert_i32_s (local.get $a)))
    (i32.add
      (i32.add
        (i32.add (i32.add (local.get $a) (local.get $b)) (i32.add (local.get $c) (local.get $d)))
        (i32.add (i32.add (local.get $e) (local.get $f)) (i32.add (local.get $g) (local.get $h))))
      (i32.add
        (i32.add
          (i32.add (i32.add (local.get $i) (local.get $j)) (i32.add (local.get $k) (local.get $l)))
          (i32.add (i32.add (local.get $m) (local.get $n)) (i32.add (local.get $o) (local.get $p))))
        (i32.add
          (i32.add (i32.add (local.get $q) (local.get $r)) (i32.add (local.get $s) (local.get $t)))
          (i32.add (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 1)))
                   (i32.trunc_f64_s (local.get $y)))))))

  (func $_start (export "_start")
    (local $i i32)
    (local $l64 i64)
    (local $lf32 f32)
    (local $lf64 f64)
    ;; zero-initialised locals of every type (+0.0, not -0.0)
    (call $check_i32 (i32.const 1) (call $zero_i32) (i32.const 0))
    (call $check_i64 (i32.const 2) (call $zero_i64) (i64.const 0))
    (call $check_f32 (i32.const 3) (call $zero_f32) (f32.const 0))
    (call $check_f64 (i32.const 4) (call $zero_f64) (f64.const 0))
    (call $check_i64 (i32.const 5) (local.get $l64) (i64.const 0))
    (call $check_f32 (i32.const 6) (local.get $lf32) (f32.const 0))
    (call $check_f64 (i32.const 7) (local.get $lf64) (f64.const 0))
    (call $check_i32 (i32.const 8) (call $dirty (i32.const 5)) (i32.const 5))
    (call $check_i32 (i32.const 9) (call $dirty (i32.const 7)) (i32.const 7))
    (call $check_i32 (i32.const 10) (call $tee (i32.const 5)) (i32.const 30))
    (call $check_i64 (i32.const 11) (call $param_set (i64.const 0xffffffff)) (i64.const 0x100000000))
    (call $check_i32 (i32.const 12) (call $many_locals (i32.const 1)) (i32.const 2022499301))
    (call $check_i32 (i32.const 13) (call $many_locals (i32.const -1)) (i32.const 2972479737))
    (local.set $lf32 (f32.const -0.0))
    (call $check_f32 (i32.const 14) (local.get $lf32) (f32.const -0.0))
    (call $check_f64 (i32.const 15) (local.tee $lf64 (f64.const 2.5)) (f64.const 2.5))
    (call $check_f64 (i32.const 16) (local.get $lf64) (f64.const 2.5))

    ;; immutable globals
    (call $check_i32 (i32.const 17) (global.get $answer) (i32.const 42))
    (call $check_i64 (i32.const 18) (global.get $big) (i64.const 0x123456789abcdef0))
    (call $check_f32 (i32.const 19) (global.get $half) (f32.const -1.5))
    (call $check_f64 (i32.const 20) (global.get $three) (f64.const 3))
    ;; mutable globals, updated here and by a callee
    (call $check_i32 (i32.const 21) (global.get $counter) (i32.const 0))
    (call $bump)
    (call $bump)
    (call $check_i32 (i32.const 22) (global.get $counter) (i32.const 2))
    (local.set $i (i32.const 0))
    (loop $l
      (call $bump)
      (global.set $acc64 (i64.add (global.get $acc64) (i64.const 0x100000000)))
      (global.set $accf32 (f32.add (global.get $accf32) (f32.const 0.25)))
      (global.set $accf64 (f64.mul (global.get $accf64) (f64.const 2)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
    (call $check_i32 (i32.const 23) (global.get $counter) (i32.const 12))
    (call $check_i64 (i32.const 24) (global.get $acc64) (i64.const 0x9ffffffff))
    (call $check_f32 (i32.const 25) (global.get $accf32) (f32.const 2.5))
    (call $check_f64 (i32.const 26) (global.get $accf64) (f64.const 512))
    (global.set $accf32 (f32.const -0.0))
    (call $check_f32 (i32.const 27) (global.get $accf32) (f32.const -0.0))
    (global.set $accf64 (f64.reinterpret_i64 (i64.const 0x7ff4000000000001)))
    (call $check_i64 (i32.const 28) (i64.reinterpret_f64 (global.get $accf64)) (i64.const 0x7ff4000000000001))
    (global.set $acc64 (i64.const 0x8000000000000000))
    (call $check_i64 (i32.const 29) (global.get $acc64) (i64.const 0x8000000000000000))
    (call $ok))
)
