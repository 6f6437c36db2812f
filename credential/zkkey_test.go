package credential

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards/eddsa"

	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/did"
)

// fixedKey is a deterministic ZK key for tests (seed 0x01…01).
func fixedKey(t testing.TB) *ZKPrivateKey {
	t.Helper()
	k, err := NewZKPrivateKey(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testMessage(t testing.TB) fr.Element {
	t.Helper()
	s := PersonSchema()
	slots, err := s.Encode(personValues())
	if err != nil {
		t.Fatal(err)
	}
	var secret fr.Element
	secret.SetUint64(42)
	return zkhash.Message(s.ID(), HolderCommitment(secret), 7, 1900000000, slots)
}

func TestZKSignVerify(t *testing.T) {
	k := fixedKey(t)
	msg := testMessage(t)
	sig, err := k.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyZK(k.Public(), msg, sig); err != nil {
		t.Fatalf("VerifyZK: %v", err)
	}
	// Deterministic.
	sig2, _ := k.Sign(msg)
	if !bytes.Equal(sig.Bytes(), sig2.Bytes()) {
		t.Error("signing is not deterministic")
	}
	// Round trip.
	parsed, err := ParseZKSignature(sig.Bytes())
	if err != nil || !bytes.Equal(parsed.Bytes(), sig.Bytes()) {
		t.Fatalf("ParseZKSignature: %v", err)
	}
	// gnark-crypto's own verifier agrees.
	pk := eddsa.PublicKey{A: k.Public().Point()}
	m := msg.Bytes()
	if ok, err := pk.Verify(sig.Bytes(), m[:], zkhash.NewEdDSA()); !ok || err != nil {
		t.Errorf("gnark-crypto Verify = %v, %v", ok, err)
	}

	// Tampering.
	var other fr.Element
	other.SetOne()
	other.Add(&other, &msg)
	if err := VerifyZK(k.Public(), other, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other message: %v", err)
	}
	k2, _ := GenerateZKKey(rand.Reader)
	if err := VerifyZK(k2.Public(), msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other key: %v", err)
	}
	if err := VerifyZK(nil, msg, sig); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("nil key: %v", err)
	}
	if err := VerifyZK(k.Public(), msg, ZKSignature{}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("zero signature: %v", err)
	}
	// Each slot is covered: a one-slot change breaks the signature.
	s := PersonSchema()
	v := personValues()
	v["district"] = "08"
	slots, _ := s.Encode(v)
	var secret fr.Element
	secret.SetUint64(42)
	if err := VerifyZK(k.Public(), zkhash.Message(s.ID(), HolderCommitment(secret), 7, 1900000000, slots), sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed slot: %v", err)
	}
}

func TestParseZKSignatureRejects(t *testing.T) {
	k := fixedKey(t)
	sig, _ := k.Sign(testMessage(t))
	good := sig.Bytes()
	order := twistededwards.GetEdwardsCurve().Order
	sPlusOrder := new(big.Int).Add(new(big.Int).SetBytes(good[32:]), &order)
	malleable := append(append([]byte(nil), good[:32]...), sPlusOrder.FillBytes(make([]byte, 32))...)
	zeroS := append(append([]byte(nil), good[:32]...), make([]byte, 32)...)
	identityR := make([]byte, 64) // y = 1 encodes the identity
	identityR[0] = 1
	copy(identityR[32:], good[32:])
	// R whose y ≥ p: not canonical.
	bigR := bytes.Repeat([]byte{0xff}, 32)
	bigR[31] = 0x3f
	nonCanonR := append(bigR, good[32:]...)
	for name, b := range map[string][]byte{
		"empty":                 nil,
		"short":                 good[:63],
		"long":                  append(append([]byte(nil), good...), 0),
		"S + order (malleable)": malleable,
		"S = 0":                 zeroS,
		"R identity":            identityR,
		"R not canonical":       nonCanonR,
		"all zero":              make([]byte, 64),
	} {
		if _, err := ParseZKSignature(b); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestZKPrivateKeyEncoding(t *testing.T) {
	seed := bytes.Repeat([]byte{1}, 32)
	k := fixedKey(t)
	if !bytes.Equal(k.Bytes(), seed) {
		t.Error("Bytes is not the seed")
	}
	// The seed expands exactly as gnark-crypto's GenerateKey.
	ref, _ := eddsa.GenerateKey(bytes.NewReader(seed))
	if !bytes.Equal(ref.PublicKey.Bytes(), k.Public().Bytes()) {
		t.Error("public key differs from eddsa.GenerateKey")
	}
	// Golden public key for seed 0x01…01: pins the expansion.
	const wantPub = "3b577567a7ea092bb6cdf7a02a374501021f348182a52d18227e787c019f0c00"
	if got := hex.EncodeToString(k.Public().Bytes()); got != wantPub {
		t.Logf("public key of seed 0x01…01: %s", got)
		t.Error("golden public key changed")
	}
	k2, err := NewZKPrivateKey(k.Bytes())
	if err != nil || !k2.Equal(k) || !k2.Public().Equal(k.Public()) {
		t.Error("round trip")
	}
	for _, n := range []int{0, 31, 33, 96} {
		if _, err := NewZKPrivateKey(make([]byte, n)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	if _, err := GenerateZKKey(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Error("short random source accepted")
	}
	// The published key parses back through the did package.
	if p, err := did.ParseZKPublicKey(k.Public().Bytes()); err != nil || !p.Equal(k.Public()) {
		t.Errorf("did.ParseZKPublicKey: %v", err)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	k := fixedKey(t)
	h, err := GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	type wrapper struct {
		Key    *ZKPrivateKey
		Secret *HolderSecret
	}
	w := wrapper{k, h}
	is := Issuer{DID: agencyDID, JOSEKey: seeded(1), ZKKey: k}
	edHex := hex.EncodeToString(seeded(1).Seed())
	seedHex := hex.EncodeToString(k.Bytes())
	secHex := hex.EncodeToString(h.Bytes())
	hel := h.Element()
	secDec := hel.String()
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for _, v := range []any{k, *k, h, *h, w, &w, is, &is} {
			out := fmt.Sprintf(f, v)
			if strings.Contains(out, edHex) || strings.Contains(out, "[1 1 1 1") {
				t.Errorf("%s of %T leaks the JOSE key: %s", f, v, out)
			}
			if strings.Contains(out, seedHex) || strings.Contains(out, secHex) || strings.Contains(out, secDec) ||
				strings.Contains(strings.ToLower(out), seedHex[:16]) {
				t.Errorf("%s of %T leaks the secret: %s", f, v, out)
			}
			if !strings.Contains(out, "REDACTED") {
				t.Errorf("%s of %T: no placeholder: %s", f, v, out)
			}
		}
	}
}

func TestHolderSecret(t *testing.T) {
	h, err := GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := ParseHolderSecret(h.Bytes())
	if err != nil || !h2.Equal(h) {
		t.Fatalf("round trip: %v", err)
	}
	c := h.Commitment()
	if want := HolderCommitment(h.Element()); !c.Equal(&want) {
		t.Error("Commitment is not HolderCommitment")
	}
	// The verifier's value: what the circuit outputs for ScopeFor.
	n := h.Nullifier("https://ballot.example", "election-2027")
	if want := Nullifier(h.Element(), ScopeFor("https://ballot.example", "election-2027")); !n.Equal(&want) {
		t.Error("Nullifier is not the one a verifier records")
	}
	if other := h.Nullifier("https://other.example", "election-2027"); other.Equal(&n) {
		t.Error("Nullifier does not bind the audience")
	}
	modulus := fr.Modulus().FillBytes(make([]byte, 32))
	for name, b := range map[string][]byte{
		"zero":      make([]byte, 32),
		"modulus r": modulus,
		"all ones":  bytes.Repeat([]byte{0xff}, 32),
		"short":     h.Bytes()[:31],
		"long":      append(h.Bytes(), 0),
	} {
		if _, err := ParseHolderSecret(b); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := GenerateHolderSecret(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("short random source accepted")
	}
	if _, err := GenerateHolderSecret(bytes.NewReader(make([]byte, 64*8))); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("all-zero source: %v", err)
	}
}
