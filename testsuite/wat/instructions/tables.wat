;; Tables and reference types: ref.null / ref.is_null / ref.func, table.get /
;; set / size / grow / fill / copy / init, elem.drop, active, passive and
;; declarative element segments (function and expression forms), funcref
;; globals, an externref table and externref parameters, two tables.
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

  (type $v_i (func (result i32)))
  (func $f0 (type $v_i) (i32.const 100))
  (func $f1 (type $v_i) (i32.const 101))
  (func $f2 (type $v_i) (i32.const 102))
  (func $f3 (type $v_i) (i32.const 103))
  (func $f4 (type $v_i) (i32.const 104))
  (func $f5 (type $v_i) (i32.const 105))

  (table $ft 10 20 funcref)
  (elem (table $ft) (i32.const 0) func $f0 $f1 $f2)
  (table $t2 4 funcref)
  (elem (table $t2) (i32.const 1) funcref (ref.func $f5) (ref.null func) (ref.func $f4))
  (table $et 4 externref)
  (elem $passive func $f3 $f4)
  (elem $passive_exprs funcref (ref.null func) (ref.func $f2))
  (elem declare func $f5)

  (global $gf (mut funcref) (ref.func $f4))
  (global $gnull funcref (ref.null func))

  (func $call (param $i i32) (result i32) (call_indirect $ft (type $v_i) (local.get $i)))
  (func $call_t2 (param $i i32) (result i32) (call_indirect $t2 (type $v_i) (local.get $i)))
  (func $is_null_at (param $i i32) (result i32) (ref.is_null (table.get $ft (local.get $i))))
  (func $pass_extern (param $r externref) (result externref) (local.get $r))
  (func $is_null_func (param $r funcref) (result i32) (ref.is_null (local.get $r)))

  (func $_start (export "_start")
    ;; initial contents from active segments
    (call $check_i32 (i32.const 1) (table.size $ft) (i32.const 10))
    (call $check_i32 (i32.const 2) (call $call (i32.const 0)) (i32.const 100))
    (call $check_i32 (i32.const 3) (call $call (i32.const 2)) (i32.const 102))
    (call $check_i32 (i32.const 4) (call $is_null_at (i32.const 2)) (i32.const 0))
    (call $check_i32 (i32.const 5) (call $is_null_at (i32.const 3)) (i32.const 1))
    (call $check_i32 (i32.const 6) (call $is_null_at (i32.const 9)) (i32.const 1))
    (call $check_i32 (i32.const 7) (call $call_t2 (i32.const 1)) (i32.const 105))
    (call $check_i32 (i32.const 8) (call $call_t2 (i32.const 3)) (i32.const 104))
    (call $check_i32 (i32.const 9) (ref.is_null (table.get $t2 (i32.const 0))) (i32.const 1))
    (call $check_i32 (i32.const 10) (ref.is_null (table.get $t2 (i32.const 2))) (i32.const 1))

    ;; ref.null / ref.is_null / ref.func
    (call $check_i32 (i32.const 11) (ref.is_null (ref.null func)) (i32.const 1))
    (call $check_i32 (i32.const 12) (ref.is_null (ref.null extern)) (i32.const 1))
    (call $check_i32 (i32.const 13) (ref.is_null (ref.func $f5)) (i32.const 0))
    (call $check_i32 (i32.const 14) (call $is_null_func (ref.func $f0)) (i32.const 0))
    (call $check_i32 (i32.const 15) (call $is_null_func (global.get $gnull)) (i32.const 1))

    ;; table.set / table.get
    (table.set $ft (i32.const 5) (ref.func $f5))
    (call $check_i32 (i32.const 16) (call $call (i32.const 5)) (i32.const 105))
    (table.set $ft (i32.const 5) (table.get $ft (i32.const 1)))
    (call $check_i32 (i32.const 17) (call $call (i32.const 5)) (i32.const 101))
    (table.set $ft (i32.const 5) (ref.null func))
    (call $check_i32 (i32.const 18) (call $is_null_at (i32.const 5)) (i32.const 1))
    ;; funcref globals
    (table.set $ft (i32.const 4) (global.get $gf))
    (call $check_i32 (i32.const 19) (call $call (i32.const 4)) (i32.const 104))
    (global.set $gf (ref.null func))
    (call $check_i32 (i32.const 20) (ref.is_null (global.get $gf)) (i32.const 1))
    (call $check_i32 (i32.const 21) (call $call (i32.const 4)) (i32.const 104))
    (global.set $gf (table.get $t2 (i32.const 1)))
    (table.set $ft (i32.const 4) (global.get $gf))
    (call $check_i32 (i32.const 22) (call $call (i32.const 4)) (i32.const 105))

    ;; table.fill
    (table.fill $ft (i32.const 6) (ref.func $f1) (i32.const 3))
    (call $check_i32 (i32.const 23) (call $call (i32.const 6)) (i32.const 101))
    (call $check_i32 (i32.const 24) (call $call (i32.const 8)) (i32.const 101))
    (call $check_i32 (i32.const 25) (call $is_null_at (i32.const 9)) (i32.const 1))
    (table.fill $ft (i32.const 10) (ref.null func) (i32.const 0))

    ;; table.copy within a table, overlapping (destination above source)
    (table.copy $ft $ft (i32.const 1) (i32.const 0) (i32.const 3))
    (call $check_i32 (i32.const 26) (call $call (i32.const 1)) (i32.const 100))
    (call $check_i32 (i32.const 27) (call $call (i32.const 2)) (i32.const 101))
    (call $check_i32 (i32.const 28) (call $call (i32.const 3)) (i32.const 102))
    (call $check_i32 (i32.const 29) (call $call (i32.const 0)) (i32.const 100))
    ;; overlapping (destination below source)
    (table.copy $ft $ft (i32.const 0) (i32.const 2) (i32.const 2))
    (call $check_i32 (i32.const 30) (call $call (i32.const 0)) (i32.const 101))
    (call $check_i32 (i32.const 31) (call $call (i32.const 1)) (i32.const 102))
    ;; between tables
    (table.copy $t2 $ft (i32.const 0) (i32.const 1) (i32.const 1))
    (call $check_i32 (i32.const 32) (call $call_t2 (i32.const 0)) (i32.const 102))
    (table.copy $ft $t2 (i32.const 9) (i32.const 3) (i32.const 1))
    (call $check_i32 (i32.const 33) (call $call (i32.const 9)) (i32.const 104))

    ;; table.grow / table.size, up to the maximum of 20
    (call $check_i32 (i32.const 34) (table.grow $ft (ref.null func) (i32.const 5)) (i32.const 10))
    (call $check_i32 (i32.const 35) (table.size $ft) (i32.const 15))
    (call $check_i32 (i32.const 36) (call $is_null_at (i32.const 14)) (i32.const 1))
    (call $check_i32 (i32.const 37) (table.grow $ft (ref.null func) (i32.const 10)) (i32.const -1))
    (call $check_i32 (i32.const 38) (table.size $ft) (i32.const 15))
    (call $check_i32 (i32.const 39) (table.grow $ft (ref.func $f3) (i32.const 5)) (i32.const 15))
    (call $check_i32 (i32.const 40) (table.size $ft) (i32.const 20))
    (call $check_i32 (i32.const 41) (call $call (i32.const 19)) (i32.const 103))
    (call $check_i32 (i32.const 42) (table.grow $ft (ref.null func) (i32.const 1)) (i32.const -1))
    (call $check_i32 (i32.const 43) (table.grow $ft (ref.null func) (i32.const 0)) (i32.const 20))
    (call $check_i32 (i32.const 44) (table.grow $t2 (ref.func $f0) (i32.const 2)) (i32.const 4))
    (call $check_i32 (i32.const 45) (call $call_t2 (i32.const 5)) (i32.const 100))

    ;; table.init from passive segments, elem.drop
    (table.init $ft $passive (i32.const 12) (i32.const 0) (i32.const 2))
    (call $check_i32 (i32.const 46) (call $call (i32.const 12)) (i32.const 103))
    (call $check_i32 (i32.const 47) (call $call (i32.const 13)) (i32.const 104))
    (table.init $ft $passive (i32.const 10) (i32.const 1) (i32.const 1))
    (call $check_i32 (i32.const 48) (call $call (i32.const 10)) (i32.const 104))
    (table.init $ft $passive_exprs (i32.const 16) (i32.const 0) (i32.const 2))
    (call $check_i32 (i32.const 49) (call $is_null_at (i32.const 16)) (i32.const 1))
    (call $check_i32 (i32.const 50) (call $call (i32.const 17)) (i32.const 102))
    (elem.drop $passive)
    (table.init $ft $passive (i32.const 0) (i32.const 0) (i32.const 0))
    (table.init $ft $passive (i32.const 20) (i32.const 0) (i32.const 0))
    (call $check_i32 (i32.const 51) (call $call (i32.const 12)) (i32.const 103))

    ;; externref table and values
    (call $check_i32 (i32.const 52) (table.size $et) (i32.const 4))
    (call $check_i32 (i32.const 53) (ref.is_null (table.get $et (i32.const 0))) (i32.const 1))
    (call $check_i32 (i32.const 54) (table.grow $et (ref.null extern) (i32.const 3)) (i32.const 4))
    (call $check_i32 (i32.const 55) (table.size $et) (i32.const 7))
    (table.fill $et (i32.const 0) (ref.null extern) (i32.const 7))
    (table.set $et (i32.const 6) (call $pass_extern (ref.null extern)))
    (call $check_i32 (i32.const 56) (ref.is_null (table.get $et (i32.const 6))) (i32.const 1))
    (call $check_i32 (i32.const 57) (ref.is_null (call $pass_extern (table.get $et (i32.const 2)))) (i32.const 1))
    (call $ok))
)
