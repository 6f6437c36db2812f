package zkp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// TestPLONKKeysAndSRS covers the PLONK path from an SRS file: write an
// (unsafe) SRS, read it back with checks, derive keys, save and load them,
// and parse the verifying key, including crafted slice headers.
func TestPLONKKeysAndSRS(t *testing.T) {
	if testing.Short() {
		t.Skip("PLONK setup")
	}
	n, err := SRSSizeFor(testShape)
	if err != nil {
		t.Fatal(err)
	}
	srs, err := UnsafeGenerateSRS(n)
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if _, err := srs.WriteTo(&file); err != nil {
		t.Fatal(err)
	}
	srs2, err := ReadSRS(bytes.NewReader(file.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	// A huge length header is refused before any allocation.
	bad := bytes.Clone(file.Bytes())
	binary.BigEndian.PutUint32(bad, 0xffffffff)
	if _, err := ReadSRS(bytes.NewReader(bad)); !errors.Is(err, ErrInvalidSRS) {
		t.Fatalf("huge header: %v", err)
	}
	// Powers of two different τ do not pass the pairing check.
	other, err := UnsafeGenerateSRS(n)
	if err != nil {
		t.Fatal(err)
	}
	mixed := &SRS{srs: srs.srs}
	mixed.srs.Pk.G1 = append(srs.srs.Pk.G1[:n/2:n/2], other.srs.Pk.G1[n/2:]...)
	if err := mixed.check(); !errors.Is(err, ErrInvalidSRS) {
		t.Fatalf("mixed SRS: %v", err)
	}

	keys, err := SetupPLONK(testShape, srs2)
	if err != nil {
		t.Fatal(err)
	}
	loaded, vk, vkb := saveLoad(t, keys)
	f := newFixture(t, testShape)
	p, err := Prove(loaded, &f.st, &f.w)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err = DecodePresentation(enc)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(vk, &f.st, p); err != nil {
		t.Fatal(err)
	}
	replay := f.st
	replay.RequestHash = el(99)
	if err := Verify(vk, &replay, p); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("replayed for another request: %v", err)
	}
	// Crafted slice headers (Qcp, commitment indexes) are refused before
	// gnark's decoder sees them.
	raw := vkb[len(vkb)-len(keys.VerifyingKey.raw):]
	// Qcp after 3 u64, SizeInv, Generator, u64, CosetShift, 8 G1 points.
	for _, o := range []int{3*8 + 2*32 + 8 + 32 + 8*32, len(raw) - 4} {
		crafted := bytes.Clone(vkb)
		binary.BigEndian.PutUint32(crafted[len(vkb)-len(raw)+o:], 0x7fffffff)
		if _, err := ParseVerifyingKey(crafted); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("crafted header at %d: %v", o, err)
		}
	}
	// A proof with a crafted claimed-values header never reaches gnark.
	pr := bytes.Clone(p.Proof)
	binary.BigEndian.PutUint32(pr[256:], 0x7fffffff)
	if _, err := decodePLONKProof(pr); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("crafted proof header: %v", err)
	}
}
