;; Syntactically fine, but invalid: $bad returns an i64 where its type says i32.
;; The validator rejects it with a byte offset inside the code section.
(module
  (memory (export "memory") 1)
  (func $ok (export "_start"))
  (func $bad (param i32) (result i32)
    (i64.extend_i32_u (local.get 0)))
)
