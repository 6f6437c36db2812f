package zkp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// splitVectorDir holds test vectors of the split proving format v1
// (FORMAT.md, "Split proving"): a helper key, a request and the answer,
// for points and scalars small enough to check by hand: [Aᵢ]₁ = [1]G₁,
// [2]G₁; [Bᵢ]₁ = [3]G₁, [4]G₁; [Bᵢ]₂ = [5]G₂, [6]G₂; aᵢ = 7, 8;
// bᵢ = 9, 10; the key fingerprint 32 bytes 0x01..0x20. So ΣA = [23]G₁,
// ΣB₁ = [67]G₁, ΣB₂ = [105]G₂. Regenerate with -update only for a
// deliberate, versioned format change.
const splitVectorDir = "../testdata/zkp/split-v1"

func TestSplitVectors(t *testing.T) {
	_, _, g1, g2 := bn254.Generators()
	mul1 := func(k int64) bn254.G1Affine {
		var p bn254.G1Affine
		p.ScalarMultiplication(&g1, big.NewInt(k))
		return p
	}
	mul2 := func(k int64) bn254.G2Affine {
		var p bn254.G2Affine
		p.ScalarMultiplication(&g2, big.NewInt(k))
		return p
	}
	var fp [32]byte
	for i := range fp {
		fp[i] = byte(i + 1)
	}
	head := func(magic string) []byte {
		b := append([]byte(magic), fp[:]...)
		b = binary.BigEndian.AppendUint32(b, 2)
		return binary.BigEndian.AppendUint32(b, 2)
	}
	key := head(splitKeyMagic)
	for _, k := range []int64{1, 2, 3, 4} {
		p := mul1(k)
		key = appendG1(key, &p)
	}
	for _, k := range []int64{5, 6} {
		p := mul2(k)
		key = appendG2(key, &p)
	}
	req := head(splitReqMagic)
	for _, k := range []uint64{7, 8, 9, 10} {
		e := fr.NewElement(k)
		b := e.Bytes()
		req = append(req, b[:]...)
	}
	a, b1, b2 := mul1(23), mul1(67), mul2(105)
	d := sha256.Sum256(req)
	ans := append(append([]byte(splitAnsMagic), fp[:]...), d[:]...)
	ans = appendG1(appendG1(ans, &a), &b1)
	ans = appendG2(ans, &b2)

	files := map[string][]byte{"helper-key.bin": key, "request.bin": req, "answer.bin": ans}
	if *update {
		if err := os.MkdirAll(splitVectorDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(splitVectorDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(splitVectorDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s differs from the vector built here: the format changed", name)
		}
	}
	h, err := ParseSplitHelper(files["helper-key.bin"])
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.Answer(files["request.bin"])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, files["answer.bin"]) {
		t.Fatal("the helper's answer to the vector request is not the vector answer")
	}
	var pa, pb1 bn254.G1Affine
	var pb2 bn254.G2Affine
	if err := readAnswer(&pa, &pb1, &pb2, files["answer.bin"], fp, files["request.bin"]); err != nil || !pa.Equal(&a) || !pb1.Equal(&b1) || !pb2.Equal(&b2) {
		t.Fatalf("reading the vector answer: %v", err)
	}
}
