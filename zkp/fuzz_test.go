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
