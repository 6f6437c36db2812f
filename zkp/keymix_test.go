package zkp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// TestForgedProvingKey: a key bundle (or key cache) whose verifying key
// is the pinned one but whose proving key is not that key's. The
// fingerprint pins the verifying key only, so such a bundle used to
// load; yet a Groth16 proof is computed from the proving key's points,
// and a proving key the attacker made (a δ of its choosing, or its own
// K, Z, A, B points) makes the proofs a wallet sends carry the holder's
// private attributes (a birth date is a few thousand guesses away) to a
// verifier. The proving key must share α, β and δ with the verifying key
// (ReadKeys, LoadKeys, DangerousParseKeyCache), and Prove must not
// release a proof that the keys' verifying key rejects (a forged K point,
// which no cheap check of the key can see).
func TestForgedProvingKey(t *testing.T) {
	honest := keysFor(t, Groth16)
	fp := honest.VerifyingKey.Fingerprint()
	_, _, g1, g2 := bn254.Generators()
	forge := func(edit func(pk *groth16bn254.ProvingKey)) *Keys {
		pk := *honest.g16
		pk.G1.K = append([]bn254.G1Affine(nil), pk.G1.K...)
		edit(&pk)
		return &Keys{VerifyingKey: honest.VerifyingKey, ccs: honest.ccs, g16: &pk}
	}
	// load returns what ReadKeys and DangerousParseKeyCache make of k.
	load := func(k *Keys) (bundleErr, cacheErr error) {
		var b bytes.Buffer
		if _, err := k.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		_, bundleErr = ReadKeys(bytes.NewReader(b.Bytes()), &fp)
		// The digest is stored beside the cache: whoever can write one
		// can write the other.
		c, err := k.MarshalCache()
		if err != nil {
			t.Fatal(err)
		}
		_, cacheErr = DangerousParseKeyCache(c, sha256.Sum256(c), &fp)
		return
	}
	for name, edit := range map[string]func(pk *groth16bn254.ProvingKey){
		"δ₁ = G1": func(pk *groth16bn254.ProvingKey) { pk.G1.Delta = g1 },
		"δ₂ = G2": func(pk *groth16bn254.ProvingKey) { pk.G2.Delta = g2 },
		"β₂ = G2": func(pk *groth16bn254.ProvingKey) { pk.G2.Beta = g2 },
	} {
		be, ce := load(forge(edit))
		if !errors.Is(be, ErrInvalidKey) || !errors.Is(ce, ErrInvalidKey) {
			t.Errorf("proving key with %s: ReadKeys %v, DangerousParseKeyCache %v; want ErrInvalidKey", name, be, ce)
		}
	}
	// A forged K point passes every check of the key: Prove must not
	// release the proof it makes.
	forged := forge(func(pk *groth16bn254.ProvingKey) { pk.G1.K[0].Add(&pk.G1.K[0], &g1) })
	f := newFixture(t, testShape)
	if p, err := Prove(forged, &f.st, &f.w); !errors.Is(err, ErrInvalidKey) || p != nil {
		t.Fatalf("Prove with a forged proving key: %v, want ErrInvalidKey and no presentation", err)
	}
	// The honest keys still prove.
	if _, err := Prove(honest, &f.st, &f.w); err != nil {
		t.Fatal(err)
	}
}
