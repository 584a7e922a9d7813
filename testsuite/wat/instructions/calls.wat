;; Direct calls (recursion, mutual recursion, many mixed-type parameters that
;; spill to the stack) and call_indirect: several signatures, several tables,
;; structurally equal types declared twice, an imported function in a table.
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

  (type $i_i (func (param i32) (result i32)))
  (type $ii_i (func (param i32 i32) (result i32)))
  (type $v_l (func (result i64)))
  (type $d_d (func (param f64) (result f64)))
  ;; the same signature as $i_i, declared again: call_indirect must accept it
  (type $i_i_again (func (param i32) (result i32)))
  (type $fd_write_t (func (param i32 i32 i32 i32) (result i32)))

  (table $main 8 funcref)
  (elem (table $main) (i32.const 0) func $inc $add $const64 $half $fib $fd_write)
  (table $other 3 funcref)
  (elem (table $other) (i32.const 0) func $dec $mul)

  (func $inc (type $i_i) (i32.add (local.get 0) (i32.const 1)))
  (func $dec (type $i_i_again) (i32.sub (local.get 0) (i32.const 1)))
  (func $add (type $ii_i) (i32.add (local.get 0) (local.get 1)))
  (func $mul (type $ii_i) (i32.mul (local.get 0) (local.get 1)))
  (func $const64 (type $v_l) (i64.const 0x7766554433221100))
  (func $half (type $d_d) (f64.mul (local.get 0) (f64.const 0.5)))
  (func $fib (type $i_i)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $fib_indirect (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add
        (call_indirect $main (type $i_i) (i32.sub (local.get $n) (i32.const 1)) (i32.const 4))
        (call_indirect $main (type $i_i) (i32.sub (local.get $n) (i32.const 2)) (i32.const 4))))))
  (func $is_even (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
      (else (call $is_odd (i32.sub (local.get 0) (i32.const 1))))))
  (func $is_odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (call $is_even (i32.sub (local.get 0) (i32.const 1))))))
  ;; 16 parameters of all four types: most are passed on the stack
  (func $many (param $a i32) (param $b i64) (param $c f32) (param $d f64)
              (param $e i32) (param $f i64) (param $g f32) (param $h f64)
              (param $i i32) (param $j i64) (param $k f32) (param $l f64)
              (param $m i32) (param $n i64) (param $o f32) (param $p f64)
              (result f64)
    (f64.add
      (f64.add
        (f64.convert_i32_s (i32.add (i32.add (local.get $a) (i32.mul (local.get $e) (i32.const 10)))
                                    (i32.add (i32.mul (local.get $i) (i32.const 100)) (i32.mul (local.get $m) (i32.const 1000)))))
        (f64.convert_i64_s (i64.add (i64.add (local.get $b) (i64.mul (local.get $f) (i64.const 10)))
                                    (i64.add (i64.mul (local.get $j) (i64.const 100)) (i64.mul (local.get $n) (i64.const 1000))))))
      (f64.add
        (f64.promote_f32 (f32.add (f32.add (local.get $c) (local.get $g)) (f32.add (local.get $k) (local.get $o))))
        (f64.add (f64.add (local.get $d) (local.get $h)) (f64.add (local.get $l) (local.get $p))))))
  (func $many_caller (param $x i32) (result f64)
    (call $many
      (local.get $x) (i64.const 2) (f32.const 0.25) (f64.const 0.125)
      (i32.const 3) (i64.const 4) (f32.const 0.5) (f64.const 1024)
      (i32.const 5) (i64.const 6) (f32.const 8) (f64.const 2048)
      (i32.const 7) (i64.const 8) (f32.const 16) (f64.const 4096)))
  ;; a callee that clobbers everything it can while callers keep values live
  (func $clobber (param i32) (result i32)
    (local i64 i64 i64 f64 f64)
    (local.set 1 (i64.const -1)) (local.set 2 (i64.const -2)) (local.set 3 (i64.const -3))
    (local.set 4 (f64.const -1)) (local.set 5 (f64.const -2))
    (i32.wrap_i64 (i64.add (i64.add (local.get 1) (local.get 2))
                           (i64.add (local.get 3) (i64.extend_i32_s (local.get 0))))))
  (func $live_across_calls (result i32)
    (local $a i32) (local $b i64) (local $c f64)
    (local.set $a (i32.const 1000))
    (local.set $b (i64.const 0x100000000))
    (local.set $c (f64.const 0.5))
    (drop (call $clobber (i32.const 1)))
    (drop (call $clobber (i32.const 2)))
    (i32.add (i32.add (local.get $a) (i32.wrap_i64 (i64.shr_u (local.get $b) (i64.const 32))))
             (i32.trunc_f64_s (f64.mul (local.get $c) (f64.const 10)))))
  (func $call_table_at (param $i i32) (param $x i32) (result i32)
    (call_indirect $main (type $i_i) (local.get $x) (local.get $i)))

  (func $_start (export "_start")
    (call $check_i32 (i32.const 1) (call $inc (i32.const 41)) (i32.const 42))
    (call $check_i32 (i32.const 2) (call $fib (i32.const 20)) (i32.const 6765))
    (call $check_i32 (i32.const 3) (call $fib_indirect (i32.const 15)) (i32.const 610))
    (call $check_i32 (i32.const 4) (call $is_even (i32.const 1000)) (i32.const 1))
    (call $check_i32 (i32.const 5) (call $is_odd (i32.const 1001)) (i32.const 1))
    (call $check_i32 (i32.const 6) (call $is_even (i32.const 77)) (i32.const 0))
    (call $check_f64 (i32.const 7) (call $many_caller (i32.const 1)) (f64.const 23365.875))
    (call $check_f64 (i32.const 8) (call $many_caller (i32.const -100000)) (f64.const -76635.125))
    (call $check_i32 (i32.const 9) (call $live_across_calls) (i32.const 1006))
    ;; call_indirect with different signatures
    (call $check_i32 (i32.const 10) (call_indirect $main (type $i_i) (i32.const 9) (i32.const 0)) (i32.const 10))
    (call $check_i32 (i32.const 11) (call_indirect $main (type $ii_i) (i32.const 9) (i32.const 4) (i32.const 1)) (i32.const 13))
    (call $check_i64 (i32.const 12) (call_indirect $main (type $v_l) (i32.const 2)) (i64.const 0x7766554433221100))
    (call $check_f64 (i32.const 13) (call_indirect $main (type $d_d) (f64.const 5) (i32.const 3)) (f64.const 2.5))
    (call $check_i32 (i32.const 14) (call $call_table_at (i32.const 4) (i32.const 10)) (i32.const 55))
    (call $check_i32 (i32.const 15) (call $call_table_at (i32.const 0) (i32.const -1)) (i32.const 0))
    ;; structurally equal type declared twice
    (call $check_i32 (i32.const 16) (call_indirect $main (type $i_i_again) (i32.const 1) (i32.const 0)) (i32.const 2))
    (call $check_i32 (i32.const 17) (call_indirect $other (type $i_i) (i32.const 1) (i32.const 0)) (i32.const 0))
    ;; the second table
    (call $check_i32 (i32.const 18) (call_indirect $other (type $ii_i) (i32.const 6) (i32.const 7) (i32.const 1)) (i32.const 42))
    (call $check_i32 (i32.const 19) (call_indirect $other (type $i_i_again) (i32.const 50) (i32.const 0)) (i32.const 49))
    ;; an imported function called through a table: fd_write of zero iovecs
    (i32.store (i32.const 56) (i32.const 12345))
    (call $check_i32 (i32.const 20)
      (call_indirect $main (type $fd_write_t)
        (i32.const 1) (i32.const 48) (i32.const 0) (i32.const 56) (i32.const 5))
      (i32.const 0))
    (call $check_i32 (i32.const 21) (i32.load (i32.const 56)) (i32.const 0))
    (call $ok))
)
