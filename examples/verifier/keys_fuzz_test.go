package main

import (
	"bytes"
	"runtime/metrics"
	"testing"
)

// oidHeapAllocs returns the bytes f allocated on the heap, the least of
// three runs (the counter is process-wide), as credential/agencykey's
// fuzz targets measure.
func oidHeapAllocs(f func()) uint64 {
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

// FuzzOIDKeyFile: the OpenID4VP key document parser never panics, stays
// under an allocation ceiling, and accepts only documents that marshal
// back to the same keys.
func FuzzOIDKeyFile(f *testing.F) {
	seed := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	f.Add([]byte(`{"version":"` + oidKeysVersion + `","signing":"` + seed + `","encryption":"` + seed + `"}`))
	f.Add([]byte(`{"version":"` + legacyOIDKeysVersion + `","signing":"` + seed + `","encryption":"` + seed + `"}`))
	f.Add([]byte(`{"version":"` + oidKeysVersion + `","signing":"` + seed + `","encryption":"` + seed + `","x":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxOIDPlain {
			return // OpenSealed and migrate-keys refuse these before parsing
		}
		var err error
		n := oidHeapAllocs(func() { _, _, err = parseOIDKeyFile(b, oidKeysVersion) })
		if ceiling := 64<<10 + 64*uint64(len(b)); n > ceiling {
			t.Fatalf("%d bytes allocated for a %d-byte document", n, len(b))
		}
		if err != nil {
			return
		}
		sig, enc, _ := parseOIDKeyFile(b, oidKeysVersion)
		again, err := marshalOIDKeys(sig, enc)
		if err != nil {
			t.Fatal(err)
		}
		sig2, enc2, err := parseOIDKeyFile(again, oidKeysVersion)
		if err != nil || !sig.Equal(sig2) || !enc.Equal(enc2) || !bytes.Contains(again, []byte(oidKeysVersion)) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
