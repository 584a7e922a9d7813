;; Starts with 32 pages (2 MiB) of memory.
(module
  (memory (export "memory") 32)
  (func (export "_start")))
