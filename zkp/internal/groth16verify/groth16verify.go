// Package groth16verify is zkcred's Groth16 verifier for BN254 keys
// without commitments: gnark's pairing equation with the two fixed G2
// sides precomputed. Package zkp uses it when a verifying key allows and
// falls back to gnark otherwise; nothing here is API.
package groth16verify

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"

	"github.com/zkcred/zkcred/zkp/internal/gnarkwire"
)

// Verifier checks Groth16 proofs for one verifying key with the G2 side
// of the two fixed pairings precomputed. It checks exactly gnark's
// equation (backend/groth16/bn254.Verify),
//
//	e(A, B) · e(C, −δ) · e(Σ xᵢ·Kᵢ, −γ) = e(α, β),
//
// but computes the Miller loops of e(C, −δ) and e(Σ xᵢ·Kᵢ, −γ) from
// precomputed line evaluations for −δ and −γ (bn254.PrecomputeLines), so
// only e(A, B) runs the full G2 arithmetic: about 0.3 ms less per proof on
// two cores. The public-input sum uses fixed-base tables of the Kᵢ
// (newFixedBaseTable). Proof points are decoded by gnarkwire.DecodeG1 and
// DecodeG2 (on the curve, in the prime-order subgroup, canonical
// encoding), here or earlier by zkp.DecodePresentation. The precomputed lines and tables are
// read-only (the lines are copied per call), so one key verifies
// concurrently. Keys with commitments (gnark's BSB22 extension) are not
// handled here: [New] returns nil and zkp falls back to gnark.
// TestGroth16FastVerifierAgreesWithGnark checks both agree.
type Verifier struct {
	invalid    error              // wrapped by raw-proof decoding errors
	k          []bn254.G1Affine   // K₀ … Kₙ
	tables     [][]bn254.G1Affine // fixed-base tables of K₁ … Kₙ (newFixedBaseTable)
	alphaBeta  bn254.GT           // e(α, β)
	gammaDelta [][2][len(bn254.LoopCounter)]bn254.LineEvaluationAff
}

// ProofSize is the size of a compressed BN254 Groth16 proof: A, C in G1
// and B in G2.
const ProofSize = 32 + 64 + 32

// New returns the verifier of vk, or nil and no error for a key it does
// not handle (commitments, or no public-input terms). Errors about the
// encoding of raw proofs wrap invalid.
func New(vk *groth16bn254.VerifyingKey, invalid error) (*Verifier, error) {
	if len(vk.CommitmentKeys) != 0 || len(vk.PublicAndCommitmentCommitted) != 0 || len(vk.G1.K) == 0 {
		return nil, nil
	}
	ab, err := bn254.Pair([]bn254.G1Affine{vk.G1.Alpha}, []bn254.G2Affine{vk.G2.Beta})
	if err != nil {
		return nil, err
	}
	var gammaNeg, deltaNeg bn254.G2Affine
	gammaNeg.Neg(&vk.G2.Gamma)
	deltaNeg.Neg(&vk.G2.Delta)
	tables := make([][]bn254.G1Affine, len(vk.G1.K)-1)
	for i := range tables {
		tables[i] = newFixedBaseTable(&vk.G1.K[i+1])
	}
	return &Verifier{
		invalid:    invalid,
		k:          vk.G1.K,
		tables:     tables,
		alphaBeta:  ab,
		gammaDelta: [][2][len(bn254.LoopCounter)]bn254.LineEvaluationAff{bn254.PrecomputeLines(gammaNeg), bn254.PrecomputeLines(deltaNeg)},
	}, nil
}

// ErrPairing is returned by [Verifier.Verify] when the pairing equation
// does not hold.
var ErrPairing = errors.New("pairing check failed")

