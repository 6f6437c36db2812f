package credential

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Tests of the lead's hash suite (hash.go) as this package uses it; the
// in-circuit equality is tested in zkp/hash_test.go.

func TestHashDomainSeparation(t *testing.T) {
	var one fr.Element
	one.SetOne()
	seen := map[fr.Element]string{}
	add := func(name string, e fr.Element) {
		if prev, ok := seen[e]; ok {
			t.Errorf("%s collides with %s", name, prev)
		}
		seen[e] = name
	}
	add("Hash(TagMessage)", Hash(TagMessage))
	add("Hash(TagSchema)", Hash(TagSchema))
	add("Hash(TagMessage, 0)", Hash(TagMessage, fr.Element{}))
	add("Hash(TagMessage, 0, 0)", Hash(TagMessage, fr.Element{}, fr.Element{}))
	add("Hash(TagMessage, 0, 0, 0, 0)", Hash(TagMessage, make([]fr.Element, 4)...))
	add("HolderCommitment(1)", HolderCommitment(one))
	add("Hash(TagString, 1)", Hash(TagString, one))
	// Strings: the length prefix separates trailing zero bytes.
	add(`HashString("a")`, HashString("a"))
	add(`HashString("a\x00")`, HashString("a\x00"))
	add(`HashString("")`, HashString(""))
	add(`HashBytes(TagScope, "a")`, HashBytes(TagScope, []byte("a")))
	long := bytes.Repeat([]byte{0xff}, 31)
	add("HashString(31×ff)", HashBytes(TagString, long))
	add("HashString(32×ff)", HashBytes(TagString, append(long, 0xff)))
	if s := ScopeElement(""); !s.IsZero() {
		t.Error("empty scope must be zero")
	}
}

func TestEdDSAHashAdapter(t *testing.T) {
	var a, b fr.Element
	a.SetUint64(3)
	b.SetUint64(5)
	h := NewEdDSAHash()
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

func TestScopeForBindsAudience(t *testing.T) {
	same := ScopeFor("https://vote.example", "election-2027")
	if same.IsZero() || !same.Equal(ptr(ScopeFor("https://vote.example", "election-2027"))) {
		t.Fatal("ScopeFor is not a stable non-zero element")
	}
	for name, other := range map[string]fr.Element{
		"another verifier, same scope": ScopeFor("https://shop.example", "election-2027"),
		"same verifier, another scope": ScopeFor("https://vote.example", "election-2028"),
		"boundary moved":               ScopeFor("https://vote.exampleelection-", "2027"),
		"unbound scope":                ScopeElement("election-2027"),
	} {
		if other.Equal(&same) {
			t.Errorf("%s: same scope element", name)
		}
	}
	if s := ScopeFor("https://vote.example", ""); !s.IsZero() {
		t.Error("empty scope is not zero")
	}
}

func ptr[T any](v T) *T { return &v }
