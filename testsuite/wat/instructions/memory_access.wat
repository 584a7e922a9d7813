;; Loads and stores of every width and signedness, static offsets, alignment
;; hints, unaligned and page-crossing accesses, the last bytes of memory,
;; little-endian byte order, data segments and zero-initialised memory.
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

  (data (i32.const 1024) "\01\02\03\04\05\06\07\08")
  (data (i32.const 2000) "kiln")

  (func $load8_s (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func $load8_u (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func $load16_s (param i32) (result i32) (i32.load16_s (local.get 0)))
  (func $load16_u (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func $load32 (param i32) (result i32) (i32.load (local.get 0)))
  (func $load64 (param i32) (result i64) (i64.load (local.get 0)))
  (func $sum_bytes (param $from i32) (param $to i32) (result i32)
    (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $from) (local.get $to)))
        (local.set $sum (i32.add (local.get $sum) (i32.load8_u (local.get $from))))
        (local.set $from (i32.add (local.get $from) (i32.const 1)))
        (br $next)))
    (local.get $sum))

  (func $_start (export "_start")
    (local $i i32)
    ;; data segments and zero-initialised memory
    (call $check_i64 (i32.const 1) (i64.load (i32.const 1024)) (i64.const 0x0807060504030201))
    (call $check_i32 (i32.const 2) (i32.load (i32.const 2000)) (i32.const 0x6e6c696b))
    (call $check_i64 (i32.const 3) (i64.load (i32.const 4096)) (i64.const 0))
    (call $check_i64 (i32.const 4) (i64.load offset=65536 (i32.const 100)) (i64.const 0))

    ;; one i64 store, read back at every width
    (i64.store (i32.const 64) (i64.const 0x0807060504030201))
    (call $check_i32 (i32.const 5) (i32.load8_u (i32.const 64)) (i32.const 0x01))
    (call $check_i32 (i32.const 6) (i32.load8_u offset=7 (i32.const 64)) (i32.const 0x08))
    (call $check_i32 (i32.const 7) (i32.load16_u (i32.const 64)) (i32.const 0x0201))
    (call $check_i32 (i32.const 8) (i32.load16_u offset=3 (i32.const 64)) (i32.const 0x0504))
    (call $check_i32 (i32.const 9) (i32.load (i32.const 64)) (i32.const 0x04030201))
    (call $check_i32 (i32.const 10) (i32.load offset=4 (i32.const 64)) (i32.const 0x08070605))
    (call $check_i32 (i32.const 11) (i32.load offset=1 align=1 (i32.const 64)) (i32.const 0x05040302))
    (call $check_i64 (i32.const 12) (i64.load (i32.const 64)) (i64.const 0x0807060504030201))
    (call $check_i64 (i32.const 13) (i64.load offset=3 align=1 (i32.const 64)) (i64.const 0x0000000807060504))
    (call $check_i64 (i32.const 14) (i64.load32_u offset=2 (i32.const 64)) (i64.const 0x06050403))

    ;; signed and unsigned narrow loads
    (i32.store16 (i32.const 80) (i32.const 0xff80))
    (call $check_i32 (i32.const 15) (call $load8_s (i32.const 80)) (i32.const -128))
    (call $check_i32 (i32.const 16) (call $load8_u (i32.const 80)) (i32.const 0x80))
    (call $check_i32 (i32.const 17) (call $load8_s (i32.const 81)) (i32.const -1))
    (call $check_i32 (i32.const 18) (call $load8_u (i32.const 81)) (i32.const 0xff))
    (call $check_i32 (i32.const 19) (call $load16_s (i32.const 80)) (i32.const -128))
    (call $check_i32 (i32.const 20) (call $load16_u (i32.const 80)) (i32.const 0xff80))
    (call $check_i64 (i32.const 21) (i64.load8_s (i32.const 80)) (i64.const -128))
    (call $check_i64 (i32.const 22) (i64.load8_u (i32.const 80)) (i64.const 0x80))
    (call $check_i64 (i32.const 23) (i64.load16_s (i32.const 80)) (i64.const -128))
    (call $check_i64 (i32.const 24) (i64.load16_u (i32.const 80)) (i64.const 0xff80))
    (i32.store (i32.const 88) (i32.const 0x80000000))
    (call $check_i64 (i32.const 25) (i64.load32_s (i32.const 88)) (i64.const 0xffffffff80000000))
    (call $check_i64 (i32.const 26) (i64.load32_u (i32.const 88)) (i64.const 0x80000000))
    (i32.store16 (i32.const 92) (i32.const 0x7f01))
    (call $check_i32 (i32.const 27) (call $load8_s (i32.const 93)) (i32.const 0x7f))
    (call $check_i32 (i32.const 28) (call $load16_s (i32.const 92)) (i32.const 0x7f01))

    ;; narrow stores write only their bytes
    (i32.store (i32.const 96) (i32.const 0xaaaaaaaa))
    (i32.store8 (i32.const 96) (i32.const 0x12345678))
    (call $check_i32 (i32.const 29) (i32.load (i32.const 96)) (i32.const 0xaaaaaa78))
    (i32.store16 offset=2 (i32.const 96) (i32.const 0x12345678))
    (call $check_i32 (i32.const 30) (call $load32 (i32.const 96)) (i32.const 0x5678aa78))
    (i64.store (i32.const 104) (i64.const 0xbbbbbbbbbbbbbbbb))
    (i64.store8 (i32.const 104) (i64.const 0x1122334455667788))
    (call $check_i64 (i32.const 31) (i64.load (i32.const 104)) (i64.const 0xbbbbbbbbbbbbbb88))
    (i64.store16 (i32.const 105) (i64.const 0x1122334455667788))
    (call $check_i64 (i32.const 32) (i64.load (i32.const 104)) (i64.const 0xbbbbbbbbbb778888))
    (i64.store32 offset=4 (i32.const 104) (i64.const 0x1122334455667788))
    (call $check_i64 (i32.const 33) (call $load64 (i32.const 104)) (i64.const 0x55667788bb778888))

    ;; little-endian byte order
    (i32.store (i32.const 200) (i32.const 0x11223344))
    (call $check_i32 (i32.const 34) (i32.load8_u (i32.const 200)) (i32.const 0x44))
    (call $check_i32 (i32.const 35) (i32.load8_u (i32.const 203)) (i32.const 0x11))
    (call $check_i32 (i32.const 36) (i32.load16_u (i32.const 201)) (i32.const 0x2233))

    ;; floats round-trip through memory bit-exactly (signaling NaN included)
    (f32.store (i32.const 240) (f32.const -1.25))
    (call $check_i32 (i32.const 37) (i32.load (i32.const 240)) (i32.const 0xbfa00000))
    (f32.store (i32.const 244) (f32.reinterpret_i32 (i32.const 0x7fa00001)))
    (call $check_i32 (i32.const 38) (i32.load (i32.const 244)) (i32.const 0x7fa00001))
    (call $check_i32 (i32.const 39) (i32.reinterpret_f32 (f32.load (i32.const 244))) (i32.const 0x7fa00001))
    (f64.store (i32.const 248) (f64.const 0x1.8p+1))
    (call $check_i64 (i32.const 40) (i64.load (i32.const 248)) (i64.const 0x4008000000000000))
    (i64.store (i32.const 256) (i64.const 0x7ff4000000000001))
    (call $check_i64 (i32.const 41) (i64.reinterpret_f64 (f64.load (i32.const 256))) (i64.const 0x7ff4000000000001))
    (call $check_f32 (i32.const 42) (f32.load offset=1 align=1 (i32.const 1023)) (f32.reinterpret_i32 (i32.const 0x04030201)))
    (call $check_f64 (i32.const 43) (f64.load offset=1024 (i32.const 0)) (f64.reinterpret_i64 (i64.const 0x0807060504030201)))

    ;; misaligned addresses with the natural alignment hint still work
    (i64.store align=8 (i32.const 301) (i64.const 0x0123456789abcdef))
    (call $check_i64 (i32.const 44) (i64.load align=8 (i32.const 301)) (i64.const 0x0123456789abcdef))
    (i32.store align=4 (i32.const 311) (i32.const 0xcafebabe))
    (call $check_i32 (i32.const 45) (i32.load align=4 (i32.const 311)) (i32.const 0xcafebabe))
    (i32.store16 align=2 (i32.const 317) (i32.const 0xbeef))
    (call $check_i32 (i32.const 46) (i32.load16_u align=2 (i32.const 317)) (i32.const 0xbeef))
    (call $check_i32 (i32.const 47) (i32.load8_u (i32.const 312)) (i32.const 0xba))

    ;; static offsets, and the last bytes of the memory
    (i32.store offset=65532 (i32.const 0) (i32.const 0x600dcafe))
    (call $check_i32 (i32.const 48) (i32.load (i32.const 65532)) (i32.const 0x600dcafe))
    (call $check_i32 (i32.const 49) (i32.load offset=16 (i32.const 65516)) (i32.const 0x600dcafe))
    (i64.store offset=65532 (i32.const 0) (i64.const 0x1111222233334444))
    (call $check_i32 (i32.const 50) (call $load32 (i32.const 65532)) (i32.const 0x33334444))
    (call $check_i32 (i32.const 51) (call $load32 (i32.const 65536)) (i32.const 0x11112222))
    (i32.store8 offset=131071 (i32.const 0) (i32.const 0x5a))
    (call $check_i32 (i32.const 52) (call $load8_u (i32.const 131071)) (i32.const 0x5a))
    (call $check_i32 (i32.const 53) (i32.load8_u offset=131070 (i32.const 1)) (i32.const 0x5a))
    (i64.store (i32.const 131064) (i64.const -2))
    (call $check_i64 (i32.const 54) (call $load64 (i32.const 131064)) (i64.const -2))
    (call $check_i32 (i32.const 55) (i32.load16_s offset=131000 (i32.const 70)) (i32.const -1))

    ;; addresses computed at run time
    (local.set $i (i32.const 0))
    (loop $fill
      (i32.store8 offset=4096 (local.get $i) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 256))))
    (call $check_i32 (i32.const 56) (call $sum_bytes (i32.const 4096) (i32.const 4352)) (i32.const 32640))
    (call $check_i32 (i32.const 57) (call $load32 (i32.const 4352)) (i32.const 0))
    (call $check_i32 (i32.const 58) (call $load32 (i32.const 4096)) (i32.const 0x03020100))
    (call $check_i32 (i32.const 59) (call $load32 (i32.const 4348)) (i32.const 0xfffefdfc))
    (call $ok))
)
