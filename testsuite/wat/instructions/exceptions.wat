;; Exception handling (Wasm 3.0) and its legacy encoding: throw and catch in one function
;; and across 1000 frames, payloads of every value type, catch_ref/throw_ref rethrowing,
;; catch_all(_ref), exnref in locals, a global and a table, nested try_tables where the
;; inner one does not match, a WASI call inside a try_table (host functions return
;; normally), tail calls out of a try_table, and legacy try/catch/catch_all/rethrow/
;; delegate.
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

  (tag $e_i32 (param i32))
  (tag $e_all (param i32 i64 f32 f64 v128 externref))
  (tag $e_empty)
  (tag $e_other (param i64))
  (global $saved (mut exnref) (ref.null exn))
  (table $exns 2 exnref)

  ;; Throws $e_i32 with `value` after `depth` nested calls.
  (func $dive (param $value i32) (param $depth i32)
    (if (i32.eqz (local.get $depth)) (then (throw $e_i32 (local.get $value))))
    (call $dive (local.get $value) (i32.sub (local.get $depth) (i32.const 1))))

  ;; Catches at its own level, adds 1 to the payload and throws a new exception.
  (func $catch_and_rethrow_plus_one (param $depth i32)
    (call $dive_and_rethrow (local.get $depth)))
  (func $dive_and_rethrow (param $depth i32)
    (local $v i32)
    (local.set $v
      (block $h (result i32)
        (try_table (catch $e_i32 $h)
          (call $dive (i32.const 100) (local.get $depth)))
        (i32.const -1)))
    (throw $e_i32 (i32.add (local.get $v) (i32.const 1))))

  ;; 1000 frames below, caught in the middle (500), rethrown with +1, caught here.
  (func $across_frames (result i32)
    (block $h (result i32)
      (try_table (catch $e_i32 $h)
        (call $nest (i32.const 500)))
      (i32.const -1)))
  (func $nest (param $n i32)
    (if (i32.eqz (local.get $n))
      (then (call $catch_and_rethrow_plus_one (i32.const 500)) (return)))
    (call $nest (i32.sub (local.get $n) (i32.const 1))))

  ;; Every payload type round-trips.
  (func $payloads
    (local $a i32) (local $b i64) (local $c f32) (local $d f64) (local $v v128)
    (local $x externref)
    (block $h (result i32 i64 f32 f64 v128 externref)
      (try_table (catch $e_all $h)
        (throw $e_all (i32.const -7) (i64.const 0x123456789abcdef0) (f32.const -1.5)
          (f64.const 6.25) (v128.const i32x4 1 2 3 0xffffffff) (ref.null extern)))
      (unreachable))
    (local.set $x)
    (local.set $v)
    (local.set $d)
    (local.set $c)
    (local.set $b)
    (local.set $a)
    (call $check_i32 (i32.const 10) (local.get $a) (i32.const -7))
    (call $check_i64 (i32.const 11) (local.get $b) (i64.const 0x123456789abcdef0))
    (call $check_f32 (i32.const 12) (local.get $c) (f32.const -1.5))
    (call $check_f64 (i32.const 13) (local.get $d) (f64.const 6.25))
    (call $check_i32 (i32.const 14) (i32x4.extract_lane 3 (local.get $v)) (i32.const -1))
    (call $check_i32 (i32.const 15) (i32x4.extract_lane 1 (local.get $v)) (i32.const 2))
    (call $check_i32 (i32.const 18) (ref.is_null (local.get $x)) (i32.const 1)))

  ;; catch_ref keeps the exception; throw_ref rethrows it unchanged.
  (func $rethrow_ref (result i32)
    (block $outer (result i32)
      (try_table (catch $e_i32 $outer)
        (block $h (result i32 exnref)
          (try_table (catch_ref $e_i32 $h)
            (throw $e_i32 (i32.const 33)))
          (unreachable))
        (global.set $saved)
        (drop)
        (table.set $exns (i32.const 1) (global.get $saved))
        (throw_ref (table.get $exns (i32.const 1))))
      (i32.const -1)))

  ;; The inner try_table catches only $e_other; the outer one catches all.
  (func $inner_does_not_match (result i32)
    (block $all
      (try_table (catch_all $all)
        (block $other (result i64)
          (try_table (catch $e_other $other)
            (throw $e_empty))
          (return (i32.const -1)))
        (return (i32.const -2))))
    (i32.const 5))

  ;; catch_all_ref gives an exnref of an exception whose tag carries no payload.
  (func $catch_all_ref_is_not_null (result i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call $throw_empty))
      (return (i32.const -1)))
    (ref.is_null)
    (i32.eqz))
  (func $throw_empty (throw $e_empty))

  ;; A WASI call inside a try_table returns normally.
  (func $wasi_in_try (result i32)
    (block $h
      (try_table (catch_all $h)
        (return (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))))
    (i32.const -1))

  ;; A tail call leaves the try_table's frame: the callee's exception reaches our caller.
  (func $tail_from_try
    (block $h (try_table (catch_all $h) (return_call $throw_empty))))
  (func $tail_call_escapes (result i32)
    (block $h
      (try_table (catch $e_empty $h) (call $tail_from_try))
      (return (i32.const -1)))
    (i32.const 8))

  ;; Legacy encoding (flat: the text format's folded `try` is not parsed by the tools).
  (func $legacy_catch (param $which i32) (result i32)
    try (result i32)
      (if (i32.eqz (local.get $which)) (then (throw $e_i32 (i32.const 21))))
      (if (i32.eq (local.get $which) (i32.const 1)) (then (call $throw_empty)))
      (i32.const 0)
    catch $e_i32
      (i32.add (i32.const 1))
    catch_all
      (i32.const 50)
    end)
  (func $legacy_rethrow (result i32)
    try (result i32)
      try
        (throw $e_i32 (i32.const 70))
      catch $e_i32
        drop
        rethrow 0
      end
      (i32.const -1)
    catch $e_i32
    end)
  (func $legacy_delegate (result i32)
    try $outer (result i32)
      try (result i32)
        try
          (call $dive (i32.const 90) (i32.const 10))
        delegate $outer
        (i32.const -1)
      catch_all
        (i32.const -2)
      end
    catch $e_i32
    end)

  (func (export "_start")
    (call $check_i32 (i32.const 1) (call $across_frames) (i32.const 101))
    (call $payloads)
    (call $check_i32 (i32.const 2) (call $rethrow_ref) (i32.const 33))
    (call $check_i32 (i32.const 3) (call $inner_does_not_match) (i32.const 5))
    (call $check_i32 (i32.const 4) (call $catch_all_ref_is_not_null) (i32.const 1))
    (call $check_i32 (i32.const 5) (call $wasi_in_try) (i32.const 0))
    (call $check_i32 (i32.const 6) (call $tail_call_escapes) (i32.const 8))
    (call $check_i32 (i32.const 7) (call $legacy_catch (i32.const 0)) (i32.const 22))
    (call $check_i32 (i32.const 8) (call $legacy_catch (i32.const 1)) (i32.const 50))
    (call $check_i32 (i32.const 9) (call $legacy_catch (i32.const 2)) (i32.const 0))
    (call $check_i32 (i32.const 16) (call $legacy_rethrow) (i32.const 70))
    (call $check_i32 (i32.const 17) (call $legacy_delegate) (i32.const 90))
    (call $ok))
)
