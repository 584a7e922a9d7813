;; Structured control flow: block, loop, if/else, br, br_if, br_table (with the
;; default target and carried values), return, select and typed select,
;; unreachable code, deep nesting.
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

  (func $f (result i32) (i32.const 1))
  (elem declare func $f)

  ;; br_table: 0..3 select a case, anything else (including negative) the default
  (func $switch (param $x i32) (result i32)
    (block $default
      (block $c3
        (block $c2
          (block $c1
            (block $c0
              (br_table $c0 $c1 $c2 $c3 $default (local.get $x)))
            (return (i32.const 100)))
          (return (i32.const 101)))
        (return (i32.const 102)))
      (return (i32.const 103)))
    (i32.const 999))
  ;; br_table carrying a value to the chosen block
  (func $switch_value (param $x i32) (result i32)
    (i32.add
      (block $b (result i32)
        (i32.mul
          (block $a (result i32)
            (br_table $a $b $a (i32.const 7) (local.get $x)))
          (i32.const 10)))
      (i32.const 1)))
  ;; a longer jump table with repeated targets
  (func $classify (param $x i32) (result i32)
    (block $other
      (block $vowel
        (block $digit
          (br_table $digit $digit $digit $digit $digit $digit $digit $digit $digit $digit
                    $vowel $other $other $other $vowel $other $other $other $vowel
                    $other (i32.sub (local.get $x) (i32.const 48))))
        (return (i32.const 1)))
      (return (i32.const 2)))
    (i32.const 3))
  (func $br_if_value (param $c i32) (result i32)
    (block $b (result i32)
      (drop (br_if $b (i32.const 1) (local.get $c)))
      (i32.const 2)))
  (func $if_else (param $c i32) (result i32)
    (if (result i32) (local.get $c) (then (i32.const 10)) (else (i32.const 20))))
  (func $if_no_else (param $c i32) (result i32) (local $r i32)
    (local.set $r (i32.const 5))
    (if (local.get $c) (then (local.set $r (i32.const 6))))
    (local.get $r))
  (func $nested_if (param $a i32) (param $b i32) (result i32)
    (if (result i32) (local.get $a)
      (then (if (result i32) (local.get $b) (then (i32.const 3)) (else (i32.const 2))))
      (else (if (result i32) (local.get $b) (then (i32.const 1)) (else (i32.const 0))))))
  (func $sum_to (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  (func $factorial (param $n i64) (result i64) (local $r i64)
    (local.set $r (i64.const 1))
    (loop $l
      (if (i64.gt_u (local.get $n) (i64.const 1))
        (then
          (local.set $r (i64.mul (local.get $r) (local.get $n)))
          (local.set $n (i64.sub (local.get $n) (i64.const 1)))
          (br $l))))
    (local.get $r))
  ;; nested loops with break out of the inner and continue of the outer
  (func $pairs (param $n i32) (result i32) (local $i i32) (local $j i32) (local $count i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (block $inner_done
        (loop $inner
          (br_if $inner_done (i32.ge_u (local.get $j) (local.get $i)))
          (if (i32.eqz (i32.rem_u (i32.add (local.get $i) (local.get $j)) (i32.const 3)))
            (then (local.set $count (i32.add (local.get $count) (i32.const 1)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $inner)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $count))
  ;; return from deep inside blocks and loops
  (func $find_first_multiple (param $of i32) (result i32) (local $i i32)
    (local.set $i (i32.const 1))
    (loop $l
      (block $skip
        (br_if $skip (i32.rem_u (local.get $i) (local.get $of)))
        (return (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 7)))
      (br $l))
    (unreachable))
  (func $deep (param $x i32) (result i32)
    (block $l0 (result i32)
      (block $l1 (result i32)
        (block $l2 (result i32)
          (block $l3 (result i32)
            (block $l4 (result i32)
              (block $l5 (result i32)
                (block $l6 (result i32)
                  (block $l7 (result i32)
                    (br_table $l0 $l1 $l2 $l3 $l4 $l5 $l6 $l7 (local.get $x) (local.get $x)))
                  (i32.add (i32.const 100)))
                (i32.add (i32.const 100)))
              (i32.add (i32.const 100)))
            (i32.add (i32.const 100)))
          (i32.add (i32.const 100)))
        (i32.add (i32.const 100)))
      (i32.add (i32.const 100))))
  (func $select_i32 (param $c i32) (result i32) (select (i32.const 1) (i32.const 2) (local.get $c)))
  (func $select_i64 (param $c i32) (result i64) (select (i64.const 0x100000000) (i64.const -1) (local.get $c)))
  (func $select_f32 (param $c i32) (result f32) (select (f32.const -0.0) (f32.const nan:0x1) (local.get $c)))
  (func $select_f64 (param $c i32) (result f64) (select (f64.const 1.5) (f64.const -2.5) (local.get $c)))
  (func $select_typed (param $c i32) (result i32)
    (select (result i32) (i32.const 11) (i32.const 22) (local.get $c)))
  (func $select_funcref (param $c i32) (result i32)
    (ref.is_null (select (result funcref) (ref.func $f) (ref.null func) (local.get $c))))
  (func $select_externref (param $c i32) (param $r externref) (result externref)
    (select (result externref) (local.get $r) (ref.null extern) (local.get $c)))
  (func $dead_code (result i32)
    (block $b (result i32)
      (br $b (i32.const 9))
      (unreachable)))
  (func $early_return (param $x i32) (result i32)
    (if (i32.lt_s (local.get $x) (i32.const 0)) (then (return (i32.const -1))))
    (nop)
    (i32.const 1))

  (func $_start (export "_start")
    (call $check_i32 (i32.const 1) (block (result i32) (i32.const 5)) (i32.const 5))
    (call $check_i32 (i32.const 2)
      (block $outer (result i32)
        (drop (block $inner (result i32) (br $outer (i32.const 7))))
        (i32.const 100))
      (i32.const 7))
    (call $check_i32 (i32.const 3) (call $switch (i32.const 0)) (i32.const 100))
    (call $check_i32 (i32.const 4) (call $switch (i32.const 1)) (i32.const 101))
    (call $check_i32 (i32.const 5) (call $switch (i32.const 2)) (i32.const 102))
    (call $check_i32 (i32.const 6) (call $switch (i32.const 3)) (i32.const 103))
    (call $check_i32 (i32.const 7) (call $switch (i32.const 4)) (i32.const 999))
    (call $check_i32 (i32.const 8) (call $switch (i32.const 1000)) (i32.const 999))
    (call $check_i32 (i32.const 9) (call $switch (i32.const -1)) (i32.const 999))
    (call $check_i32 (i32.const 10) (call $switch_value (i32.const 0)) (i32.const 71))
    (call $check_i32 (i32.const 11) (call $switch_value (i32.const 1)) (i32.const 8))
    (call $check_i32 (i32.const 12) (call $switch_value (i32.const 2)) (i32.const 71))
    (call $check_i32 (i32.const 13) (call $switch_value (i32.const 77)) (i32.const 71))
    (call $check_i32 (i32.const 14) (call $classify (i32.const 48)) (i32.const 1))
    (call $check_i32 (i32.const 15) (call $classify (i32.const 57)) (i32.const 1))
    (call $check_i32 (i32.const 16) (call $classify (i32.const 58)) (i32.const 2))
    (call $check_i32 (i32.const 17) (call $classify (i32.const 62)) (i32.const 2))
    (call $check_i32 (i32.const 18) (call $classify (i32.const 63)) (i32.const 3))
    (call $check_i32 (i32.const 19) (call $classify (i32.const 66)) (i32.const 2))
    (call $check_i32 (i32.const 20) (call $classify (i32.const 67)) (i32.const 3))
    (call $check_i32 (i32.const 21) (call $classify (i32.const 47)) (i32.const 3))
    (call $check_i32 (i32.const 22) (call $br_if_value (i32.const 1)) (i32.const 1))
    (call $check_i32 (i32.const 23) (call $br_if_value (i32.const 0)) (i32.const 2))
    (call $check_i32 (i32.const 24) (call $br_if_value (i32.const -7)) (i32.const 1))
    (call $check_i32 (i32.const 25) (call $if_else (i32.const 1)) (i32.const 10))
    (call $check_i32 (i32.const 26) (call $if_else (i32.const 0)) (i32.const 20))
    (call $check_i32 (i32.const 27) (call $if_else (i32.const 0x80000000)) (i32.const 10))
    (call $check_i32 (i32.const 28) (call $if_no_else (i32.const 1)) (i32.const 6))
    (call $check_i32 (i32.const 29) (call $if_no_else (i32.const 0)) (i32.const 5))
    (call $check_i32 (i32.const 30) (call $nested_if (i32.const 1) (i32.const 1)) (i32.const 3))
    (call $check_i32 (i32.const 31) (call $nested_if (i32.const 1) (i32.const 0)) (i32.const 2))
    (call $check_i32 (i32.const 32) (call $nested_if (i32.const 0) (i32.const 1)) (i32.const 1))
    (call $check_i32 (i32.const 33) (call $nested_if (i32.const 0) (i32.const 0)) (i32.const 0))
    (call $check_i32 (i32.const 34) (call $sum_to (i32.const 100)) (i32.const 5050))
    (call $check_i32 (i32.const 35) (call $sum_to (i32.const 0)) (i32.const 0))
    (call $check_i64 (i32.const 36) (call $factorial (i64.const 20)) (i64.const 2432902008176640000))
    (call $check_i64 (i32.const 37) (call $factorial (i64.const 0)) (i64.const 1))
    (call $check_i32 (i32.const 38) (call $pairs (i32.const 30)) (i32.const 145))
    (call $check_i32 (i32.const 39) (call $find_first_multiple (i32.const 5)) (i32.const 15))
    (call $check_i32 (i32.const 40) (call $find_first_multiple (i32.const 1)) (i32.const 1))
    (call $check_i32 (i32.const 41) (call $deep (i32.const 0)) (i32.const 0))
    (call $check_i32 (i32.const 42) (call $deep (i32.const 3)) (i32.const 303))
    (call $check_i32 (i32.const 43) (call $deep (i32.const 7)) (i32.const 707))
    (call $check_i32 (i32.const 44) (call $deep (i32.const 8)) (i32.const 708))
    (call $check_i32 (i32.const 45) (call $select_i32 (i32.const 1)) (i32.const 1))
    (call $check_i32 (i32.const 46) (call $select_i32 (i32.const 0)) (i32.const 2))
    (call $check_i32 (i32.const 47) (call $select_i32 (i32.const -1)) (i32.const 1))
    (call $check_i64 (i32.const 48) (call $select_i64 (i32.const 1)) (i64.const 0x100000000))
    (call $check_i64 (i32.const 49) (call $select_i64 (i32.const 0)) (i64.const -1))
    (call $check_i32 (i32.const 50) (i32.reinterpret_f32 (call $select_f32 (i32.const 1))) (i32.const 0x80000000))
    (call $check_i32 (i32.const 51) (i32.reinterpret_f32 (call $select_f32 (i32.const 0))) (i32.const 0x7f800001))
    (call $check_f64 (i32.const 52) (call $select_f64 (i32.const 2)) (f64.const 1.5))
    (call $check_f64 (i32.const 53) (call $select_f64 (i32.const 0)) (f64.const -2.5))
    (call $check_i32 (i32.const 54) (call $select_typed (i32.const 1)) (i32.const 11))
    (call $check_i32 (i32.const 55) (call $select_typed (i32.const 0)) (i32.const 22))
    (call $check_i32 (i32.const 56) (call $select_funcref (i32.const 1)) (i32.const 0))
    (call $check_i32 (i32.const 57) (call $select_funcref (i32.const 0)) (i32.const 1))
    (call $check_i32 (i32.const 58) (ref.is_null (call $select_externref (i32.const 1) (ref.null extern))) (i32.const 1))
    (call $check_i32 (i32.const 59) (call $dead_code) (i32.const 9))
    (call $check_i32 (i32.const 60) (call $early_return (i32.const -5)) (i32.const -1))
    (call $check_i32 (i32.const 61) (call $early_return (i32.const 5)) (i32.const 1))
    (call $ok))
)
