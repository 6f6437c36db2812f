package zkp

import (
	"bytes"
	"crypto/sha256"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/zkcred/zkcred/zkp/internal/groth16verify"
)

// Key loading and proving as a browser wallet does them, for the default
// Groth16 shape. They need a key directory: ZKCRED_BENCH_KEYS=DIR (created
// by a native run on first use, with UnsafeCachedSetup; a js/wasm run only
// reads it). Natively:
//
//	ZKCRED_BENCH_KEYS=/tmp/zkkeys go test -run '^$' -bench 'KeyLoad|ProveCached' -benchtime 3x ./zkp
//
// and in WebAssembly under Node.js (V8, Chromium's engine):
//
//	ZKCRED_BENCH_KEYS=/tmp/zkkeys GOOS=js GOARCH=wasm go test -exec "$(go env GOROOT)/lib/wasm/go_js_wasm_exec" \
//	  -run '^$' -bench 'KeyLoad|ProveCached' -benchtime 3x ./zkp
//
// KeyLoad/bundle is ReadKeys (every point checked), KeyLoad/cache
// DangerousParseKeyCache (the wallet's cache), KeyLoad/compile the circuit
// compilation both include; ProveCached proves with keys from the cache.
func benchKeys(b *testing.B) *Keys {
	dir := os.Getenv("ZKCRED_BENCH_KEYS")
	if dir == "" {
		b.Skip("set ZKCRED_BENCH_KEYS to a key directory (created natively on first use)")
	}
	if runtime.GOOS == "js" {
		k, err := LoadKeys(KeyDir(dir, DefaultShape(), Groth16), nil)
		if err != nil {
			b.Skipf("no default-shape keys in %s (run the benchmark natively first): %v", dir, err)
		}
		return k
	}
	k, err := UnsafeCachedSetup(dir, DefaultShape(), Groth16)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func BenchmarkKeyLoad(b *testing.B) {
	keys := benchKeys(b)
	var bundle bytes.Buffer
	if _, err := keys.WriteTo(&bundle); err != nil {
		b.Fatal(err)
	}
	cache, err := keys.MarshalCache()
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(cache)
	fp := keys.VerifyingKey.Fingerprint()
	b.Run("bundle", func(b *testing.B) {
		b.ReportMetric(float64(bundle.Len()), "bytes")
		for b.Loop() {
			if _, err := ReadKeys(bytes.NewReader(bundle.Bytes()), &fp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cache", func(b *testing.B) {
		b.ReportMetric(float64(len(cache)), "bytes")
		for b.Loop() {
			if _, err := DangerousParseKeyCache(cache, sum, &fp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("compile", func(b *testing.B) {
		for b.Loop() {
			if _, err := compile(DefaultShape(), Groth16); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkProveCached(b *testing.B) {
	keys := benchKeys(b)
	cache, err := keys.MarshalCache()
	if err != nil {
		b.Fatal(err)
	}
	keys, err = DangerousParseKeyCache(cache, sha256.Sum256(cache), nil)
	if err != nil {
		b.Fatal(err)
	}
	f := newFixture(b, DefaultShape())
	t0 := time.Now()
	if _, err := Prove(keys, &f.st, &f.w); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(t0).Milliseconds()), "first_prove_ms")
	for b.Loop() {
		if _, err := Prove(keys, &f.st, &f.w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFirstVerify compares, for the default Groth16 shape, the two
// ways a freshly loaded verifying key checks its first proof: VerifyOnce
// (Prove's self-check: bucket MSM for the public-input sum, no tables
// built) against the first Verify (builds the fixed-base tables), and
// then a Verify with the tables built (a verifier service's steady
// state). Same key directory and commands as BenchmarkKeyLoad, with
// -bench FirstVerify.
func BenchmarkFirstVerify(b *testing.B) {
	keys := benchKeys(b)
	f := newFixture(b, DefaultShape())
	p, err := Prove(keys, &f.st, &f.w)
	if err != nil {
		b.Fatal(err)
	}
	vec := publicVector(DefaultShape(), &f.st, outputs(DefaultShape(), &f.st, &f.w))
	var once, first, steady time.Duration
	n := 0
	for b.Loop() {
		v, err := groth16verify.New(keys.VerifyingKey.g16, ErrInvalidProof)
		if err != nil || v == nil {
			b.Fatal("no fast verifier", err)
		}
		t0 := time.Now()
		if err := v.VerifyOnce(nil, p.Proof, vec); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := v.Verify(nil, p.Proof, vec); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := v.Verify(nil, p.Proof, vec); err != nil {
			b.Fatal(err)
		}
		once += t1.Sub(t0)
		first += t2.Sub(t1)
		steady += time.Since(t2)
		n++
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	b.ReportMetric(ms(once), "verify_once_ms")
	b.ReportMetric(ms(first), "first_verify_ms")
	b.ReportMetric(ms(steady), "verify_ms")
}

// BenchmarkProveSplit measures the two halves of a split proof (default
// Groth16 shape, same key directory and commands as BenchmarkKeyLoad, with
// -bench ProveSplit) beside Prove: "main" is ProveSplit with the helper's
// answer ready (what the proving worker computes), "helper" is
// SplitHelper.Answer (what the second worker computes). With the two on
// two threads a proof takes about the larger of the two, plus the
// request's trip between workers.
func BenchmarkProveSplit(b *testing.B) {
	keys := benchKeys(b)
	f := newFixture(b, DefaultShape())
	hk, err := keys.SplitHelperKey()
	if err != nil {
		b.Fatal(err)
	}
	h, err := ParseSplitHelper(hk)
	if err != nil {
		b.Fatal(err)
	}
	var req, ans []byte
	record := func(r []byte) func() ([]byte, error) {
		req = bytes.Clone(r)
		return func() ([]byte, error) { a, err := h.Answer(r); ans = a; return a, err }
	}
	if _, err := ProveSplit(keys, &f.st, &f.w, record); err != nil {
		b.Fatal(err)
	}
	b.Run("prove", func(b *testing.B) {
		for b.Loop() {
			if _, err := Prove(keys, &f.st, &f.w); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("main", func(b *testing.B) {
		ready := func([]byte) func() ([]byte, error) { return func() ([]byte, error) { return ans, nil } }
		for b.Loop() {
			if _, err := ProveSplit(keys, &f.st, &f.w, ready); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("helper", func(b *testing.B) {
		for b.Loop() {
			if _, err := h.Answer(req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(hk)), "key_bytes")
		b.ReportMetric(float64(len(req)), "request_bytes")
	})
	b.Run("helper-load", func(b *testing.B) {
		for b.Loop() {
			if _, err := ParseSplitHelper(hk); err != nil {
				b.Fatal(err)
			}
		}
	})
}
