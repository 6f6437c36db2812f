package zkp

import (
	"bytes"
	"crypto/sha256"
	"os"
	"runtime"
	"testing"
	"time"
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
