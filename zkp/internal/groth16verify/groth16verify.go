// Package groth16verify is zkcred's Groth16 verifier for BN254 keys
// without commitments: gnark's pairing equation with the two fixed G2
// sides precomputed. Package zkp uses it when a verifying key allows and
// falls back to gnark otherwise; nothing here is API.
package groth16verify

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/consensys/gnark-crypto/ecc"
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
// (newFixedBaseTable), built by the first [Verifier.Verify] (about 26 ms
// and 2.8 MiB natively for 56 public inputs, most of loading a verifying
// key before they were made lazy) and reused by every later one;
// [Verifier.VerifyOnce], a prover's self-check, uses a bucket MSM instead
// unless they are built already. Proof points are decoded by gnarkwire.DecodeG1 and
// DecodeG2 (on the curve, in the prime-order subgroup, canonical
// encoding), here or earlier by zkp.DecodePresentation. The precomputed lines and tables are
// read-only once built (the lines are copied per call; the tables are
// built under a sync.Once and published atomically), so one key verifies
// concurrently. Keys with commitments (gnark's BSB22 extension) are not
// handled here: [New] returns nil and zkp falls back to gnark.
// TestGroth16FastVerifierAgreesWithGnark checks both agree.
type Verifier struct {
	invalid    error                              // wrapped by raw-proof decoding errors
	k          []bn254.G1Affine                   // K₀ … Kₙ
	tablesOnce sync.Once                          // builds tables on the first Verify
	tables     atomic.Pointer[[][]bn254.G1Affine] // fixed-base tables of K₁ … Kₙ (newFixedBaseTable); nil until built
	alphaBeta  bn254.GT                           // e(α, β)
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
	return &Verifier{
		invalid:    invalid,
		k:          vk.G1.K,
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
// while this one decodes C and computes Σ xᵢ·Kᵢ. The first call builds
// the key's fixed-base tables; concurrent first calls wait for one build.
func (v *Verifier) Verify(proof *groth16bn254.Proof, raw []byte, public fr.Vector) error {
	return v.verify(proof, raw, public, v.fixedTables())
}

// VerifyOnce is [Verifier.Verify] for a key that may check only this one
// proof, such as a prover's check of its own proof after loading the
// keys: it computes Σ xᵢ·Kᵢ with the fixed-base tables if a Verify built
// them already, and otherwise with a bucket MSM (about 0.2 ms more than
// with the tables, against some 26 ms to build them, natively), without
// building them. It checks the same equation with the same point checks.
func (v *Verifier) VerifyOnce(proof *groth16bn254.Proof, raw []byte, public fr.Vector) error {
	var tables [][]bn254.G1Affine
	if t := v.tables.Load(); t != nil {
		tables = *t
	}
	return v.verify(proof, raw, public, tables)
}

// fixedTables returns the fixed-base tables of K₁ … Kₙ, building them on
// the first call.
func (v *Verifier) fixedTables() [][]bn254.G1Affine {
	v.tablesOnce.Do(func() {
		tables := make([][]bn254.G1Affine, len(v.k)-1)
		for i := range tables {
			tables[i] = newFixedBaseTable(&v.k[i+1])
		}
		v.tables.Store(&tables)
	})
	return *v.tables.Load()
}

// TablesBuilt reports whether a Verify has built the fixed-base tables.
func (v *Verifier) TablesBuilt() bool { return v.tables.Load() != nil }

// verify checks the proof, computing Σ xᵢ·Kᵢ with tables, or with a
// bucket MSM when tables is nil.
func (v *Verifier) verify(proof *groth16bn254.Proof, raw []byte, public fr.Vector, tables [][]bn254.G1Affine) error {
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
	// loops with precomputed lines). Without tables this goroutine sums
	// nothing: the MSM below takes all the terms.
	split := len(public) / 3
	if tables == nil {
		split = 0
	}
	part := make(chan bn254.G1Jac, 1)
	ch := make(chan result, 1)
	go func() {
		var sum bn254.G1Jac
		for i := range public[:split] {
			fixedBaseMulAdd(&sum, tables[i], &public[i])
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
	if tables != nil {
		sum.FromAffine(&v.k[0])
		for i := split; i < len(public); i++ {
			fixedBaseMulAdd(&sum, tables[i], &public[i])
		}
	} else {
		if _, err := sum.MultiExp(v.k[1:], public, ecc.MultiExpConfig{}); err != nil {
			<-part
			<-ch
			return err
		}
		sum.AddMixed(&v.k[0])
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
// 51·16 affine points (51 KiB) per public input, built by the key's first
// Verify.
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
