package circuit

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/zkcred/zkcred/credential/zkhash"
)

// hashCircuit checks that the in-circuit hashes equal package zkhash's native ones.
type hashCircuit struct {
	In       [7]frontend.Variable
	Hashes   [8]frontend.Variable `gnark:",public"` // Hash(tag, In[:n]) for n = 0..7
	Compress frontend.Variable    `gnark:",public"`
}

func (c *hashCircuit) Define(api frontend.API) error {
	h, err := newHasher(api)
	if err != nil {
		return err
	}
	for n := 0; n <= 7; n++ {
		api.AssertIsEqual(h.hash(uint64(n+1), c.In[:n]...), c.Hashes[n])
	}
	api.AssertIsEqual(h.compress(c.In[0], c.In[1]), c.Compress)
	return nil
}

func TestHashNativeEqualsCircuit(t *testing.T) {
	var in [7]fr.Element
	for i := range in {
		in[i].SetRandom()
	}
	var a hashCircuit
	for i := range in {
		a.In[i] = in[i]
	}
	for n := 0; n <= 7; n++ {
		a.Hashes[n] = zkhash.Hash(uint64(n+1), in[:n]...)
	}
	a.Compress = zkhash.Compress(in[0], in[1])
	assert := test.NewAssert(t)
	assert.NoError(test.IsSolved(&hashCircuit{}, &a, ecc.BN254.ScalarField()))

	// A different tag, or a different length, must give another digest.
	bad := a
	bad.Hashes[3] = zkhash.Hash(99, in[:3]...)
	assert.Error(test.IsSolved(&hashCircuit{}, &bad, ecc.BN254.ScalarField()))
	bad = a
	bad.Hashes[2] = zkhash.Hash(3, append(in[:2:2], fr.Element{})...) // zero padding is not ambiguous
	assert.Error(test.IsSolved(&hashCircuit{}, &bad, ecc.BN254.ScalarField()))
	// Compress is not symmetric, and a changed output fails.
	bad = a
	bad.Compress = zkhash.Compress(in[1], in[0])
	assert.Error(test.IsSolved(&hashCircuit{}, &bad, ecc.BN254.ScalarField()))
	bad = a
	var one fr.Element
	one.SetOne()
	c := zkhash.Compress(in[0], in[1])
	bad.Compress = *c.Add(&c, &one)
	assert.Error(test.IsSolved(&hashCircuit{}, &bad, ecc.BN254.ScalarField()))
}
