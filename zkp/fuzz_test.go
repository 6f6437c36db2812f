package zkp

import (
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
)

// FuzzDecodePresentation checks that decoding never panics, that anything
// it accepts re-encodes to the same bytes, and that errors wrap
// ErrInvalidPresentation. Seeds: testdata/fuzz/FuzzDecodePresentation and
// the cases below.
func FuzzDecodePresentation(f *testing.F) {
	key := b64.EncodeToString(make([]byte, 32))
	g1 := "wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // infinity, compressed
	f.Add([]byte(`{"version":1,"backend":"groth16","key":"` + key + `","proof":"` + b64.EncodeToString(make([]byte, 128)) + `","public":{}}`))
	f.Add([]byte(`{"version":1,"backend":"plonk","key":"` + key + `","proof":"` + b64.EncodeToString(make([]byte, plonkProofSize)) + `","public":{"nullifier":"` + key + `"}}`))
	f.Add([]byte(`{"version":2,"backend":"groth16","key":"","proof":"","public":{"disclosed":[{"slot":1,"value":"` + g1 + `"}]}}`))
	f.Add([]byte(`{"version":1}{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePresentation(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidPresentation) {
				t.Fatalf("error %v does not wrap ErrInvalidPresentation", err)
			}
			return
		}
		again, err := p.Encode()
		if err != nil || string(again) != string(b) {
			t.Fatalf("accepted input does not re-encode identically")
		}
	})
}

// FuzzVerifyGroth16Proof feeds arbitrary proof bytes to the Groth16
// verifier's raw-bytes path (B decoded concurrently with the public-input
// sum): it must never panic and must agree with decoding first, then both
// the decoded-proof path and gnark's own Groth16 verifier. (Groth16 proofs
// are malleable, (ρ⁻¹A, ρB, C) verifies too, so acceptance alone is no
// bug; disagreement is.)
func FuzzVerifyGroth16Proof(f *testing.F) {
	keys := keysFor(f, Groth16)
	fx := newFixture(f, testShape)
	p, err := Prove(keys, &fx.st, &fx.w)
	if err != nil {
		f.Fatal(err)
	}
	vk := keys.VerifyingKey
	out := outputs(testShape, &fx.st, &fx.w)
	vec := publicVector(testShape, &fx.st, out)
	pub, err := frontend.NewWitness(publicAssignment(testShape, &fx.st, out), ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p.Proof)
	f.Add(make([]byte, groth16ProofSize))
	f.Add(p.Proof[:64])
	f.Fuzz(func(t *testing.T, raw []byte) {
		rawErr := vk.g16fast.verify(nil, raw, vec)
		d, decErr := decodeGroth16Proof(raw)
		if decErr != nil {
			if !errors.Is(rawErr, ErrInvalidProof) {
				t.Fatalf("decoding fails (%v), raw path says %v", decErr, rawErr)
			}
			return
		}
		fastErr := vk.g16fast.verify(d, nil, vec)
		gnarkErr := groth16.Verify(d, vk.g16, pub)
		if (rawErr == nil) != (fastErr == nil) || (fastErr == nil) != (gnarkErr == nil) {
			t.Fatalf("raw path %v, decoded path %v, gnark %v", rawErr, fastErr, gnarkErr)
		}
	})
}
