package groth16verify

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// The verifier against gnark's on real proofs is tested in
// zkp/groth16verify_test.go (TestGroth16FastVerifierAgreesWithGnark).

// TestFixedBaseMulAdd checks the verifier's fixed-base scalar
// multiplication against gnark-crypto's on edge and random scalars.
func TestFixedBaseMulAdd(t *testing.T) {
	_, _, g1, _ := bn254.Generators()
	var p bn254.G1Affine
	p.ScalarMultiplication(&g1, big.NewInt(123456789))
	table := newFixedBaseTable(&p)
	r := fr.Modulus()
	scalars := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(15), big.NewInt(16), big.NewInt(17),
		big.NewInt(31), big.NewInt(32), big.NewInt(33), big.NewInt(1<<62 - 1),
		new(big.Int).Sub(r, big.NewInt(1)), new(big.Int).Sub(r, big.NewInt(2)),
		new(big.Int).Lsh(big.NewInt(1), 253), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 253), big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(1), 64), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1)),
	}
	for i := 0; i < 200; i++ {
		var x fr.Element
		x.SetRandom()
		scalars = append(scalars, x.BigInt(new(big.Int)))
	}
	// all-ones digit patterns: every window 31 (carry chains)
	ones := new(big.Int)
	for i := 0; i < 250; i++ {
		ones.SetBit(ones, i, 1)
	}
	scalars = append(scalars, ones)
	for _, s := range scalars {
		var x fr.Element
		x.SetBigInt(s)
		var got bn254.G1Jac
		fixedBaseMulAdd(&got, table, &x)
		var want bn254.G1Jac
		want.ScalarMultiplication(new(bn254.G1Jac).FromAffine(&p), x.BigInt(new(big.Int)))
		if !got.Equal(&want) {
			t.Fatalf("scalar %s: fixed-base result differs", s)
		}
		// accumulating onto a non-zero point
		got.FromAffine(&p)
		fixedBaseMulAdd(&got, table, &x)
		want.AddMixed(&p)
		if !got.Equal(&want) {
			t.Fatalf("scalar %s: accumulated result differs", s)
		}
	}
}
