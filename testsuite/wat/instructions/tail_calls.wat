;; Tail calls (Wasm 3.0): return_call and return_call_indirect replace the caller's
;; frame, so mutual recursion 10^8 deep runs in constant stack (a normal call chain that
;; deep would exhaust any stack); tail calls between functions with different numbers of
;; stack-passed arguments, with several results, through a table, and to an imported
;; host function (through its adapter).
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

  ;; even/odd by mutual tail recursion.
  (func $even (param $n i64) (result i32)
    (if (result i32) (i64.eqz (local.get $n))
      (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get $n) (i64.const 1))))))
  (func $odd (param $n i64) (result i32)
    (if (result i32) (i64.eqz (local.get $n))
      (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get $n) (i64.const 1))))))

  ;; The same through a table: ping/pong call each other by index.
  (type $ping_t (func (param i32 i64) (result i64)))
  (table $t 2 funcref)
  (elem (table $t) (i32.const 0) func $ping $pong)
  (func $ping (type $ping_t) (param $n i32) (param $acc i64) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else
        (return_call_indirect $t (type $ping_t)
          (i32.sub (local.get $n) (i32.const 1))
          (i64.add (local.get $acc) (i64.const 3))
          (i32.const 1)))))
  (func $pong (type $ping_t) (param $n i32) (param $acc i64) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (local.get $acc))
      (else
        (return_call_indirect $t (type $ping_t)
          (i32.sub (local.get $n) (i32.const 1))
          (i64.sub (local.get $acc) (i64.const 1))
          (i32.const 0)))))

  ;; Argument counts that change from call to call: $few (1 argument) tail-calls
  ;; $many (16, most on the stack), which tail-calls $few again, n times.
  (func $few (param $n i32) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (i64.const 0))
      (else
        (return_call $many
          (local.get $n)
          (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
          (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9)
          (f64.const 1.5) (f64.const 2.5) (f64.const 3.5) (f64.const 4.5)
          (f64.const 5.5) (f64.const 6.5) (f64.const 7.5) (f64.const 8.5)
          (f64.const 9.5) (f64.const 10.5)))))
  (func $many (param $n i32)
      (param $a i64) (param $b i64) (param $c i64) (param $d i64) (param $e i64)
      (param $f i64) (param $g i64) (param $h i64) (param $i i64)
      (param $fa f64) (param $fb f64) (param $fc f64) (param $fd f64) (param $fe f64)
      (param $ff f64) (param $fg f64) (param $fh f64) (param $fi f64) (param $fj f64)
      (result i64)
    ;; Every argument must have arrived intact: their sum is fixed.
    (if (i64.ne
          (i64.add (i64.add (i64.add (local.get $a) (local.get $b)) (i64.add (local.get $c) (local.get $d)))
            (i64.add (i64.add (i64.add (local.get $e) (local.get $f)) (i64.add (local.get $g) (local.get $h)))
              (local.get $i)))
          (i64.const 45))
      (then (return (i64.const -1))))
    (if (f64.ne
          (f64.add (f64.add (f64.add (local.get $fa) (local.get $fb)) (f64.add (local.get $fc) (local.get $fd)))
            (f64.add (f64.add (f64.add (local.get $fe) (local.get $ff)) (f64.add (local.get $fg) (local.get $fh)))
              (f64.add (local.get $fi) (local.get $fj))))
          (f64.const 60))
      (then (return (i64.const -2))))
    (return_call $few_plus (i32.sub (local.get $n) (i32.const 1))))
  (func $few_plus (param $n i32) (result i64)
    (i64.add (call $few (local.get $n)) (i64.const 1)))

  ;; Several results pass straight through a tail call.
  (func $swap3 (param i32 i64 f64) (result f64 i64 i32)
    (local.get 2) (local.get 1) (local.get 0))
  (func $via_tail (param i32 i64 f64) (result f64 i64 i32)
    (return_call $swap3 (local.get 0) (local.get 1) (local.get 2)))

  ;; A tail call to an imported host function: fd_write to descriptor 99, which is not
  ;; open, so WASI answers EBADF (8) and stdout stays "ok\n" only.
  (func $write_tail (result i32)
    (i32.store (i32.const 64) (i32.const 72))
    (i32.store (i32.const 68) (i32.const 5))
    (return_call $fd_write (i32.const 99) (i32.const 64) (i32.const 1) (i32.const 80)))

  (func $_start (export "_start")
    (local $r i64) (local $d f64) (local $i i32)
    (call $check_i32 (i32.const 1) (call $even (i64.const 100000000)) (i32.const 1))
    (call $check_i32 (i32.const 2) (call $odd (i64.const 100000001)) (i32.const 1))
    (call $check_i32 (i32.const 3) (call $even (i64.const 7)) (i32.const 0))
    ;; 10^7 indirect tail calls: 5 * 10^6 pings add 3, as many pongs subtract 1.
    (call $check_i64 (i32.const 4)
      (call $ping (i32.const 10000000) (i64.const 0)) (i64.const 10000000))
    ;; $few_plus adds 1 after each normal call, so this chain is 1000 frames deep at most.
    (call $check_i64 (i32.const 5) (call $few (i32.const 1000)) (i64.const 1000))
    (call $via_tail (i32.const 7) (i64.const -8) (f64.const 9.25))
    (local.set $i)
    (local.set $r)
    (local.set $d)
    (call $check_i32 (i32.const 6) (local.get $i) (i32.const 7))
    (call $check_i64 (i32.const 7) (local.get $r) (i64.const -8))
    (call $check_f64 (i32.const 8) (local.get $d) (f64.const 9.25))
    (call $check_i32 (i32.const 9) (call $write_tail) (i32.const 8))
    (call $ok))
)
