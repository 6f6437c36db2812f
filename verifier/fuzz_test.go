package verifier

import (
	"errors"
	"os"
	"runtime/metrics"
	"testing"
)

// maxFuzzAlloc is the heap a single fuzz input may allocate: an input that
// makes a decoder allocate more fails the target (and is saved as a
// crasher) instead of killing the fuzzing process.
const maxFuzzAlloc = 64 << 20

// allocCeiling runs f and fails t if it allocated more than max heap bytes
// ("/gc/heap/allocs:bytes" before and after; fuzz with -parallel 1).
func allocCeiling(t testing.TB, max uint64, f func()) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	if metrics.Read(s[:1]); func() bool { f(); metrics.Read(s[1:]); return s[1].Value.Uint64()-s[0].Value.Uint64() > max }() {
		t.Fatalf("one input allocated over %d heap bytes", max)
	}
}

// plonkBomb is an honest PLONK presentation (zkp's valid-plonk fuzz seed)
// with the flag bits of its first G1 point switched from 0b10 (compressed)
// to 0b00 (uncompressed): gnark then reads every later field 32 bytes off,
// and a length header from proof bytes. Given to the PLONK decoder, this
// ~1 KiB submission allocated gigabytes.
func plonkBomb(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/plonk-bomb.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseSubmission(f *testing.F) {
	f.Add([]byte(`{"version":"zkcred-submission-v1","issuer":"did:web:a.example#zk-1","presentation":{}}`))
	f.Add([]byte(`{"version":"zkcred-submission-v1","issuer":"did:web:a.example#zk-1","presentation":{"version":1,"backend":"groth16"}}`))
	f.Add([]byte(`[]`))
	f.Add(plonkBomb(f))
	vk := keys(f).VerifyingKey
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, maxFuzzAlloc, func() {
			sub, pres, err := ParseSubmission(b, vk)
			if err != nil {
				if !errors.Is(err, ErrMalformedPresentation) {
					t.Fatalf("error does not wrap ErrMalformedPresentation: %v", err)
				}
				return
			}
			// Accepted presentations are canonical: they re-encode to the
			// bytes they came from.
			enc, err := pres.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if string(enc) != string(sub.Presentation) {
				t.Fatalf("presentation not canonical:\n%s\n%s", sub.Presentation, enc)
			}
		})
	})
}