// Verify checks a Groth16 proof against the public inputs (without the
// constant 1). The proof is either already decoded (proof non-nil) or the
// 128 raw bytes, which are decoded here with the same checks as
// zkp's Groth16 proof decoder; B, the costly point to decode (G2 square root and
// subgroup check), is decoded by the goroutine that then runs e(A, B),
// while this one decodes C and computes Σ xᵢ·Kᵢ.
func (v *Verifier) Verify(proof *groth16bn254.Proof, raw []byte, public fr.Vector) error {
	if len(public) != len(v.k)-1 {
		return errors.New("wrong number of public inputs")
	}
	var a, c bn254.G1Affine
	var b *bn254.G2Affine
	if proof != nil {
		a, b, c = proof.Ar, &proof.Bs, proof.Krs
	} else {
		if len(raw) != ProofSize {
			return fmt.Errorf("%w: groth16 proof is %d bytes, want %d", v.invalid, len(raw), ProofSize)
		}
		if err := gnarkwire.DecodeG1(&a, raw[:32], "A", v.invalid); err != nil {
			return err
		}
	}
	type result struct {
		gt  bn254.GT
		err error
	}
	// The goroutine sums the first third of the public inputs (handed over
	// on part) before decoding B and computing e(A, B): that balances its
	// work against this goroutine's (C, the rest of the sum, two Miller
	// loops with precomputed lines).
	split := len(public) / 3
	part := make(chan bn254.G1Jac, 1)
	ch := make(chan result, 1)
	go func() {
		var sum bn254.G1Jac
		for i := range public[:split] {
			fixedBaseMulAdd(&sum, v.tables[i], &public[i])
		}
		part <- sum
		if b == nil {
			b = new(bn254.G2Affine)
			if err := gnarkwire.DecodeG2(b, raw[32:96], "B", v.invalid); err != nil {
				ch <- result{err: err}
				return
			}
		}
		gt, err := bn254.MillerLoop([]bn254.G1Affine{a}, []bn254.G2Affine{*b})
		ch <- result{gt, err}
	}()
	if proof == nil {
		if err := gnarkwire.DecodeG1(&c, raw[96:], "C", v.invalid); err != nil {
			<-ch
			return err
		}
	}

	var sum bn254.G1Jac
	sum.FromAffine(&v.k[0])
	for i := split; i < len(public); i++ {
		fixedBaseMulAdd(&sum, v.tables[i], &public[i])
	}
	first := <-part
	sum.AddAssign(&first)
	var sumAff bn254.G1Affine
	sumAff.FromJacobian(&sum)
	// MillerLoopFixedQ scales the line evaluations in place (gnark-crypto
	// v0.21): give it a copy, never the precomputed lines themselves.
	lines := [][2][len(bn254.LoopCounter)]bn254.LineEvaluationAff{v.gammaDelta[0], v.gammaDelta[1]}
	fixed, err := bn254.MillerLoopFixedQ([]bn254.G1Affine{sumAff, c}, lines)
	r := <-ch
	if err != nil {
		return err
	}
	if r.err != nil {
		return r.err
	}
	fixed.Mul(&fixed, &r.gt)
	got := bn254.FinalExponentiation(&fixed)
	if !got.Equal(&v.alphaBeta) {
		return ErrPairing
	}
	return nil
}

// Fixed-base scalar multiplication for the verifying key's Kᵢ. The
// public-input sum Σ xᵢ·Kᵢ has a dozen or more terms with fixed bases, too
// few for a bucket MSM to pay off: with the multiples d·2^(w·j)·Kᵢ
// precomputed (d = 1 … 2^(w−1), signed w-bit digits), each term costs one
// mixed addition per non-zero digit and no doubling. With w = 5 a table is
// 51·16 affine points (51 KiB) per public input, built when the key is
// loaded.
const (
	fbWindow  = 5
	fbHalf    = 1 << (fbWindow - 1)
	fbWindows = (fr.Bits + 1 + fbWindow - 1) / fbWindow // digits of a value < 2^254 plus the last carry
)

// newFixedBaseTable returns the table of p: entry j·fbHalf + d − 1 is
// d·2^(fbWindow·j)·p.
func newFixedBaseTable(p *bn254.G1Affine) []bn254.G1Affine {
	jac := make([]bn254.G1Jac, fbWindows*fbHalf)
	var q bn254.G1Jac // 2^(fbWindow·j)·p
	q.FromAffine(p)
	for j := 0; j < fbWindows; j++ {
		row := jac[j*fbHalf : (j+1)*fbHalf]
		row[0] = q
		for d := 1; d < fbHalf; d++ {
			row[d].Set(&row[d-1]).AddAssign(&q)
		}
		q.Double(&row[fbHalf-1]) // 2·2^(w−1)·q
	}
	return bn254.BatchJacobianToAffineG1(jac)
}

// fixedBaseMulAdd adds x·p to acc, where table = newFixedBaseTable(p).
func fixedBaseMulAdd(acc *bn254.G1Jac, table []bn254.G1Affine, x *fr.Element) {
	limbs := x.Bits() // canonical, little-endian
	carry := uint64(0)
	for j := 0; j < fbWindows; j++ {
		bit := j * fbWindow
		w := limbs[bit/64] >> (bit % 64)
		if bit%64 > 64-fbWindow && bit/64+1 < len(limbs) {
			w |= limbs[bit/64+1] << (64 - bit%64)
		}
		d := w&(1<<fbWindow-1) + carry
		carry = 0
		switch {
		case d == 0:
		case d == 1<<fbWindow: // digit 0, carry 1
			carry = 1
		case d <= fbHalf:
			acc.AddMixed(&table[j*fbHalf+int(d)-1])
		default: // d − 2^w < 0
			carry = 1
			var neg bn254.G1Affine
			neg.Neg(&table[j*fbHalf+int(1<<fbWindow-d)-1])
			acc.AddMixed(&neg)
		}
	}
}
