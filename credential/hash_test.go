package credential

import (
	"bytes"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/zkhash"
)

// Tests of the hash suite (package zkhash) as this package uses it; the
// in-circuit equality is tested in zkp/internal/circuit.

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
	add("Hash(TagMessage)", zkhash.Hash(zkhash.TagMessage))
	add("Hash(TagSchema)", zkhash.Hash(zkhash.TagSchema))
	add("Hash(TagMessage, 0)", zkhash.Hash(zkhash.TagMessage, fr.Element{}))
	add("Hash(TagMessage, 0, 0)", zkhash.Hash(zkhash.TagMessage, fr.Element{}, fr.Element{}))
	add("Hash(TagMessage, 0, 0, 0, 0)", zkhash.Hash(zkhash.TagMessage, make([]fr.Element, 4)...))
	add("HolderCommitment(1)", HolderCommitment(one))
	add("Hash(TagString, 1)", zkhash.Hash(zkhash.TagString, one))
	// Strings: the length prefix separates trailing zero bytes.
	add(`String("a")`, zkhash.String("a"))
	add(`String("a\x00")`, zkhash.String("a\x00"))
	add(`String("")`, zkhash.String(""))
	add(`Bytes(TagScope, "a")`, zkhash.Bytes(zkhash.TagScope, []byte("a")))
	long := bytes.Repeat([]byte{0xff}, 31)
	add("String(31×ff)", zkhash.Bytes(zkhash.TagString, long))
	add("String(32×ff)", zkhash.Bytes(zkhash.TagString, append(long, 0xff)))
	if s := ScopeElement(""); !s.IsZero() {
		t.Error("empty scope must be zero")
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
