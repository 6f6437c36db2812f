package agencykey

import (
	"crypto/rand"
	"runtime/metrics"
	"strings"
	"testing"

	"filippo.io/age"
)

// heapAllocs returns the bytes f allocated on the heap (runtime/metrics),
// the least of three runs (the counter is process-wide).
func heapAllocs(f func()) uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	least := ^uint64(0)
	for range 3 {
		metrics.Read(s)
		before := s[0].Value.Uint64()
		f()
		metrics.Read(s)
		least = min(least, s[0].Value.Uint64()-before)
	}
	return least
}

// allocCeiling is the most decrypting an n-byte file may allocate: age's
// 64 KiB payload chunk buffers, the ZK key's public key derivation and the
// decoders, bounded by MaxFileSize.
func allocCeiling(n int) uint64 { return 512<<10 + 64*uint64(n) }

// fuzzIdentity is the X25519 identity the fuzz targets decrypt with
// (fixed, so that the seeds keep opening).
const fuzzIdentity = "AGE-SECRET-KEY-10Q8Q49ULHWW5DEYVCJ47WPN9QL9TEDYK03VZM8GAGERGE8TARJXSEJD6R9"

// FuzzDecrypt: Decrypt never panics, stays under the allocation ceiling,
// and what opens re-encrypts to a file that opens to the same keys.
func FuzzDecrypt(f *testing.F) {
	id, err := age.ParseX25519Identity(fuzzIdentity)
	if err != nil {
		f.Fatal(err)
	}
	k, err := Generate(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	file, err := k.Encrypt(id.Recipient())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(file)
	f.Add(file[:len(file)/2])
	f.Add([]byte(`{"version":"zkcred-agency-keys-v1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got *Keys
		var err error
		if n := heapAllocs(func() { got, err = Decrypt(b, id) }); n > allocCeiling(len(b)) {
			t.Fatalf("%d bytes allocated for a %d-byte file", n, len(b))
		}
		if err != nil {
			if got != nil {
				t.Fatal("keys with an error")
			}
			return
		}
		again, err := got.Encrypt(id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		k2, err := Decrypt(again, id)
		if err != nil || !sameKeys(got, k2) {
			t.Fatalf("re-encrypted keys differ: %v", err)
		}
	})
}

// FuzzParse: the plaintext document parser never panics, stays under the
// allocation ceiling, and accepts only documents Encrypt could write.
func FuzzParse(f *testing.F) {
	seed := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	f.Add([]byte(`{"version":"zkcred-agency-keys-v1","jose":"` + seed + `","zk":"` + seed + `"}`))
	f.Add([]byte(`{"version":"zkcred-agency-keys-v1","zk":"` + seed + `"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxPlaintext {
			return // Decrypt refuses these before parse
		}
		var k *Keys
		var err error
		if n := heapAllocs(func() { k, err = parse(b) }); n > allocCeiling(len(b)) {
			t.Fatalf("%d bytes allocated for a %d-byte document", n, len(b))
		}
		if err != nil {
			return
		}
		id, _ := age.ParseX25519Identity(fuzzIdentity)
		file, err := k.Encrypt(id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		if k2, err := Decrypt(file, id); err != nil || !sameKeys(k, k2) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzParseIdentity: the identity file reader never panics, stays under
// the allocation ceiling, returns a usable pair or an error, and never puts
// key material in its error.
func FuzzParseIdentity(f *testing.F) {
	f.Add("# created: 2026-12-06T00:00:00Z\n" + fuzzIdentity + "\n")
	f.Add(fuzzIdentity + "\n" + fuzzIdentity + "\n")
	f.Add("AGE-SECRET-KEY-PQ-1\n")
	f.Fuzz(func(t *testing.T, s string) {
		var r age.Recipient
		var id age.Identity
		var err error
		if n := heapAllocs(func() { r, id, err = ParseIdentity(strings.NewReader(s)) }); n > allocCeiling(len(s)) {
			t.Fatalf("%d bytes allocated for a %d-byte identity file", n, len(s))
		}
		if err != nil {
			if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
				t.Fatalf("error shows key material: %v", err)
			}
			return
		}
		k, err := Generate(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		file, err := k.Encrypt(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decrypt(file, id); err != nil {
			t.Fatalf("the identity does not open what its recipient encrypted: %v", err)
		}
	})
}
