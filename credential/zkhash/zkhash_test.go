package zkhash

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// The in-circuit equality is tested in zkp/internal/circuit; the
// separation between credential's uses in credential/hash_test.go.

func TestEdDSAHashAdapter(t *testing.T) {
	var a, b fr.Element
	a.SetUint64(3)
	b.SetUint64(5)
	h := NewEdDSA()
	ab, bb := a.Bytes(), b.Bytes()
	h.Write(ab[:])
	h.Write(bb[:])
	want := Hash(TagEdDSA, a, b)
	wb := want.Bytes()
	if got := h.Sum(nil); !bytes.Equal(got, wb[:]) {
		t.Error("Sum is not Hash(TagEdDSA, elements)")
	}
	// A non-canonical element (r itself) gives the bad digest, which is
	// not a canonical field element either, so signing with it fails.
	h.Reset()
	h.Write(fr.Modulus().FillBytes(make([]byte, 32)))
	var e fr.Element
	if err := e.SetBytesCanonical(h.Sum(nil)); err == nil {
		t.Error("non-canonical input produced a canonical digest")
	}
	// A partial block too.
	h.Reset()
	h.Write([]byte{1, 2, 3})
	if err := e.SetBytesCanonical(h.Sum(nil)); err == nil {
		t.Error("partial block produced a canonical digest")
	}
}
