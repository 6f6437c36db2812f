// Package testenv holds the test fixtures that the tests of verifier and
// verifier/protocol share: the test circuit shape and its keys, the fuzz
// allocation ceiling and the adversarial submissions. Only tests import it.
package testenv

import (
	_ "embed"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"

	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/zkp"
)

// Shape is the smallest shape that exercises every feature (a set
// predicate, disclosure, nullifier).
var Shape = zkp.Shape{Slots: 8, Predicates: 3, SetPredicates: 1, SetDepth: 4, RevocationDepth: 6, Disclosure: true, Nullifier: true}

var testKeys = sync.OnceValues(func() (*zkp.Keys, error) {
	return zkp.UnsafeSetup(Shape, zkp.Groth16)
})

// Keys returns the Groth16 keys for Shape, set up once per test binary.
func Keys(t testing.TB) *zkp.Keys {
	t.Helper()
	k, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// MaxFuzzAlloc is the heap a single fuzz input may allocate: an input that
// makes a decoder allocate more fails the target (and is saved as a
// crasher) instead of killing the fuzzing process.
const MaxFuzzAlloc = 64 << 20

// AllocCeiling runs f and fails t if it allocated more than max heap bytes
// ("/gc/heap/allocs:bytes" before and after; fuzz with -parallel 1).
func AllocCeiling(t testing.TB, max uint64, f func()) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	if metrics.Read(s[:1]); func() bool { f(); metrics.Read(s[1:]); return s[1].Value.Uint64()-s[0].Value.Uint64() > max }() {
		t.Fatalf("one input allocated over %d heap bytes", max)
	}
}

//go:embed plonk-bomb.json
var plonkBomb []byte

// PlonkBomb is an honest PLONK presentation (zkp's valid-plonk fuzz seed)
// with the flag bits of its first G1 point switched from 0b10 (compressed)
// to 0b00 (uncompressed): gnark then reads every later field 32 bytes off,
// and a length header from proof bytes. Given to the PLONK decoder, this
// ~1 KiB submission allocated gigabytes.
func PlonkBomb(t testing.TB) []byte {
	return append([]byte(nil), plonkBomb...)
}

// RealPresentation returns the issuer key id and the presentation of a
// well-formed submission (verifier/protocol's FuzzParseSubmission seed
// "real"), the presentation re-made for the Keys verifying key so that it
// passes the key check. protocol.NewSubmission turns them into a
// submission.
func RealPresentation(t testing.TB) (issuerKeyID string, pres *zkp.Presentation) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	seed, err := os.ReadFile(filepath.Join(filepath.Dir(file), "../../protocol/testdata/fuzz/FuzzParseSubmission/real"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(strings.TrimPrefix(string(seed), "go test fuzz v1\n[]byte("), ")\n")
	var b string
	if err := strictjson.Unmarshal([]byte(s), &b); err != nil {
		t.Fatal(err)
	}
	var env struct {
		Version      string          `json:"version"`
		Issuer       string          `json:"issuer"`
		Presentation json.RawMessage `json:"presentation"`
	}
	if err := strictjson.Unmarshal([]byte(b), &env); err != nil {
		t.Fatal(err)
	}
	pres, err = zkp.DecodePresentation(env.Presentation)
	if err != nil {
		t.Fatal(err)
	}
	pres.Key = Keys(t).VerifyingKey.Fingerprint()
	return env.Issuer, pres
}
