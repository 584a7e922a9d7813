;; Loops forever (a WASI command): only `--max-time` stops it.
(module
  (func $spin (export "_start")
    (loop $forever
      (br $forever)))
  (memory (export "memory") 1))
