package zkp

import (
	"github.com/consensys/gnark/frontend"
	stdhash "github.com/consensys/gnark/std/hash"
	"github.com/consensys/gnark/std/permutation/poseidon2"

	"github.com/zkcred/zkcred/credential"
)

// hasher is the in-circuit mirror of credential.Hash and credential.Compress
// (hash suite credential.HashSuite). Permutation parameters are built once
// per circuit.
type hasher struct {
	api frontend.API
	p4  *poseidon2.Permutation
	p2  *poseidon2.Permutation
}

func newHasher(api frontend.API) (*hasher, error) {
	p4, err := poseidon2.NewPoseidon2FromParameters(api, 4, 8, 56)
	if err != nil {
		return nil, err
	}
	p2, err := poseidon2.NewPoseidon2FromParameters(api, 2, 6, 50)
	if err != nil {
		return nil, err
	}
	return &hasher{api: api, p4: p4, p2: p2}, nil
}

// hash mirrors credential.Hash: a fixed-length sponge whose capacity lane
// starts at tag + len(in)·2^64.
func (h *hasher) hash(tag uint64, in ...frontend.Variable) frontend.Variable {
	state := []frontend.Variable{credential.HashIV(tag, len(in)), 0, 0, 0}
	if len(in) == 0 {
		if err := h.p4.Permutation(state); err != nil {
			panic("zkp: internal error: " + err.Error())
		}
		return state[1]
	}
	for i := 0; i < len(in); i += 3 {
		for j := 0; j < 3 && i+j < len(in); j++ {
			state[1+j] = h.api.Add(state[1+j], in[i+j])
		}
		if err := h.p4.Permutation(state); err != nil {
			panic("zkp: internal error: " + err.Error())
		}
	}
	return state[1]
}

// compress mirrors credential.Compress.
func (h *hasher) compress(l, r frontend.Variable) frontend.Variable {
	return h.p2.Compress(l, r)
}

// fieldHasher adapts hash(tag, ...) to gnark's hash.FieldHasher, for
// std/signature/eddsa, mirroring credential.NewEdDSAHash.
type fieldHasher struct {
	h   *hasher
	tag uint64
	buf []frontend.Variable
}

var _ stdhash.FieldHasher = (*fieldHasher)(nil)

func (f *fieldHasher) Write(data ...frontend.Variable) { f.buf = append(f.buf, data...) }
func (f *fieldHasher) Sum() frontend.Variable          { return f.h.hash(f.tag, f.buf...) }
func (f *fieldHasher) Reset()                          { f.buf = nil }
