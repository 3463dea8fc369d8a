;; Hand-written Kestrel package, predicate ABI v1 over Host API v1.
;; Field ids index the manifest's "fields": 0 the executable path, 1 the command line.
(module
  (import "kestrel" "event_get_str" (func $get_str (param i32 i32 i32 i32) (result i32)))
  (import "kestrel" "glob_match" (func $glob (param i32 i32 i32 i32) (result i32)))
  (import "kestrel" "alert_emit" (func $emit (param i32 i32)))
  (memory (export "memory") 1)
  ;; patterns at 16 and 48; the capture record (u32 length + bytes) at 1024; buffers at 4096
  (data (i32.const 16) "*\\certutil.exe")
  (data (i32.const 48) "*-urlcache*")
  (global $image_len (mut i32) (i32.const 0))
  (global $cmd_len (mut i32) (i32.const 0))

  (func (export "pred_init") (param $ctx i32) (result i32) (i32.const 0))

  ;; Both Image (case folded to ASCII lowercase here) and CommandLine must match.
  (func (export "pred_eval") (param $ev i32) (param $ctx i32) (result i32)
    (local $i i32) (local $c i32)
    (global.set $image_len (call $get_str (i32.const 0) (i32.const 4096) (i32.const 4096) (local.get $ev)))
    (if (i32.lt_s (global.get $image_len) (i32.const 0)) (then (return (i32.const 0))))
    (block $done
      (loop $lower
        (br_if $done (i32.ge_u (local.get $i) (global.get $image_len)))
        (local.set $c (i32.load8_u (i32.add (i32.const 4096) (local.get $i))))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 65)) (i32.le_u (local.get $c) (i32.const 90)))
          (then (i32.store8 (i32.add (i32.const 4096) (local.get $i)) (i32.add (local.get $c) (i32.const 32)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $lower)))
    (if (i32.eqz (call $glob (i32.const 16) (i32.const 14) (i32.const 4096) (global.get $image_len)))
      (then (return (i32.const 0))))
    (global.set $cmd_len (call $get_str (i32.const 1) (i32.const 8192) (i32.const 32768) (local.get $ev)))
    (if (i32.lt_s (global.get $cmd_len) (i32.const 0)) (then (return (i32.const 0))))
    (if (i32.eqz (call $glob (i32.const 48) (i32.const 11) (i32.const 8192) (global.get $cmd_len)))
      (then (return (i32.const 0))))
    (call $emit (i32.const 8192) (global.get $cmd_len))
    (i32.const 1))

  ;; The capture: the command line of the matching event.
  (func (export "pred_capture") (param $ev i32) (param $ctx i32) (result i32)
    (i32.store (i32.const 1024) (global.get $cmd_len))
    (memory.copy (i32.const 1028) (i32.const 8192) (global.get $cmd_len))
    (i32.const 1024))
)
