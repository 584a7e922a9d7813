;; Relaxed SIMD: Kiln's one fixed answer for each instruction (see README, "SIMD"),
;; on inputs where engines may differ; the same on every target and CPU level.
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


  (func $check_v128 (param $n i32) (param $got v128) (param $want v128)
    (if (i32.eqz (i8x16.all_true (i8x16.eq (local.get $got) (local.get $want))))
      (then (call $fail (local.get $n)))))
  ;; -----------------------------------------------------------------------

  (func $swizzle (param v128 v128) (result v128)
    (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
  (func $trunc_s (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
  (func $trunc_u (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
  (func $trunc_s_zero (param v128) (result v128)
    (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
  (func $trunc_u_zero (param v128) (result v128)
    (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
  (func $laneselect8 (param v128 v128 v128) (result v128)
    (i8x16.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func $laneselect32 (param v128 v128 v128) (result v128)
    (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func $madd32 (param v128 v128 v128) (result v128)
    (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func $nmadd64 (param v128 v128 v128) (result v128)
    (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func $min32 (param v128 v128) (result v128) (f32x4.relaxed_min (local.get 0) (local.get 1)))
  (func $max64 (param v128 v128) (result v128) (f64x2.relaxed_max (local.get 0) (local.get 1)))
  (func $q15 (param v128 v128) (result v128)
    (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
  (func $dot (param v128 v128) (result v128)
    (i16x8.relaxed_dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
  (func $dot_add (param v128 v128 v128) (result v128)
    (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))

  (func (export "_start")
    ;; swizzle: every index >= 16 selects 0 (x86's pshufb would use the low 4 bits).
    (call $check_v128 (i32.const 1)
      (call $swizzle (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
                     (v128.const i8x16 0 17 33 127 128 255 1 2 3 4 5 6 7 8 9 16))
      (v128.const i8x16 0 0 0 0 0 0 1 2 3 4 5 6 7 8 9 0))
    ;; trunc: saturating, NaN -> 0 (cvttps2dq would give 0x80000000 for all three).
    (call $check_v128 (i32.const 2)
      (call $trunc_s (v128.const f32x4 nan 3e9 -3e9 -1.5))
      (v128.const i32x4 0 0x7fffffff 0x80000000 -1))
    (call $check_v128 (i32.const 3)
      (call $trunc_u (v128.const f32x4 nan 5e9 -1 4294967040))
      (v128.const i32x4 0 0xffffffff 0 4294967040))
    (call $check_v128 (i32.const 4)
      (call $trunc_s_zero (v128.const f64x2 -nan 1e10))
      (v128.const i32x4 0 0x7fffffff 0 0))
    (call $check_v128 (i32.const 5)
      (call $trunc_u_zero (v128.const f64x2 -1e10 4294967295.9))
      (v128.const i32x4 0 0xffffffff 0 0))
    ;; laneselect: bit by bit, whatever the mask (blendv would look at top bits only).
    (call $check_v128 (i32.const 6)
      (call $laneselect8 (v128.const i8x16 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1)
        (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0)
        (v128.const i8x16 0x80 0x7f 0x01 0xff 0 0 0 0 0 0 0 0 0 0 0 0x55))
      (v128.const i8x16 0x80 0x7f 0x01 0xff 0 0 0 0 0 0 0 0 0 0 0 0x55))
    (call $check_v128 (i32.const 7)
      (call $laneselect32 (v128.const i32x4 0x12345678 -1 0 -1)
        (v128.const i32x4 0 0 -1 0)
        (v128.const i32x4 0x0000ffff 0x80000000 0x7fffffff -1))
      (v128.const i32x4 0x5678 0x80000000 0x80000000 -1))
    ;; madd/nmadd: two roundings. (1 + 2^-23)^2 rounds to 1 + 2^-22, so adding
    ;; -(1 + 2^-22) gives 0; a fused multiply-add would give 2^-46.
    (call $check_v128 (i32.const 8)
      (call $madd32 (v128.const f32x4 0x1.000002p+0 2 -0 1e30)
        (v128.const f32x4 0x1.000002p+0 3 0 1e30)
        (v128.const f32x4 -0x1.000004p+0 1 -0 1))
      (v128.const i32x4 0 0x40e00000 0x80000000 0x7f800000))
    (call $check_v128 (i32.const 9)
      (call $nmadd64 (v128.const f64x2 0x1.0000000000001p+0 2)
        (v128.const f64x2 0x1.0000000000001p+0 3)
        (v128.const f64x2 0x1.0000000000002p+0 1))
      (v128.const f64x2 0 -5))
    ;; min/max: -0 below +0 in either order (NaN propagation is in the spec tests).
    (call $check_v128 (i32.const 10)
      (call $min32 (v128.const f32x4 -0 0 1 inf) (v128.const f32x4 0 -0 -1 -inf))
      (v128.const f32x4 -0 -0 -1 -inf))
    (call $check_v128 (i32.const 11)
      (call $max64 (v128.const f64x2 -0 -inf) (v128.const f64x2 0 5))
      (v128.const f64x2 0 5))
    ;; q15mulr: saturating (-1.0 * -1.0 = 0x7fff).
    (call $check_v128 (i32.const 12)
      (call $q15 (v128.const i16x8 -32768 16384 -1 0 0 0 0 0)
                 (v128.const i16x8 -32768 16384 1 0 0 0 0 0))
      (v128.const i16x8 0x7fff 8192 0 0 0 0 0 0))
    ;; dot: both operands signed; the 16-bit pair sums wrap.
    (call $check_v128 (i32.const 13)
      (call $dot (v128.const i8x16 -128 -128 1 1 3 4 0 0 0 0 0 0 0 0 -1 -1)
                 (v128.const i8x16 -128 -128 -1 200 5 6 0 0 0 0 0 0 0 0 127 127))
      (v128.const i16x8 -32768 -57 39 0 0 0 0 -254))
    (call $check_v128 (i32.const 14)
      (call $dot_add (v128.const i8x16 -128 -128 1 1 3 4 0 0 0 0 0 0 0 0 -1 -1)
                     (v128.const i8x16 -128 -128 -1 200 5 6 0 0 0 0 0 0 0 0 127 127)
                     (v128.const i32x4 1 2 3 4))
      (v128.const i32x4 -32824 41 3 -250))
    (call $ok))
)
