;; Typed function references (Wasm 3.0): call_ref and return_call_ref through typed
;; references held in locals, globals, typed tables (with an initialiser expression) and
;; passed as arguments; ref.as_non_null, br_on_null and br_on_non_null; non-nullable
;; locals, set before use.
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

  (type $binop (func (param i32 i32) (result i32)))
  (type $unop (func (param i32) (result i32)))
  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $double (type $unop) (i32.shl (local.get 0) (i32.const 1)))
  (elem declare func $add $sub $double $countdown)

  ;; A non-nullable global and a typed table filled by its initialiser.
  (global $op (ref $binop) (ref.func $add))
  (global $maybe (mut (ref null $unop)) (ref.null $unop))
  (table $ops 4 (ref $binop) (ref.func $sub))

  ;; Applies a typed reference it is given.
  (func $apply (param $f (ref $binop)) (param $a i32) (param $b i32) (result i32)
    (call_ref $binop (local.get $a) (local.get $b) (local.get $f)))

  ;; 1 if the nullable reference is null (br_on_null), else f(x).
  (func $try_unop (param $f (ref null $unop)) (param $x i32) (result i32)
    (block $null
      (return (call_ref $unop (local.get $x) (br_on_null $null (local.get $f)))))
    (i32.const -1))

  ;; br_on_non_null leaves the block with the non-null reference.
  (func $or_double (param $f (ref null $unop)) (result (ref $unop))
    (block $some (result (ref $unop))
      (br_on_non_null $some (local.get $f))
      (ref.func $double)))

  ;; return_call_ref: 10^6 steps in constant stack.
  (type $count_t (func (param i32 i64) (result i64)))
  (func $countdown (type $count_t) (param $n i32) (param $acc i64) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else
        (return_call_ref $count_t
          (i32.sub (local.get $n) (i32.const 1))
          (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n)))
          (ref.func $countdown)))))

  (func $_start (export "_start")
    (local $f (ref $binop))
    (local.set $f (ref.func $sub))
    (call $check_i32 (i32.const 1) (call $apply (global.get $op) (i32.const 40) (i32.const 2)) (i32.const 42))
    (call $check_i32 (i32.const 2) (call $apply (local.get $f) (i32.const 40) (i32.const 2)) (i32.const 38))
    (call $check_i32 (i32.const 3)
      (call_ref $binop (i32.const 9) (i32.const 4) (table.get $ops (i32.const 3))) (i32.const 5))
    (table.set $ops (i32.const 0) (ref.func $add))
    (call $check_i32 (i32.const 4)
      (call $apply (table.get $ops (i32.const 0)) (i32.const 9) (i32.const 4)) (i32.const 13))
    (call $check_i32 (i32.const 5) (call $try_unop (global.get $maybe) (i32.const 7)) (i32.const -1))
    (global.set $maybe (ref.func $double))
    (call $check_i32 (i32.const 6) (call $try_unop (global.get $maybe) (i32.const 7)) (i32.const 14))
    (call $check_i32 (i32.const 7)
      (call_ref $unop (i32.const 5) (call $or_double (ref.null $unop))) (i32.const 10))
    (call $check_i32 (i32.const 8)
      (call_ref $unop (i32.const 5) (ref.as_non_null (global.get $maybe))) (i32.const 10))
    (call $check_i64 (i32.const 9)
      (call $countdown (i32.const 1000000) (i64.const 0)) (i64.const 500000500000))
    (call $ok))
)
