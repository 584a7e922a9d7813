;; The smallest WASI program: write a greeting to stdout with fd_write.
;;
;;   target/release/kiln compile examples/hello.wat -o hello && ./hello
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param $fd i32) (param $iovs i32) (param $iovs_len i32) (param $nwritten i32) (result i32)))
  (memory (export "memory") 1)
  ;; The text at 16; the single iovec (pointer, length) at 0.
  (data (i32.const 16) "Hello from Kiln!\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 17))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
