package zkp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
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
			rawErr = vk.g16fast.Verify(nil, raw, vec)
			d, decErr = decodeGroth16Proof(raw)
		})
		if decErr != nil {
			if !errors.Is(rawErr, ErrInvalidProof) {
				t.Fatalf("decoding fails (%v), raw path says %v", decErr, rawErr)
			}
			return
		}
		fastErr := vk.g16fast.Verify(d, nil, vec)
		gnarkErr := groth16.Verify(d, vk.g16, pub)
		if (rawErr == nil) != (fastErr == nil) || (fastErr == nil) != (gnarkErr == nil) {
			t.Fatalf("raw path %v, decoded path %v, gnark %v", rawErr, fastErr, gnarkErr)
		}
	})
}

// fuzzExpand replaces the first occurrence of each marker in b by its
// expansion. Seeds and fuzz inputs stay small: the fuzzer minimizes every
// new interesting input, and on a 35 KB key (PLONK's pairing lines) or a
// 100 KB phase-2 contribution that alone takes the whole run. The
// expansions are honest bytes the parser checks like any other (lines are
// compared with the recomputed ones).
func fuzzExpand(b []byte, markers map[string][]byte) []byte {
	for m, x := range markers {
		if i := bytes.Index(b, []byte(m)); i >= 0 {
			b = append(append(append([]byte{}, b[:i]...), x...), b[i+len(m):]...)
		}
	}
	return b
}

// linesMarker stands for the 33792 bytes of KZG pairing lines.
const linesMarker = "<KZG lines>"

// withLinesMarker replaces the lines that end a PLONK verifying key file
// (before its last 4 bytes) by linesMarker.
func withLinesMarker(b []byte) []byte {
	end := len(b) - 4
	return append(append(append([]byte{}, b[:end-plonkLinesSize]...), linesMarker...), b[end:]...)
}

// FuzzParseVerifyingKey feeds verifying key files to ParseVerifyingKey:
// never a panic, never more than the allocation ceiling, errors wrap
// ErrInvalidKey, and an accepted key re-encodes to the same bytes. Seeds:
// both golden keys, both shifted-key bombs (also in
// testdata/fuzz/FuzzParseVerifyingKey), and each key with its last byte
// cut; PLONK keys carry linesMarker for the golden key's lines.
func FuzzParseVerifyingKey(f *testing.F) {
	g16, pl := golden(f, Groth16, "vk.bin"), golden(f, PLONK, "vk.bin")
	lines := map[string][]byte{linesMarker: pl[len(pl)-4-plonkLinesSize : len(pl)-4]}
	f.Add(g16)
	f.Add(g16[:len(g16)-1])
	f.Add(withLinesMarker(pl))
	f.Add(groth16VKBomb(f, g16))
	f.Add(withLinesMarker(plonkVKBomb(f, pl)))
	f.Fuzz(func(t *testing.T, b []byte) {
		b = fuzzExpand(b, lines)
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
// lines altered and with a power uncompressed; linesMarker stands for the
// honest SRS's lines.
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
	lines := map[string][]byte{linesMarker: honest[len(honest)-plonkLinesSize:]}
	short := append(bytes.Clone(honest[:len(honest)-plonkLinesSize]), linesMarker...)
	f.Add(short)
	altered := bytes.Clone(honest)
	altered[len(altered)-100] ^= 1
	f.Add(altered[len(altered)-plonkLinesSize-200:]) // mostly lines, truncated
	flag := bytes.Clone(short)
	flag[4] &^= 0b11 << 6
	f.Add(flag)
	f.Fuzz(func(t *testing.T, b []byte) {
		b = fuzzExpand(b, lines)
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
// The markers <K> and <Z> stand for the circuit's number of K and Z
// points (compressed infinity). Seeds: a layout-valid phase 2 for
// testShape, with a huge K header, and with δ uncompressed.
func FuzzCeremonyPhase2(f *testing.F) {
	c, err := NewCeremony(testShape)
	if err != nil {
		f.Fatal(err)
	}
	internal, secret, _ := c.r1cs.GetNbVariables()
	var inf bn254.G1Affine
	infB := inf.Bytes()
	points := map[string][]byte{
		"<K>": bytes.Repeat(infB[:], internal+secret),
		"<Z>": bytes.Repeat(infB[:], int(c.DomainSize())-1),
	}
	honest := infinityPhase2(c)
	if !bytes.Equal(fuzzExpand(phase2Seed(c, 0, uint32(internal+secret)), points), honest) {
		f.Fatal("phase 2 seed does not expand to the honest encoding")
	}
	f.Add(phase2Seed(c, 0, uint32(internal+secret)))
	f.Add(phase2Seed(c, 0, 0xffffffff))
	f.Add(phase2Seed(c, 1, uint32(internal+secret)))
	f.Fuzz(func(t *testing.T, b []byte) {
		b = fuzzExpand(b, points)
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

// phase2Seed is infinityPhase2 with the K and Z points as markers.
func phase2Seed(c *Ceremony, commitments uint16, k uint32) []byte {
	var inf bn254.G1Affine
	var inf2 bn254.G2Affine
	infB, inf2B := inf.Bytes(), inf2.Bytes()
	b := binary.BigEndian.AppendUint16(nil, commitments)
	b = append(b, infB[:]...)
	b = binary.BigEndian.AppendUint32(b, k)
	b = append(b, "<K>"...)
	b = binary.BigEndian.AppendUint32(b, uint32(c.DomainSize()-1))
	b = append(b, "<Z>"...)
	b = append(append(append(b, inf2B[:]...), infB[:]...), inf2B[:]...)
	return append(b, 0)
}
