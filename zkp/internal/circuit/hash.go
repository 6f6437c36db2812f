package circuit

import (
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
	"github.com/consensys/gnark/frontend"
)

// hasher is the in-circuit mirror of zkhash.Hash and zkhash.Compress
// (hash suite zkcred-poseidon2-v1).
type hasher struct {
	api frontend.API
	p4  *permutation
	p2  *permutation
}

func newHasher(api frontend.API) (*hasher, error) {
	return &hasher{api: api, p4: &permutation{api, params4()}, p2: &permutation{api, params2()}}, nil
}

// hash mirrors zkhash.Hash: a fixed-length sponge whose capacity lane
// starts at tag + len(in)·2^64 (the suite's documented IV, computed here
// rather than exported by zkhash; TestHashNativeEqualsCircuit checks that
// both agree for every input count up to 7).
func (h *hasher) hash(tag uint64, in ...frontend.Variable) frontend.Variable {
	iv := new(big.Int).Lsh(big.NewInt(int64(len(in))), 64)
	iv.Add(iv, new(big.Int).SetUint64(tag))
	state := []frontend.Variable{iv, 0, 0, 0}
	if len(in) == 0 {
		h.p4.permute(state)
		return state[1]
	}
	for i := 0; i < len(in); i += 3 {
		for j := 0; j < 3 && i+j < len(in); j++ {
			state[1+j] = h.api.Add(state[1+j], in[i+j])
		}
		h.p4.permute(state)
	}
	return state[1]
}

// compress mirrors zkhash.Compress: Poseidon2 width 2, output lane 1
// plus the right input (feed-forward).
func (h *hasher) compress(l, r frontend.Variable) frontend.Variable {
	s := []frontend.Variable{l, r}
	h.p2.permute(s)
	return h.api.Add(s[1], r)
}

// poseidon2Params are the round constants of one Poseidon2 instance, as
// gnark-crypto derives them for BN254 (the ones package zkhash
// uses), converted once for the circuit builder.
type poseidon2Params struct {
	width, full, partial int
	keys                 [][]*big.Int // per round: width keys (full rounds) or 1 (partial)
	diag                 []*big.Int   // width 4: internal matrix is 1 + diag(diag)
}

var (
	params4 = sync.OnceValue(func() *poseidon2Params { return newParams(4, 8, 56) })
	params2 = sync.OnceValue(func() *poseidon2Params { return newParams(2, 6, 50) })
)

func newParams(width, full, partial int) *poseidon2Params {
	p := poseidon2.NewParameters(width, full, partial)
	out := &poseidon2Params{width: width, full: full, partial: partial}
	for _, rk := range p.RoundKeys {
		ks := make([]*big.Int, len(rk))
		for j := range rk {
			ks[j] = rk[j].BigInt(new(big.Int))
		}
		out.keys = append(out.keys, ks)
	}
	for i := range p.DiagM1 {
		out.diag = append(out.diag, p.DiagM1[i].BigInt(new(big.Int)))
	}
	return out
}

// permutation is the Poseidon2 permutation (ePrint 2023/323) over BN254's
// scalar field for widths 2 and 4, equal to gnark-crypto's native one. It
// is written for proving cost rather than taken from gnark's std gadget:
//
//   - The S-box x⁵ is computed as x² = x·x, x³ = x·x², x⁵ = x³·x². In
//     R1CS only x² lands in the right-hand (B) side besides x itself, so
//     Groth16's G2 multi-scalar multiplication (the prover's most costly
//     one per point) has one point per S-box instead of two: the chain
//     x², x⁴ = x²·x², x⁵ = x⁴·x puts x⁴ on the B side, because gnark moves
//     the shorter linear combination there.
//   - The next round's constants are folded into each linear layer, so a
//     PLONK gate computes "linear combination + constant" at once.
type permutation struct {
	api frontend.API
	p   *poseidon2Params
}

// permute applies the permutation to s in place: the external layer, then
// per round: add the round keys, S-boxes (all lanes in full rounds, lane 0
// in partial rounds), then the external (full) or internal (partial)
// linear layer.
func (c *permutation) permute(s []frontend.Variable) {
	p := c.p
	rounds := p.full + p.partial
	c.external(s, p.keys[0])
	for r := 0; r < rounds; r++ {
		full := r < p.full/2 || r >= p.full/2+p.partial
		if full {
			for j := range s {
				s[j] = c.sbox(s[j])
			}
		} else {
			s[0] = c.sbox(s[0])
		}
		var next []*big.Int
		if r+1 < rounds {
			next = p.keys[r+1]
		}
		if full {
			c.external(s, next)
		} else {
			c.internal(s, next)
		}
	}
}

func (c *permutation) sbox(x frontend.Variable) frontend.Variable {
	x2 := c.api.Mul(x, x)
	x3 := c.api.Mul(x, x2)
	return c.api.Mul(x3, x2)
}

// key returns k[i], or 0 past the end of k (partial rounds key lane 0 only).
func key(k []*big.Int, i int) *big.Int {
	if i < len(k) {
		return k[i]
	}
	return new(big.Int)
}

// external multiplies s by the external matrix (circ(2, 1) for width 2,
// M4 = [5 7 1 3; 4 6 1 1; 1 3 5 7; 1 1 4 6] for width 4) and adds k.
func (c *permutation) external(s []frontend.Variable, k []*big.Int) {
	api := c.api
	if len(s) == 2 {
		c.mix2(s, k, 2)
		return
	}
	// M4 by the addition chain of the Poseidon2 paper (appendix B), with
	// the keys folded into the last addition of each output:
	// out = (t3+t5, t5, t2+t4, t4) with t5 = 4t0+t2 and t4 = 4t1+t3.
	t0 := api.Add(s[0], s[1])
	t1 := api.Add(s[2], s[3])
	t2 := api.Add(api.Mul(s[1], 2), t1)
	t3 := api.Add(api.Mul(s[3], 2), t0)
	k0, k1, k2, k3 := key(k, 0), key(k, 1), key(k, 2), key(k, 3)
	o1 := api.Add(api.Mul(t0, 4), t2, k1)           // t5 + k1
	o3 := api.Add(api.Mul(t1, 4), t3, k3)           // t4 + k3
	o0 := api.Add(t3, o1, new(big.Int).Sub(k0, k1)) // t3 + t5 + k0
	o2 := api.Add(t2, o3, new(big.Int).Sub(k2, k3)) // t2 + t4 + k2
	s[0], s[1], s[2], s[3] = o0, o1, o2, o3
}

// internal multiplies s by the internal matrix ([2 1; 1 3] for width 2,
// 1 + diag(μ−1) for width 4) and adds k.
func (c *permutation) internal(s []frontend.Variable, k []*big.Int) {
	api := c.api
	if len(s) == 2 {
		c.mix2(s, k, 3)
		return
	}
	sum := api.Add(s[0], s[1], s[2], s[3])
	for i := range s {
		s[i] = api.Add(api.Mul(s[i], c.p.diag[i]), sum, key(k, i))
	}
}

// mix2 sets (s₀, s₁) to (2s₀ + s₁ + k₀, s₀ + m·s₁ + k₁): the width-2
// external matrix for m = 2, the internal one for m = 3.
func (c *permutation) mix2(s []frontend.Variable, k []*big.Int, m int) {
	a, b := s[0], s[1]
	s[0] = c.api.Add(c.api.Mul(a, 2), b, key(k, 0))
	s[1] = c.api.Add(a, c.api.Mul(b, m), key(k, 1))
}
