package did

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"testing"
)

func benchParseKey(b *testing.B, did string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseKey(did); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseKeyEd25519(b *testing.B) {
	did, _ := KeyDID(ed25519.NewKeyFromSeed(make([]byte, 32)).Public())
	benchParseKey(b, did)
}

func BenchmarkParseKeyP256(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), zeroReader{})
	did, _ := KeyDID(&k.PublicKey)
	benchParseKey(b, did)
}

func BenchmarkParseKeyZK(b *testing.B) {
	did, _ := KeyDID(testZKKey(b, 99))
	benchParseKey(b, did)
}

func BenchmarkResolveKey(b *testing.B) {
	did, _ := KeyDID(ed25519.NewKeyFromSeed(make([]byte, 32)).Public())
	r := &KeyResolver{}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(context.Background(), did); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResolveCached(b *testing.B) {
	did, _ := KeyDID(ed25519.NewKeyFromSeed(make([]byte, 32)).Public())
	r, _ := NewResolver(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(context.Background(), did); err != nil {
			b.Fatal(err)
		}
	}
}
