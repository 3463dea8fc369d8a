(module
  (import "kestrel" "re_match" (func $re_match (param i32 i32 i32) (result i32)))
  (memory (export "memory") 18)
  (global (export "batch_base") i32 (i32.const 1114112))
  (global $scratch_base i32 (i32.const 16448))
  (global $scratch_end i32 (i32.const 1065024))
  (global $lit_true i64 (i64.const 17179885610))
  (global $lit_false i64 (i64.const 21474852910))
  ;; ---- Kestrel batch ABI prelude (included in every generated module) ----------------------
  ;; Values are (tag i32, bits i64). Tags: 0 null, 1 bool, 2 int, 3 float (f64 bits),
  ;; 4 string (ptr | len << 32), 5 list (cells ptr | count << 32), 6 other (object, nested list),
  ;; 7 defer (only the host can evaluate it). Truth values: 0 false, 1 true, 2 null, 3 defer.
  ;; Comparison ops: 0 ==, 1 !=, 2 <, 3 <=, 4 >, 5 >=.

  (type $elemfn (func (param i32 i64) (result i32)))
  (global $str_base (mut i64) (i64.const 0))
  (global $list_base (mut i64) (i64.const 0))
  (global $scratch (mut i32) (i32.const 0))
  (global $g1t (mut i32) (i32.const 0))
  (global $g1b (mut i64) (i64.const 0))
  (global $g2t (mut i32) (i32.const 0))
  (global $g2b (mut i64) (i64.const 0))

  (func $ptr (param $s i64) (result i32) (i32.wrap_i64 (local.get $s)))
  (func $len (param $s i64) (result i32) (i32.wrap_i64 (i64.shr_u (local.get $s) (i64.const 32))))
  (func $mkstr (param $p i32) (param $n i32) (result i64)
    (i64.or (i64.extend_i32_u (local.get $p)) (i64.shl (i64.extend_i32_u (local.get $n)) (i64.const 32))))

  ;; A cell of the batch: strings and lists are stored relative to their areas; rebase them.
  (func $cell (param $addr i32) (result i32 i64)
    (local $t i32) (local $b i64)
    (local.set $t (i32.load (local.get $addr)))
    (local.set $b (i64.load offset=8 (local.get $addr)))
    (if (i32.eq (local.get $t) (i32.const 4))
      (then (local.set $b (i64.add (local.get $b) (global.get $str_base)))))
    (if (i32.eq (local.get $t) (i32.const 5))
      (then (local.set $b (i64.add (local.get $b) (global.get $list_base)))))
    (local.get $t) (local.get $b))

  ;; Truth of a value used as a condition: only a boolean is true or false.
  (func $truth (param $t i32) (param $b i64) (result i32)
    (if (i32.eq (local.get $t) (i32.const 1)) (then (return (i32.wrap_i64 (local.get $b)))))
    (select (i32.const 3) (i32.const 2) (i32.eq (local.get $t) (i32.const 7))))

  ;; A truth value as a value: false/true -> bool, null -> null, defer -> defer.
  (func $of_truth (param $x i32) (result i32 i64)
    (if (i32.lt_u (local.get $x) (i32.const 2))
      (then (return (i32.const 1) (i64.extend_i32_u (local.get $x)))))
    (select (i32.const 7) (i32.const 0) (i32.eq (local.get $x) (i32.const 3))) (i64.const 0))

  (func $not (param $x i32) (result i32)
    (select (i32.xor (local.get $x) (i32.const 1)) (local.get $x) (i32.lt_u (local.get $x) (i32.const 2))))

  ;; Three-valued OR accumulation; $acc starts at 4 (no element seen). True is handled by callers.
  (func $acc (param $acc i32) (param $r i32) (result i32)
    (if (i32.eq (local.get $acc) (i32.const 4)) (then (return (local.get $r))))
    (select (local.get $acc) (local.get $r) (i32.gt_u (local.get $acc) (local.get $r))))

  ;; ---- strings -----------------------------------------------------------------------------
  (func $memeq (param $a i32) (param $b i32) (param $n i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.lt_u (local.get $n) (i32.const 8)))
        (if (i64.ne (i64.load (local.get $a)) (i64.load (local.get $b))) (then (return (i32.const 0))))
        (local.set $a (i32.add (local.get $a) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (local.set $n (i32.sub (local.get $n) (i32.const 8)))
        (br $next)))
    (block $end
      (loop $byte
        (br_if $end (i32.eqz (local.get $n)))
        (if (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))) (then (return (i32.const 0))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $byte)))
    (i32.const 1))

  (func $str_eq (param $a i64) (param $b i64) (result i32)
    (if (i32.ne (call $len (local.get $a)) (call $len (local.get $b))) (then (return (i32.const 0))))
    (call $memeq (call $ptr (local.get $a)) (call $ptr (local.get $b)) (call $len (local.get $a))))

  ;; Byte-wise order of UTF-8 strings (equals code point order): -1, 0, 1.
  (func $str_cmp (param $a i64) (param $b i64) (result i32)
    (local $pa i32) (local $pb i32) (local $la i32) (local $lb i32) (local $i i32) (local $n i32)
    (local $x i32) (local $y i32)
    (local.set $pa (call $ptr (local.get $a))) (local.set $la (call $len (local.get $a)))
    (local.set $pb (call $ptr (local.get $b))) (local.set $lb (call $len (local.get $b)))
    (local.set $n (select (local.get $la) (local.get $lb) (i32.lt_u (local.get $la) (local.get $lb))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (i32.load8_u (i32.add (local.get $pa) (local.get $i))))
        (local.set $y (i32.load8_u (i32.add (local.get $pb) (local.get $i))))
        (if (i32.ne (local.get $x) (local.get $y))
          (then (return (select (i32.const -1) (i32.const 1) (i32.lt_u (local.get $x) (local.get $y))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (if (i32.eq (local.get $la) (local.get $lb)) (then (return (i32.const 0))))
    (select (i32.const -1) (i32.const 1) (i32.lt_u (local.get $la) (local.get $lb))))

  (func $starts (param $s i64) (param $p i64) (result i32)
    (if (i32.gt_u (call $len (local.get $p)) (call $len (local.get $s))) (then (return (i32.const 0))))
    (call $memeq (call $ptr (local.get $s)) (call $ptr (local.get $p)) (call $len (local.get $p))))

  (func $ends (param $s i64) (param $p i64) (result i32)
    (if (i32.gt_u (call $len (local.get $p)) (call $len (local.get $s))) (then (return (i32.const 0))))
    (call $memeq
      (i32.sub (i32.add (call $ptr (local.get $s)) (call $len (local.get $s))) (call $len (local.get $p)))
      (call $ptr (local.get $p)) (call $len (local.get $p))))

  ;; First byte offset >= $from where $p occurs in $s, or -1.
  (func $find (param $s i64) (param $p i64) (param $from i32) (result i32)
    (local $sp i32) (local $last i32) (local $pp i32) (local $pl i32) (local $first i32) (local $i i32)
    (local.set $sp (call $ptr (local.get $s)))
    (local.set $pp (call $ptr (local.get $p))) (local.set $pl (call $len (local.get $p)))
    (if (i32.gt_u (local.get $pl) (call $len (local.get $s))) (then (return (i32.const -1))))
    (local.set $last (i32.sub (call $len (local.get $s)) (local.get $pl)))
    (if (i32.eqz (local.get $pl))
      (then (return (select (local.get $from) (i32.const -1) (i32.le_u (local.get $from) (local.get $last))))))
    (local.set $first (i32.load8_u (local.get $pp)))
    (local.set $i (local.get $from))
    (block $done
      (loop $next
        (br_if $done (i32.gt_s (local.get $i) (local.get $last)))
        (if (i32.eq (i32.load8_u (i32.add (local.get $sp) (local.get $i))) (local.get $first))
          (then (if (call $memeq (i32.add (local.get $sp) (local.get $i)) (local.get $pp) (local.get $pl))
            (then (return (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const -1))

  ;; Last byte offset where $p occurs in $s, or -1.
  (func $rfind (param $s i64) (param $p i64) (result i32)
    (local $i i32)
    (local.set $i (i32.sub (call $len (local.get $s)) (call $len (local.get $p))))
    (block $done
      (loop $next
        (br_if $done (i32.lt_s (local.get $i) (i32.const 0)))
        (if (call $memeq (i32.add (call $ptr (local.get $s)) (local.get $i)) (call $ptr (local.get $p)) (call $len (local.get $p)))
          (then (return (local.get $i))))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const -1))

  (func $contains (param $s i64) (param $p i64) (result i32)
    (i32.ge_s (call $find (local.get $s) (local.get $p) (i32.const 0)) (i32.const 0)))

  ;; Byte length of the UTF-8 sequence starting with byte $c.
  (func $cpw (param $c i32) (result i32)
    (if (i32.lt_u (local.get $c) (i32.const 0xC0)) (then (return (i32.const 1))))
    (if (i32.lt_u (local.get $c) (i32.const 0xE0)) (then (return (i32.const 2))))
    (if (i32.lt_u (local.get $c) (i32.const 0xF0)) (then (return (i32.const 3))))
    (i32.const 4))

  ;; Number of code points.
  (func $cp_len (param $s i64) (result i32)
    (local $p i32) (local $end i32) (local $n i32)
    (local.set $p (call $ptr (local.get $s)))
    (local.set $end (i32.add (local.get $p) (call $len (local.get $s))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.ne (i32.and (i32.load8_u (local.get $p)) (i32.const 0xC0)) (i32.const 0x80))
          (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $n))

  ;; Byte offset of code point index $cp (0 <= cp <= cp_len).
  (func $cp_byte (param $s i64) (param $cp i32) (result i32)
    (local $p i32) (local $i i32)
    (local.set $p (call $ptr (local.get $s)))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $cp)))
        (local.set $i (i32.add (local.get $i) (call $cpw (i32.load8_u (i32.add (local.get $p) (local.get $i))))))
        (local.set $cp (i32.sub (local.get $cp) (i32.const 1)))
        (br $next)))
    (local.get $i))

  ;; Code point index of byte offset $off.
  (func $byte_cp (param $s i64) (param $off i32) (result i32)
    (call $cp_len (call $mkstr (call $ptr (local.get $s)) (local.get $off))))

  ;; Wildcard match: pattern bytes with 0xFF = '*' and 0xFE = '?' (one code point).
  (func $glob (param $pat i64) (param $s i64) (result i32)
    (local $pp i32) (local $pe i32) (local $sp i32) (local $se i32)
    (local $star i32) (local $mark i32) (local $c i32)
    (local.set $pp (call $ptr (local.get $pat)))
    (local.set $pe (i32.add (local.get $pp) (call $len (local.get $pat))))
    (local.set $sp (call $ptr (local.get $s)))
    (local.set $se (i32.add (local.get $sp) (call $len (local.get $s))))
    (local.set $star (i32.const -1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $sp) (local.get $se)))
        (block $fail
          (if (i32.lt_u (local.get $pp) (local.get $pe))
            (then
              (local.set $c (i32.load8_u (local.get $pp)))
              (if (i32.eq (local.get $c) (i32.const 0xFF))
                (then
                  (local.set $pp (i32.add (local.get $pp) (i32.const 1)))
                  (local.set $star (local.get $pp))
                  (local.set $mark (local.get $sp))
                  (br $next)))
              (if (i32.eq (local.get $c) (i32.const 0xFE))
                (then
                  (local.set $pp (i32.add (local.get $pp) (i32.const 1)))
                  (local.set $sp (i32.add (local.get $sp) (call $cpw (i32.load8_u (local.get $sp)))))
                  (br $next)))
              (if (i32.eq (local.get $c) (i32.load8_u (local.get $sp)))
                (then
                  (local.set $pp (i32.add (local.get $pp) (i32.const 1)))
                  (local.set $sp (i32.add (local.get $sp) (i32.const 1)))
                  (br $next)))))
          (br $fail))
        ;; mismatch: backtrack to the last star, consuming one more code point
        (if (i32.lt_s (local.get $star) (i32.const 0)) (then (return (i32.const 0))))
        (local.set $pp (local.get $star))
        (local.set $mark (i32.add (local.get $mark) (call $cpw (i32.load8_u (local.get $mark)))))
        (local.set $sp (local.get $mark))
        (br $next)))
    ;; a '?' may have stepped past the end of a truncated sequence
    (if (i32.gt_u (local.get $sp) (local.get $se)) (then (return (i32.const 0))))
    (block $stars
      (loop $skip
        (br_if $stars (i32.ge_u (local.get $pp) (local.get $pe)))
        (br_if $stars (i32.ne (i32.load8_u (local.get $pp)) (i32.const 0xFF)))
        (local.set $pp (i32.add (local.get $pp) (i32.const 1)))
        (br $skip)))
    (i32.eq (local.get $pp) (local.get $pe)))

  ;; ---- scratch area (per event) -------------------------------------------------------------
  (func $alloc (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $scratch))
    (if (i32.gt_u (i32.add (local.get $p) (local.get $n)) (global.get $scratch_end))
      (then (return (i32.const -1))))
    (global.set $scratch (i32.add (local.get $p) (local.get $n)))
    (local.get $p))

  ;; ASCII lowercase copy of a computed string; non-ASCII text needs Python's str.lower: defer.
  (func $lower (param $t i32) (param $b i64) (result i32 i64)
    (local $p i32) (local $n i32) (local $i i32) (local $c i32) (local $dst i32)
    (if (i32.ne (local.get $t) (i32.const 4)) (then (return (local.get $t) (local.get $b))))
    (local.set $p (call $ptr (local.get $b))) (local.set $n (call $len (local.get $b)))
    (local.set $dst (call $alloc (local.get $n)))
    (if (i32.lt_s (local.get $dst) (i32.const 0)) (then (return (i32.const 7) (i64.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (if (i32.ge_u (local.get $c) (i32.const 0x80)) (then (return (i32.const 7) (i64.const 0))))
        (if (i32.and (i32.ge_u (local.get $c) (i32.const 65)) (i32.le_u (local.get $c) (i32.const 90)))
          (then (local.set $c (i32.add (local.get $c) (i32.const 32)))))
        (i32.store8 (i32.add (local.get $dst) (local.get $i)) (local.get $c))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 4) (call $mkstr (local.get $dst) (local.get $n)))

  ;; Decimal text of an int, in scratch.
  (func $itoa (param $v i64) (result i32 i64)
    (local $buf i32) (local $i i32) (local $neg i32) (local $u i64) (local $out i32)
    (local.set $buf (call $alloc (i32.const 20)))
    (if (i32.lt_s (local.get $buf) (i32.const 0)) (then (return (i32.const 7) (i64.const 0))))
    (local.set $neg (i64.lt_s (local.get $v) (i64.const 0)))
    (local.set $u (select (i64.sub (i64.const 0) (local.get $v)) (local.get $v) (local.get $neg)))
    (local.set $i (i32.const 20))
    (loop $digit
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $buf) (local.get $i))
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $u) (i64.const 10)))))
      (local.set $u (i64.div_u (local.get $u) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $u) (i64.const 0))))
    (if (local.get $neg)
      (then
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (i32.store8 (i32.add (local.get $buf) (local.get $i)) (i32.const 45))))
    (i32.const 4) (call $mkstr (i32.add (local.get $buf) (local.get $i)) (i32.sub (i32.const 20) (local.get $i))))

  ;; Java toString of a scalar where wasm can do it exactly; floats, lists, objects defer.
  (func $to_string (param $t i32) (param $b i64) (result i32 i64)
    (if (i32.eq (local.get $t) (i32.const 4)) (then (return (local.get $t) (local.get $b))))
    (if (i32.eq (local.get $t) (i32.const 2)) (then (return (call $itoa (local.get $b)))))
    (if (i32.eq (local.get $t) (i32.const 1))
      (then (return (i32.const 4) (select (global.get $lit_true) (global.get $lit_false) (i64.ne (local.get $b) (i64.const 0)))))) 
    (if (i32.eqz (local.get $t)) (then (return (i32.const 0) (i64.const 0))))
    (i32.const 7) (i64.const 0))

  ;; Concatenation of two strings into scratch.
  (func $concat2 (param $a i64) (param $b i64) (result i32 i64)
    (local $dst i32) (local $la i32) (local $lb i32)
    (local.set $la (call $len (local.get $a))) (local.set $lb (call $len (local.get $b)))
    (local.set $dst (call $alloc (i32.add (local.get $la) (local.get $lb))))
    (if (i32.lt_s (local.get $dst) (i32.const 0)) (then (return (i32.const 7) (i64.const 0))))
    (memory.copy (local.get $dst) (call $ptr (local.get $a)) (local.get $la))
    (memory.copy (i32.add (local.get $dst) (local.get $la)) (call $ptr (local.get $b)) (local.get $lb))
    (i32.const 4) (call $mkstr (local.get $dst) (i32.add (local.get $la) (local.get $lb))))

  ;; ---- comparisons ----------------------------------------------------------------------------
  (func $order (param $op i32) (param $c i32) (result i32)
    (block $ge (block $gt (block $le (block $lt (block $ne (block $eq
      (br_table $eq $ne $lt $le $gt $ge (local.get $op)))
      (return (i32.eqz (local.get $c))))
      (return (i32.ne (local.get $c) (i32.const 0))))
      (return (i32.lt_s (local.get $c) (i32.const 0))))
      (return (i32.le_s (local.get $c) (i32.const 0))))
      (return (i32.gt_s (local.get $c) (i32.const 0))))
    (i32.ge_s (local.get $c) (i32.const 0)))

  (func $fcmp (param $op i32) (param $x f64) (param $y f64) (result i32)
    (block $ge (block $gt (block $le (block $lt (block $ne (block $eq
      (br_table $eq $ne $lt $le $gt $ge (local.get $op)))
      (return (f64.eq (local.get $x) (local.get $y))))
      (return (f64.ne (local.get $x) (local.get $y))))
      (return (f64.lt (local.get $x) (local.get $y))))
      (return (f64.le (local.get $x) (local.get $y))))
      (return (f64.gt (local.get $x) (local.get $y))))
    (f64.ge (local.get $x) (local.get $y)))

  ;; An int that converts to f64 exactly (|v| <= 2^53).
  (func $exact (param $v i64) (result i32)
    (i64.le_u (i64.add (local.get $v) (i64.const 9007199254740992)) (i64.const 18014398509481984)))

  ;; A number as f64; $ok cleared when an int is too large to convert exactly.
  (func $tof (param $t i32) (param $b i64) (result f64)
    (if (result f64) (i32.eq (local.get $t) (i32.const 3))
      (then (f64.reinterpret_i64 (local.get $b)))
      (else (f64.convert_i64_s (local.get $b)))))

  ;; Two non-null scalars.
  (func $cmp1 (param $op i32) (param $ta i32) (param $a i64) (param $tb i32) (param $b i64) (result i32)
    (local $ka i32) (local $kb i32)
    (if (i32.or (i32.eq (local.get $ta) (i32.const 7)) (i32.eq (local.get $tb) (i32.const 7)))
      (then (return (i32.const 3))))
    (local.set $ka (select (i32.const 2) (local.get $ta) (i32.eq (local.get $ta) (i32.const 3))))
    (local.set $kb (select (i32.const 2) (local.get $tb) (i32.eq (local.get $tb) (i32.const 3))))
    (if (i32.or (i32.ne (local.get $ka) (local.get $kb)) (i32.eq (local.get $ka) (i32.const 6)))
      (then (return (select (i32.const 2) (i32.eq (local.get $op) (i32.const 1)) (i32.ge_u (local.get $op) (i32.const 2))))))
    (if (i32.eq (local.get $ka) (i32.const 1))
      (then
        (if (i32.ge_u (local.get $op) (i32.const 2)) (then (return (i32.const 2))))
        (return (i32.xor (i64.eq (local.get $a) (local.get $b)) (local.get $op)))))
    (if (i32.eq (local.get $ka) (i32.const 4))
      (then (return (call $order (local.get $op) (call $str_cmp (local.get $a) (local.get $b))))))
    (if (i32.and (i32.eq (local.get $ta) (i32.const 2)) (i32.eq (local.get $tb) (i32.const 2)))
      (then (return (call $order (local.get $op)
        (select (i32.const -1) (i64.gt_s (local.get $a) (local.get $b)) (i64.lt_s (local.get $a) (local.get $b)))))))
    (if (i32.and (i32.eq (local.get $ta) (i32.const 2)) (i32.eqz (call $exact (local.get $a)))) (then (return (i32.const 3))))
    (if (i32.and (i32.eq (local.get $tb) (i32.const 2)) (i32.eqz (call $exact (local.get $b)))) (then (return (i32.const 3))))
    (call $fcmp (local.get $op) (call $tof (local.get $ta) (local.get $a)) (call $tof (local.get $tb) (local.get $b))))

  ;; Any pair of non-null elements (lists on either side), three-valued OR.
  (func $cmp (param $op i32) (param $ta i32) (param $a i64) (param $tb i32) (param $b i64) (result i32)
    (local $p i32) (local $end i32) (local $acc i32) (local $r i32) (local $et i32) (local $eb i64)
    (if (i32.eq (local.get $ta) (i32.const 5))
      (then
        (local.set $acc (i32.const 4))
        (local.set $p (call $ptr (local.get $a)))
        (local.set $end (i32.add (local.get $p) (i32.shl (call $len (local.get $a)) (i32.const 4))))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
            (call $cell (local.get $p)) (local.set $eb) (local.set $et)
            (if (local.get $et)
              (then
                (local.set $r (call $cmp (local.get $op) (local.get $et) (local.get $eb) (local.get $tb) (local.get $b)))
                (if (i32.eq (local.get $r) (i32.const 1)) (then (return (i32.const 1))))
                (if (i32.ne (local.get $r) (i32.const 4)) (then (local.set $acc (call $acc (local.get $acc) (local.get $r)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $next)))
        (return (local.get $acc))))
    (if (i32.eqz (local.get $ta)) (then (return (i32.const 4))))
    (if (i32.eq (local.get $tb) (i32.const 5))
      (then
        (local.set $acc (i32.const 4))
        (local.set $p (call $ptr (local.get $b)))
        (local.set $end (i32.add (local.get $p) (i32.shl (call $len (local.get $b)) (i32.const 4))))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
            (call $cell (local.get $p)) (local.set $eb) (local.set $et)
            (if (local.get $et)
              (then
                (local.set $r (call $cmp1 (local.get $op) (local.get $ta) (local.get $a) (local.get $et) (local.get $eb)))
                (if (i32.eq (local.get $r) (i32.const 1)) (then (return (i32.const 1))))
                (local.set $acc (call $acc (local.get $acc) (local.get $r)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $next)))
        (return (local.get $acc))))
    (if (i32.or (i32.eqz (local.get $ta)) (i32.eqz (local.get $tb))) (then (return (i32.const 4))))
    (call $cmp1 (local.get $op) (local.get $ta) (local.get $a) (local.get $tb) (local.get $b)))

  ;; $cmp with "no pair at all" (4) read as null.
  (func $compare (param $op i32) (param $ta i32) (param $a i64) (param $tb i32) (param $b i64) (result i32)
    (local $r i32)
    (local.set $r (call $cmp (local.get $op) (local.get $ta) (local.get $a) (local.get $tb) (local.get $b)))
    (select (i32.const 2) (local.get $r) (i32.eq (local.get $r) (i32.const 4))))

  ;; Element test $f (table index) on every non-null element, three-valued OR; none is null.
  (func $any (param $f i32) (param $t i32) (param $b i64) (result i32)
    (local $p i32) (local $end i32) (local $acc i32) (local $r i32) (local $et i32) (local $eb i64)
    (if (i32.eqz (local.get $t)) (then (return (i32.const 2))))
    (if (i32.ne (local.get $t) (i32.const 5))
      (then (return (call_indirect (type $elemfn) (local.get $t) (local.get $b) (local.get $f)))))
    (local.set $acc (i32.const 4))
    (local.set $p (call $ptr (local.get $b)))
    (local.set $end (i32.add (local.get $p) (i32.shl (call $len (local.get $b)) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (call $cell (local.get $p)) (local.set $eb) (local.set $et)
        (if (local.get $et)
          (then
            (local.set $r (call_indirect (type $elemfn) (local.get $et) (local.get $eb) (local.get $f)))
            (if (i32.eq (local.get $r) (i32.const 1)) (then (return (i32.const 1))))
            (local.set $acc (call $acc (local.get $acc) (local.get $r)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (select (i32.const 2) (local.get $acc) (i32.eq (local.get $acc) (i32.const 4))))

  ;; The functions' list rule: true if any element is true, else defer, else false, else null.
  (func $any_fn (param $f i32) (param $t i32) (param $b i64) (result i32)
    (local $p i32) (local $end i32) (local $res i32) (local $r i32) (local $et i32) (local $eb i64)
    (if (i32.ne (local.get $t) (i32.const 5))
      (then (return (call_indirect (type $elemfn) (local.get $t) (local.get $b) (local.get $f)))))
    (local.set $res (i32.const 2))
    (local.set $p (call $ptr (local.get $b)))
    (local.set $end (i32.add (local.get $p) (i32.shl (call $len (local.get $b)) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (call $cell (local.get $p)) (local.set $eb) (local.set $et)
        (if (local.get $et)
          (then
            (local.set $r (call_indirect (type $elemfn) (local.get $et) (local.get $eb) (local.get $f)))
            (if (i32.eq (local.get $r) (i32.const 1)) (then (return (i32.const 1))))
            (if (i32.eq (local.get $r) (i32.const 3)) (then (local.set $res (i32.const 3))))
            (if (i32.and (i32.eqz (local.get $r)) (i32.eq (local.get $res) (i32.const 2)))
              (then (local.set $res (i32.const 0))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (local.get $res))

  ;; Does a value have a non-null element (scalar: is it non-null)?
  (func $has (param $t i32) (param $b i64) (result i32)
    (local $p i32) (local $end i32)
    (if (i32.ne (local.get $t) (i32.const 5)) (then (return (i32.ne (local.get $t) (i32.const 0)))))
    (local.set $p (call $ptr (local.get $b)))
    (local.set $end (i32.add (local.get $p) (i32.shl (call $len (local.get $b)) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.load (local.get $p)) (then (return (i32.const 1))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next)))
    (i32.const 0))

  ;; ---- arithmetic -----------------------------------------------------------------------------
  ;; op: 0 +, 1 -, 2 *, 3 /, 4 %. Null unless both are numbers; int overflow and float % defer.
  (func $arith (param $op i32) (param $ta i32) (param $a i64) (param $tb i32) (param $b i64) (result i32 i64)
    (local $r i64) (local $x f64) (local $y f64)
    (if (i32.or (i32.eq (local.get $ta) (i32.const 7)) (i32.eq (local.get $tb) (i32.const 7)))
      (then (return (i32.const 7) (i64.const 0))))
    (if (i32.or
          (i32.or (i32.lt_u (local.get $ta) (i32.const 2)) (i32.gt_u (local.get $ta) (i32.const 3)))
          (i32.or (i32.lt_u (local.get $tb) (i32.const 2)) (i32.gt_u (local.get $tb) (i32.const 3))))
      (then (return (i32.const 0) (i64.const 0))))
    (if (i32.and (i32.eq (local.get $ta) (i32.const 2)) (i32.eq (local.get $tb) (i32.const 2)))
      (then
        (if (i32.eqz (local.get $op))
          (then
            (local.set $r (i64.add (local.get $a) (local.get $b)))
            (if (i64.lt_s (i64.and (i64.xor (local.get $r) (local.get $a)) (i64.xor (local.get $r) (local.get $b))) (i64.const 0))
              (then (return (i32.const 7) (i64.const 0))))
            (return (i32.const 2) (local.get $r))))
        (if (i32.eq (local.get $op) (i32.const 1))
          (then
            (local.set $r (i64.sub (local.get $a) (local.get $b)))
            (if (i64.lt_s (i64.and (i64.xor (local.get $a) (local.get $b)) (i64.xor (local.get $r) (local.get $a))) (i64.const 0))
              (then (return (i32.const 7) (i64.const 0))))
            (return (i32.const 2) (local.get $r))))
        (if (i32.eq (local.get $op) (i32.const 2))
          (then
            (if (i32.or (i32.eqz (call $small (local.get $a))) (i32.eqz (call $small (local.get $b))))
              (then (return (i32.const 7) (i64.const 0))))
            (return (i32.const 2) (i64.mul (local.get $a) (local.get $b)))))
        (if (i64.eqz (local.get $b)) (then (return (i32.const 0) (i64.const 0))))
        (if (i32.eq (local.get $op) (i32.const 3))
          (then
            (if (i32.and (i64.eq (local.get $a) (i64.const 0x8000000000000000)) (i64.eq (local.get $b) (i64.const -1)))
              (then (return (i32.const 7) (i64.const 0))))
            (return (i32.const 2) (i64.div_s (local.get $a) (local.get $b)))))
        (return (i32.const 2) (i64.rem_s (local.get $a) (local.get $b)))))
    (if (i32.and (i32.eq (local.get $ta) (i32.const 2)) (i32.eqz (call $exact (local.get $a)))) (then (return (i32.const 7) (i64.const 0))))
    (if (i32.and (i32.eq (local.get $tb) (i32.const 2)) (i32.eqz (call $exact (local.get $b)))) (then (return (i32.const 7) (i64.const 0))))
    (local.set $x (call $tof (local.get $ta) (local.get $a)))
    (local.set $y (call $tof (local.get $tb) (local.get $b)))
    (if (i32.eqz (local.get $op)) (then (return (i32.const 3) (i64.reinterpret_f64 (f64.add (local.get $x) (local.get $y))))))
    (if (i32.eq (local.get $op) (i32.const 1)) (then (return (i32.const 3) (i64.reinterpret_f64 (f64.sub (local.get $x) (local.get $y))))))
    (if (i32.eq (local.get $op) (i32.const 2)) (then (return (i32.const 3) (i64.reinterpret_f64 (f64.mul (local.get $x) (local.get $y))))))
    (if (f64.eq (local.get $y) (f64.const 0)) (then (return (i32.const 0) (i64.const 0))))
    (if (i32.eq (local.get $op) (i32.const 3)) (then (return (i32.const 3) (i64.reinterpret_f64 (f64.div (local.get $x) (local.get $y))))))
    (i32.const 7) (i64.const 0))

  (func $small (param $v i64) (result i32)
    (i64.le_u (i64.add (local.get $v) (i64.const 0x80000000)) (i64.const 0xFFFFFFFF)))

  (func $neg (param $t i32) (param $b i64) (result i32 i64)
    (if (i32.eq (local.get $t) (i32.const 2))
      (then
        (if (i64.eq (local.get $b) (i64.const 0x8000000000000000)) (then (return (i32.const 7) (i64.const 0))))
        (return (i32.const 2) (i64.sub (i64.const 0) (local.get $b)))))
    (if (i32.eq (local.get $t) (i32.const 3))
      (then (return (i32.const 3) (i64.reinterpret_f64 (f64.neg (f64.reinterpret_i64 (local.get $b)))))))
    (select (i32.const 7) (i32.const 0) (i32.eq (local.get $t) (i32.const 7))) (i64.const 0))

  ;; ---- IPv4 -----------------------------------------------------------------------------------
  ;; Strict dotted quad (Python's ipaddress): the address, -1 when invalid, -2 when it may be IPv6.
  (func $ipv4 (param $s i64) (result i64)
    (local $p i32) (local $end i32) (local $c i32) (local $octet i32) (local $digits i32)
    (local $parts i32) (local $addr i64) (local $lead i32)
    (local.set $p (call $ptr (local.get $s)))
    (local.set $end (i32.add (local.get $p) (call $len (local.get $s))))
    (block $done
      (loop $next
        (if (i32.ge_u (local.get $p) (local.get $end)) (then (local.set $c (i32.const 46))) (else (local.set $c (i32.load8_u (local.get $p)))))
        (if (i32.eq (local.get $c) (i32.const 58)) (then (return (i64.const -2))))
        (if (i32.eq (local.get $c) (i32.const 46))
          (then
            (if (i32.eqz (local.get $digits)) (then (return (i64.const -1))))
            (if (i32.and (local.get $lead) (i32.gt_u (local.get $digits) (i32.const 1))) (then (return (i64.const -1))))
            (local.set $addr (i64.or (i64.shl (local.get $addr) (i64.const 8)) (i64.extend_i32_u (local.get $octet))))
            (local.set $parts (i32.add (local.get $parts) (i32.const 1)))
            (local.set $octet (i32.const 0)) (local.set $digits (i32.const 0))
            (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (if (i32.ge_u (local.get $p) (local.get $end)) (then (return (i64.const -1))))
            (br $next)))
        (if (i32.or (i32.lt_u (local.get $c) (i32.const 48)) (i32.gt_u (local.get $c) (i32.const 57)))
          (then (return (select (i64.const -2) (i64.const -1) (i32.ge_u (local.get $c) (i32.const 0x80))))))
        (if (i32.eqz (local.get $digits)) (then (local.set $lead (i32.eq (local.get $c) (i32.const 48)))))
        (local.set $octet (i32.add (i32.mul (local.get $octet) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (if (i32.or (i32.gt_u (local.get $digits) (i32.const 3)) (i32.gt_u (local.get $octet) (i32.const 255)))
          (then (return (i64.const -1))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (if (i32.ne (local.get $parts) (i32.const 4)) (then (return (i64.const -1))))
    (local.get $addr))

  ;; ---- functions --------------------------------------------------------------------------------
  (func $isnull (param $t i32) (param $b i64) (result i32)
    (if (i32.eq (local.get $t) (i32.const 7)) (then (return (i32.const 3))))
    (i32.eqz (call $has (local.get $t) (local.get $b))))

  (func $length (param $t i32) (param $b i64) (result i32 i64)
    (if (i32.eq (local.get $t) (i32.const 4)) (then (return (i32.const 2) (i64.extend_i32_u (call $cp_len (local.get $b))))))
    (if (i32.eq (local.get $t) (i32.const 5)) (then (return (i32.const 2) (i64.extend_i32_u (call $len (local.get $b))))))
    (select (i32.const 7) (i32.const 0) (i32.eq (local.get $t) (i32.const 7))) (i64.const 0))

  ;; Python slice bound on n code points.
  (func $bound (param $v i64) (param $n i32) (result i32)
    (if (i64.lt_s (local.get $v) (i64.const 0)) (then (local.set $v (i64.add (local.get $v) (i64.extend_i32_u (local.get $n))))))
    (if (i64.lt_s (local.get $v) (i64.const 0)) (then (return (i32.const 0))))
    (if (i64.gt_s (local.get $v) (i64.extend_i32_u (local.get $n))) (then (return (local.get $n))))
    (i32.wrap_i64 (local.get $v)))

  ;; substring(source, start[, end]); $te = 0 when there is no end.
  (func $substring (param $ts i32) (param $s i64) (param $ta i32) (param $a i64) (param $te i32) (param $e i64) (result i32 i64)
    (local $n i32) (local $i i32) (local $j i32) (local $bi i32) (local $bj i32)
    (if (i32.or (i32.eq (local.get $ts) (i32.const 7)) (i32.or (i32.eq (local.get $ta) (i32.const 7)) (i32.eq (local.get $te) (i32.const 7))))
      (then (return (i32.const 7) (i64.const 0))))
    (if (i32.ne (local.get $ts) (i32.const 4)) (then (return (i32.const 0) (i64.const 0))))
    (if (i32.eqz (local.get $ta)) (then (return (local.get $ts) (local.get $s))))
    (if (i32.or (i32.eq (local.get $ta) (i32.const 3)) (i32.eq (local.get $te) (i32.const 3))) (then (return (i32.const 7) (i64.const 0))))
    (if (i32.or (i32.ne (local.get $ta) (i32.const 2)) (i32.and (i32.ne (local.get $te) (i32.const 0)) (i32.ne (local.get $te) (i32.const 2))))
      (then (return (i32.const 0) (i64.const 0))))
    (local.set $n (call $cp_len (local.get $s)))
    (local.set $i (call $bound (local.get $a) (local.get $n)))
    (local.set $j (if (result i32) (local.get $te) (then (call $bound (local.get $e) (local.get $n))) (else (local.get $n))))
    (if (i32.le_s (local.get $j) (local.get $i)) (then (return (i32.const 4) (call $mkstr (call $ptr (local.get $s)) (i32.const 0)))))
    (local.set $bi (call $cp_byte (local.get $s) (local.get $i)))
    (local.set $bj (call $cp_byte (local.get $s) (local.get $j)))
    (i32.const 4) (call $mkstr (i32.add (call $ptr (local.get $s)) (local.get $bi)) (i32.sub (local.get $bj) (local.get $bi))))

  ;; indexOf(source, sub[, start]); $ta = 0 when start is null or absent.
  (func $indexof (param $ts i32) (param $s i64) (param $tp i32) (param $p i64) (param $ta i32) (param $a i64) (result i32 i64)
    (local $n i32) (local $begin i32) (local $found i32)
    (if (i32.or (i32.eq (local.get $ts) (i32.const 7)) (i32.or (i32.eq (local.get $tp) (i32.const 7)) (i32.eq (local.get $ta) (i32.const 7))))
      (then (return (i32.const 7) (i64.const 0))))
    (if (i32.or (i32.ne (local.get $ts) (i32.const 4)) (i32.ne (local.get $tp) (i32.const 4))) (then (return (i32.const 0) (i64.const 0))))
    (if (i32.eq (local.get $ta) (i32.const 3)) (then (return (i32.const 7) (i64.const 0))))
    (if (i32.and (i32.ne (local.get $ta) (i32.const 0)) (i32.ne (local.get $ta) (i32.const 2))) (then (return (i32.const 0) (i64.const 0))))
    (local.set $n (call $cp_len (local.get $s)))
    (if (i32.eqz (local.get $ta)) (then (local.set $a (i64.const 0))))
    (if (i64.lt_s (local.get $a) (i64.const 0)) (then (local.set $a (i64.const 0))))
    (if (i64.ge_s (local.get $a) (i64.extend_i32_u (local.get $n)))
      (then
        (if (i32.eqz (call $len (local.get $p))) (then (return (i32.const 2) (i64.extend_i32_u (local.get $n)))))
        (return (i32.const 0) (i64.const 0))))
    (local.set $found (call $find (local.get $s) (local.get $p) (call $cp_byte (local.get $s) (i32.wrap_i64 (local.get $a)))))
    (if (i32.lt_s (local.get $found) (i32.const 0)) (then (return (i32.const 0) (i64.const 0))))
    (i32.const 2) (i64.extend_i32_u (call $byte_cp (local.get $s) (local.get $found))))

  ;; between(source, left, right, greedy) for case-sensitive calls.
  (func $between (param $ts i32) (param $s i64) (param $tl i32) (param $l i64) (param $tr i32) (param $r i64) (param $greedy i32) (result i32 i64)
    (local $idx i32) (local $start i32) (local $end i32)
    (if (i32.or (i32.eq (local.get $ts) (i32.const 7)) (i32.or (i32.eq (local.get $tl) (i32.const 7)) (i32.eq (local.get $tr) (i32.const 7))))
      (then (return (i32.const 7) (i64.const 0))))
    (if (i32.or (i32.ne (local.get $ts) (i32.const 4)) (i32.or (i32.ne (local.get $tl) (i32.const 4)) (i32.ne (local.get $tr) (i32.const 4))))
      (then (return (i32.const 0) (i64.const 0))))
    (if (i32.or (i32.eqz (call $len (local.get $s))) (i32.or (i32.eqz (call $len (local.get $l))) (i32.eqz (call $len (local.get $r)))))
      (then (return (local.get $ts) (local.get $s))))
    (local.set $idx (call $find (local.get $s) (local.get $l) (i32.const 0)))
    (if (i32.lt_s (local.get $idx) (i32.const 0)) (then (return (i32.const 4) (call $mkstr (call $ptr (local.get $s)) (i32.const 0)))))
    (local.set $start (i32.add (local.get $idx) (call $len (local.get $l))))
    (local.set $end (if (result i32) (local.get $greedy)
      (then (call $rfind (local.get $s) (local.get $r)))
      (else (call $find (local.get $s) (local.get $r) (local.get $start)))))
    (if (i32.lt_s (local.get $end) (local.get $start)) (then (return (i32.const 4) (call $mkstr (call $ptr (local.get $s)) (i32.const 0)))))
    (i32.const 4) (call $mkstr (i32.add (call $ptr (local.get $s)) (local.get $start)) (i32.sub (local.get $end) (local.get $start))))

  ;; number(source) without a base: plain decimal integers here, everything else on the host.
  (func $number (param $t i32) (param $b i64) (result i32 i64)
    (local $p i32) (local $end i32) (local $neg i32) (local $v i64) (local $c i32) (local $n i32)
    (if (i32.eq (local.get $t) (i32.const 7)) (then (return (i32.const 7) (i64.const 0))))
    (if (i32.ne (local.get $t) (i32.const 4)) (then (return (i32.const 0) (i64.const 0))))
    (local.set $p (call $ptr (local.get $b)))
    (local.set $end (i32.add (local.get $p) (call $len (local.get $b))))
    (if (i32.and (i32.lt_u (local.get $p) (local.get $end)) (i32.eq (i32.load8_u (local.get $p)) (i32.const 45)))
      (then (local.set $neg (i32.const 1)) (local.set $p (i32.add (local.get $p) (i32.const 1)))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
        (if (i32.gt_u (local.get $c) (i32.const 9)) (then (return (i32.const 7) (i64.const 0))))
        (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (if (i32.gt_u (local.get $n) (i32.const 18)) (then (return (i32.const 7) (i64.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (if (i32.eqz (local.get $n)) (then (return (i32.const 7) (i64.const 0))))
    (if (i32.and (local.get $neg) (i64.eqz (local.get $v))) (then (return (i32.const 7) (i64.const 0))))
    (i32.const 2) (select (i64.sub (i64.const 0) (local.get $v)) (local.get $v) (local.get $neg)))

  (table $fns 2 funcref)
  (elem (i32.const 0) func $f0 $f1)
(func $f0 (type $elemfn) (param $t i32) (param $b i64) (result i32) (local $r i32)
local.get $t
i32.const 7
i32.eq
if
i32.const 3
return
end
local.get $t
i32.const 4
i32.eq
if
local.get $b
i64.const 55834591232
call $str_eq
if
i32.const 1
return
end
local.get $b
i64.const 51539623949
call $str_eq
if
i32.const 1
return
end
end
i32.const 0)
(func $f1 (type $elemfn) (param $t i32) (param $b i64) (result i32) 
local.get $t
i32.const 4
i32.ne
if
local.get $t
i32.const 7
i32.eq
i32.const 3
i32.mul
return
end
local.get $b
i64.const 34359754777
call $contains
if
i32.const 1
return
end
local.get $b
i64.const 38654722081
call $contains
if
i32.const 1
return
end
i32.const 0)
(func $p0 (param $e i32) (result i32) (local $l0 i32) (local $l1 i32)
i32.const 1
local.set $l0
block $b1
i32.const 0
local.get $e
i32.const 4
i32.shl
i32.const 104
i32.load
i32.add
call $cell
call $any
local.tee $l1
i32.const 0
i32.eq
if
i32.const 0
local.set $l0
br $b1
end
local.get $l0
local.get $l1
local.get $l0
local.get $l1
i32.gt_u
select
local.set $l0
i32.const 1
local.get $e
i32.const 4
i32.shl
i32.const 108
i32.load
i32.add
call $cell
call $any
local.tee $l1
i32.const 0
i32.eq
if
i32.const 0
local.set $l0
br $b1
end
local.get $l0
local.get $l1
local.get $l0
local.get $l1
i32.gt_u
select
local.set $l0
end
local.get $l0)
(func (export "kestrel_eval_batch") (param $start i32) (result i32)
  (local $e i32) (local $n i32) (local $o i32) (local $end i32) (local $c i32) (local $t i32)
  (global.set $str_base (i64.extend_i32_u (i32.load (i32.const 92))))
  (global.set $list_base (i64.extend_i32_u (i32.load (i32.const 96))))
  (local.set $n (i32.load (i32.const 64)))
  (local.set $o (i32.load (i32.const 68)))
  (local.set $end (i32.add (local.get $o) (i32.shl (i32.load (i32.const 72)) (i32.const 3))))
  (local.set $e (local.get $start))
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $e) (local.get $n)))
    (br_if $done (i32.gt_u (i32.add (local.get $o) (i32.const 8)) (local.get $end)))
    (i32.store (i32.const 76) (local.get $e))
    (i32.store (i32.const 80) (local.get $o))
    (global.set $scratch (global.get $scratch_base))
    (local.set $c (i32.add (i32.load (i32.const 84))
      (i32.mul (local.get $e) (i32.const 8))))
(if (i64.ne (i64.and (i64.load offset=0 (local.get $c)) (i64.const 1)) (i64.const 0)) (then
(local.set $t (call $p0 (local.get $e)))
(if (i32.and (local.get $t) (i32.const 1)) (then
  (i32.store (local.get $o) (local.get $e))
  (i32.store offset=4 (local.get $o) (i32.or (i32.const 0) (i32.shl (i32.shr_u (local.get $t) (i32.const 1)) (i32.const 31))))
  (local.set $o (i32.add (local.get $o) (i32.const 8)))))))
    (local.set $e (i32.add (local.get $e) (i32.const 1)))
    (br $next)))
  (i32.store (i32.const 76) (local.get $e))
  (i32.store (i32.const 80) (local.get $o))
  (i32.shr_u (i32.sub (local.get $o) (i32.load (i32.const 68))) (i32.const 3)))
(data (i32.const 16384) "\62\69\74\73\61\64\6d\69\6e\2e\65\78\65\63\65\72\74\75\74\69\6c\2e\65\78\65\75\72\6c\63\61\63\68\65\2f\74\72\61\6e\73\66\65\72\74\72\75\65\66\61\6c\73\65")
)