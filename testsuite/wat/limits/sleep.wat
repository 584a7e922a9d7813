;; Blocks in one WASI call: poll_oneoff on a relative 60-second clock.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; The subscription at 0: userdata 0, tag 0 (clock), clock id 1 (monotonic) at 16,
  ;; timeout at 24 (nanoseconds), precision at 32, flags 0 (relative) at 40.
  (func (export "_start")
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 60000000000))
    (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))
