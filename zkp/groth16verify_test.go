package zkp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"

	"github.com/zkcred/zkcred/zkp/internal/groth16verify"
)

// TestGroth16FastVerifierAgreesWithGnark checks that the verifier with
// precomputed lines accepts and rejects exactly what gnark's Groth16
// verifier does: the honest proof, every public input changed in turn,
// and proofs with each point replaced.
func TestGroth16FastVerifierAgreesWithGnark(t *testing.T) {
	keys := keysFor(t, Groth16)
	vk := keys.VerifyingKey
	if vk.g16fast == nil {
		t.Fatal("no fast verifier for a key without commitments")
	}
	f := newFixture(t, testShape)
	p, err := Prove(keys, &f.st, &f.w)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := decodeGroth16Proof(p.Proof)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := frontend.NewWitness(publicAssignment(testShape, &f.st, outputs(testShape, &f.st, &f.w)), ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	vec := pub.Vector().(fr.Vector)
	// A fresh verifier of the same key: its VerifyOnce computes the
	// public-input sum with a bucket MSM (no tables built), and must
	// agree with gnark too.
	once, err := groth16verify.New(vk.g16, ErrInvalidProof)
	if err != nil {
		t.Fatal(err)
	}

	check := func(name string, proof *groth16bn254.Proof, vec fr.Vector, wantOK bool) {
		t.Helper()
		w, err := witness.New(ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Fill(len(vec), 0, func() <-chan any {
			ch := make(chan any, len(vec))
			for _, e := range vec {
				ch <- e
			}
			close(ch)
			return ch
		}()); err != nil {
			t.Fatal(err)
		}
		gnarkErr := groth16.Verify(proof, vk.g16, w)
		fastErr := vk.g16fast.Verify(proof, nil, vec)
		onceErr := once.VerifyOnce(proof, nil, vec)
		if (gnarkErr == nil) != wantOK || (fastErr == nil) != wantOK || (onceErr == nil) != wantOK {
			t.Errorf("%s: gnark %v, fast %v, once (MSM) %v, want ok=%v", name, gnarkErr, fastErr, onceErr, wantOK)
		}
	}

	check("honest", proof, vec, true)
	for i := range vec {
		bad := append(fr.Vector(nil), vec...)
		var one fr.Element
		one.SetOne()
		bad[i].Add(&bad[i], &one)
		check("public input changed", proof, bad, false)
	}
	if once.TablesBuilt() {
		t.Fatal("VerifyOnce built the fixed-base tables")
	}
	_, _, g1, g2 := bn254.Generators()
	for name, mutate := range map[string]func(*groth16bn254.Proof){
		"A replaced": func(q *groth16bn254.Proof) { q.Ar = g1 },
		"B replaced": func(q *groth16bn254.Proof) { q.Bs = g2 },
		"C replaced": func(q *groth16bn254.Proof) { q.Krs = g1 },
		"A negated":  func(q *groth16bn254.Proof) { q.Ar.Neg(&q.Ar) },
	} {
		q := *proof
		mutate(&q)
		check(name, &q, vec, false)
	}
	// The key's precomputed lines must survive use: verify again, and
	// concurrently (go test -race).
	check("honest, after rejections", proof, vec, true)
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- vk.g16fast.Verify(proof, nil, vec) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent verify: %v", err)
		}
	}
	// A fresh verifier's tables are built once, by whichever of several
	// concurrent first Verify calls gets there first (go test -race).
	lazy, err := groth16verify.New(vk.g16, ErrInvalidProof)
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		go func() { errs <- lazy.Verify(proof, nil, vec) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent first verify: %v", err)
		}
	}
	if !lazy.TablesBuilt() {
		t.Error("Verify did not build the fixed-base tables")
	}
	if err := lazy.VerifyOnce(nil, p.Proof, vec); err != nil {
		t.Errorf("VerifyOnce with the tables built, raw proof: %v", err)
	}
	if err := once.VerifyOnce(nil, p.Proof, vec); err != nil {
		t.Errorf("VerifyOnce without tables, raw proof: %v", err)
	}
	if err := once.VerifyOnce(proof, nil, vec[1:]); err == nil {
		t.Error("VerifyOnce: short public input vector accepted")
	}
	if err := vk.g16fast.Verify(proof, nil, vec[1:]); err == nil {
		t.Error("short public input vector accepted")
	}

	// From raw bytes (B decoded concurrently with the public-input sum):
	// the honest proof verifies; with any one bit flipped, it is rejected,
	// exactly when decoding and verifying the decoded proof rejects it.
	if err := vk.g16fast.Verify(nil, p.Proof, vec); err != nil {
		t.Fatalf("honest raw proof: %v", err)
	}
	for _, raw := range [][]byte{nil, p.Proof[:127], append(bytes.Clone(p.Proof), 0)} {
		if err := vk.g16fast.Verify(nil, raw, vec); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("%d-byte proof: %v", len(raw), err)
		}
	}
	for bit := 0; bit < 8*len(p.Proof); bit++ {
		raw := bytes.Clone(p.Proof)
		raw[bit/8] ^= 1 << (bit % 8)
		rawErr := vk.g16fast.Verify(nil, raw, vec)
		if rawErr == nil {
			t.Fatalf("bit %d flipped: accepted", bit)
		}
		if err := once.VerifyOnce(nil, raw, vec); err == nil {
			t.Fatalf("bit %d flipped: VerifyOnce accepted", bit)
		}
		if d, err := decodeGroth16Proof(raw); err == nil {
			if err := vk.g16fast.Verify(d, nil, vec); err == nil {
				t.Fatalf("bit %d flipped: decoded proof accepted", bit)
			}
		} else if !errors.Is(rawErr, ErrInvalidProof) {
			t.Errorf("bit %d flipped: decode fails (%v) but raw verify says %v", bit, err, rawErr)
		}
	}
}

// TestPublicVectorMatchesWitness checks that publicVector lays out the
// public inputs exactly as gnark's reflection-based witness does, for
// shapes with and without nullifiers, disclosure and sets.
func TestPublicVectorMatchesWitness(t *testing.T) {
	for _, s := range []Shape{testShape, ReferenceShape(), DefaultShape(), {Slots: 4, Predicates: 2, RevocationDepth: 3}} {
		f := newFixture(t, s)
		st := f.st
		fs := f.shape
		out := outputs(fs, &st, &f.w)
		pub, err := frontend.NewWitness(publicAssignment(fs, &st, out), ecc.BN254.ScalarField(), frontend.PublicOnly())
		if err != nil {
			t.Fatal(err)
		}
		want := pub.Vector().(fr.Vector)
		got := publicVector(fs, &st, out)
		if len(got) != len(want) {
			t.Fatalf("%v: %d public inputs, gnark has %d", fs, len(got), len(want))
		}
		for i := range want {
			if !got[i].Equal(&want[i]) {
				t.Errorf("%v: public input %d differs", fs, i)
			}
		}
	}
}
