package zkp

import (
	"errors"
	"testing"
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
// sum): it must never panic, never accept anything but the honest proof
// it was seeded with (and its byte-identical copies), and agree with
// decoding first and verifying the decoded proof.
func FuzzVerifyGroth16Proof(f *testing.F) {
	keys := keysFor(f, Groth16)
	fx := newFixture(f, testShape)
	p, err := Prove(keys, &fx.st, &fx.w)
	if err != nil {
		f.Fatal(err)
	}
	vk := keys.VerifyingKey
	vec := publicVector(testShape, &fx.st, outputs(testShape, &fx.st, &fx.w))
	f.Add(p.Proof)
	f.Add(make([]byte, groth16ProofSize))
	f.Add(p.Proof[:64])
	f.Fuzz(func(t *testing.T, raw []byte) {
		rawErr := vk.g16fast.verify(nil, raw, vec)
		d, decErr := decodeGroth16Proof(raw)
		if decErr == nil {
			if err := vk.g16fast.verify(d, nil, vec); (err == nil) != (rawErr == nil) {
				t.Fatalf("raw path %v, decoded path %v", rawErr, err)
			}
		} else if rawErr == nil {
			t.Fatalf("raw path accepts what decoding refuses (%v)", decErr)
		}
		if rawErr == nil && string(raw) != string(p.Proof) {
			t.Fatalf("accepted a proof other than the honest one")
		}
	})
}
