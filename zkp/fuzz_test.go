package zkp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
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
	f.Add(plonkPresentationBomb(f)) // also testdata/fuzz/FuzzDecodePresentation/plonk-bomb
	f.Fuzz(func(t *testing.T, b []byte) {
		var p *Presentation
		var err error
		withinCeiling(t, "DecodePresentation", func() { p, err = DecodePresentation(b) })
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
		var rawErr, decErr error
		var d *groth16bn254.Proof
		withinCeiling(t, "groth16 verify", func() {
			rawErr = vk.g16fast.verify(nil, raw, vec)
			d, decErr = decodeGroth16Proof(raw)
		})
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

// FuzzParseVerifyingKey feeds verifying key files to ParseVerifyingKey:
// never a panic, never more than the allocation ceiling, errors wrap
// ErrInvalidKey, and an accepted key re-encodes to the same bytes. Seeds:
// both golden keys, both shifted-key bombs (also in
// testdata/fuzz/FuzzParseVerifyingKey), and each key with its last byte
// cut.
func FuzzParseVerifyingKey(f *testing.F) {
	for _, b := range []Backend{Groth16, PLONK} {
		vk := golden(f, b, "vk.bin")
		f.Add(vk)
		f.Add(vk[:len(vk)-1])
	}
	f.Add(groth16VKBomb(f, golden(f, Groth16, "vk.bin")))
	f.Add(plonkVKBomb(f, golden(f, PLONK, "vk.bin")))
	f.Fuzz(func(t *testing.T, b []byte) {
		var vk *VerifyingKey
		var err error
		withinCeiling(t, "ParseVerifyingKey", func() { vk, err = ParseVerifyingKey(b) })
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error %v does not wrap ErrInvalidKey", err)
			}
			return
		}
		again, err := vk.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted key does not re-encode identically")
		}
	})
}

// FuzzReadSRS feeds SRS files to ReadSRS: never a panic, never more than
// the allocation ceiling (inputs are small; the limit bounds what the
// headers can ask for), errors wrap ErrInvalidSRS, an accepted file
// re-encodes identically. Seeds: an honest 4-power SRS, the same with its
// lines altered and with a power uncompressed.
func FuzzReadSRS(f *testing.F) {
	srs, err := UnsafeGenerateSRS(4)
	if err != nil {
		f.Fatal(err)
	}
	var file bytes.Buffer
	if _, err := srs.WriteTo(&file); err != nil {
		f.Fatal(err)
	}
	honest := file.Bytes()
	f.Add(honest)
	lines := bytes.Clone(honest)
	lines[len(lines)-100] ^= 1
	f.Add(lines)
	flag := bytes.Clone(honest)
	flag[4] &^= 0b11 << 6
	f.Add(flag)
	f.Fuzz(func(t *testing.T, b []byte) {
		var s *SRS
		var err error
		withinCeiling(t, "ReadSRS", func() { s, err = ReadSRS(bytes.NewReader(b)) })
		if err != nil {
			if !errors.Is(err, ErrInvalidSRS) {
				t.Fatalf("error %v does not wrap ErrInvalidSRS", err)
			}
			return
		}
		var again bytes.Buffer
		if _, err := s.WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), b) {
			t.Fatalf("accepted SRS does not re-encode identically")
		}
	})
}

// FuzzCeremonyPhase2 feeds phase-2 contributions to the layout walk and
// gnark's decoder behind it (ContributePhase2 without the contribution):
// never a panic, never more than the ceiling, errors wrap ErrCeremony.
// Seeds: a layout-valid phase 2 of points at infinity for testShape, with
// a huge K header, and with δ uncompressed.
func FuzzCeremonyPhase2(f *testing.F) {
	c, err := NewCeremony(testShape)
	if err != nil {
		f.Fatal(err)
	}
	honest := infinityPhase2(c)
	f.Add(honest)
	huge := bytes.Clone(honest)
	copy(huge[2+32:], []byte{0xff, 0xff, 0xff, 0xff})
	f.Add(huge)
	flag := bytes.Clone(honest)
	flag[2] &^= 0b11 << 6
	f.Add(flag)
	f.Fuzz(func(t *testing.T, b []byte) {
		withinCeiling(t, "phase 2", func() {
			var p mpcsetup.Phase2
			err := c.checkPhase2(b, "phase 2")
			if err == nil {
				err = decodeExact(&p, b, "phase 2")
			}
			if err != nil && !errors.Is(err, ErrCeremony) {
				t.Fatalf("error %v does not wrap ErrCeremony", err)
			}
		})
	})
}
