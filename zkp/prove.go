package zkp

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/backend/witness"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"

	"github.com/zkcred/zkcred/zkp/internal/gnarkwire"
	"github.com/zkcred/zkcred/zkp/internal/groth16verify"
)

// ErrInvalidProof is returned by [Verify] when the proof does not verify
// for the verifier's statement.
var ErrInvalidProof = errors.New("zkp: invalid proof")

// Prove checks natively that w satisfies st (returning an error wrapping
// [ErrUnsatisfied] that names what fails, before any proving work), then
// proves it with keys. Nil or zero keys are an error wrapping
// [ErrInvalidKey], a nil st one wrapping [ErrInvalidStatement], a nil w
// one wrapping [ErrInvalidWitness]. The proof is verified with the
// keys' verifying key before it is returned: a proof it rejects (a
// proving key that is not the verifying key's, which could make proofs
// that carry the witness) is never released, and the error wraps
// [ErrInvalidKey].
func Prove(keys *Keys, st *Statement, w *Witness) (*Presentation, error) {
	full, out, p, err := prepare(keys, st, w)
	if err != nil {
		return nil, err
	}
	if keys.split != nil && splittable(keys) {
		pres, err := proveSplit(keys, st, full, out, p, keys.split)
		if !errors.Is(err, ErrSplitHelper) {
			return pres, err
		}
		// The helper is gone or broken: prove on this thread.
	}
	return proveOne(keys, st, full, out, p)
}

// proveOne proves with gnark's prover, on this goroutine's threads.
func proveOne(keys *Keys, st *Statement, full witness.Witness, out *output, p *Presentation) (*Presentation, error) {
	// The BN254 provers are called directly, not through gnark's
	// curve-generic groth16.Prove and plonk.Prove: those switch over every
	// curve and link each curve's prover into a program, 4 MB more of a
	// browser wallet's WebAssembly module (examples/wallet).
	r1cs, isR1CS := keys.ccs.(*csbn254.R1CS)
	spr, isSPR := keys.ccs.(*csbn254.SparseR1CS)
	switch {
	case keys.g16 != nil && !isR1CS, keys.g16 == nil && !isSPR:
		return nil, fmt.Errorf("zkp: internal error: constraint system %T for %s", keys.ccs, keys.VerifyingKey.backend)
	case keys.g16 != nil:
		proof, err := groth16bn254.Prove(r1cs, keys.g16, full)
		if err != nil {
			return nil, fmt.Errorf("zkp: prove: %w", err)
		}
		p.Proof = encodeGroth16Proof(proof)
	default:
		proof, err := plonkbn254.Prove(spr, keys.pl, full)
		if err != nil {
			return nil, fmt.Errorf("zkp: prove: %w", err)
		}
		var buf bytes.Buffer
		if _, err := proof.WriteTo(&buf); err != nil {
			return nil, err
		}
		p.Proof = buf.Bytes()
	}
	return finish(keys, st, p, out)
}

// prepare makes the checks and the witness that every prover needs, and
// the presentation they fill in.
func prepare(keys *Keys, st *Statement, w *Witness) (witness.Witness, *output, *Presentation, error) {
	if err := keys.check(); err != nil {
		return nil, nil, nil, err
	}
	if st == nil {
		return nil, nil, nil, fmt.Errorf("%w: nil statement", ErrInvalidStatement)
	}
	if w == nil {
		return nil, nil, nil, fmt.Errorf("%w: nil witness", ErrInvalidWitness)
	}
	s := keys.VerifyingKey.shape
	if err := st.check(s); err != nil {
		return nil, nil, nil, err
	}
	out, err := check(s, st, w)
	if err != nil {
		return nil, nil, nil, err
	}
	full, err := frontend.NewWitness(assignment(s, st, w, out), ecc.BN254.ScalarField())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("zkp: witness: %w", err)
	}
	return full, out, &Presentation{Backend: keys.VerifyingKey.backend, Key: keys.VerifyingKey.fp}, nil
}

// finish adds the public outputs to p and releases it only if its proof
// verifies.
func finish(keys *Keys, st *Statement, p *Presentation, out *output) (*Presentation, error) {
	if !st.Scope.IsZero() {
		p.Nullifier = out.nullifier
	}
	for _, d := range st.Disclose {
		p.Disclosed = append(p.Disclosed, Disclosed{Slot: d, Value: out.disclosed[d]})
	}
	// A Groth16 proof the verifying key accepts, with A and B blinded by
	// the verifying key's own δ (checked when the keys were loaded), is
	// distributed as a simulated one whatever the rest of the proving key
	// holds; a proof it rejects (either backend) was made with a proving
	// key that is not the verifying key's and may carry the witness:
	// never release it. The check is the one Verify makes, except that
	// it does not build the verifying key's fixed-base tables for this one
	// proof (selfCheck): a wallet that loaded its keys to prove would pay
	// more for them than for a bucket MSM.
	if err := verify(keys.VerifyingKey, st, p, true); err != nil {
		return nil, fmt.Errorf("%w: the proof made with this proving key does not verify with its verifying key (%v): the proving key is not the verifying key's; load the keys again from a trusted source", ErrInvalidKey, err)
	}
	return p, nil
}

// Verify checks presentation p against the statement st that the verifier
// built itself: the public inputs are computed from st (canonical field
// elements), plus the nullifier and disclosed values the presentation
// carries for the scope and slots st asks for. It returns an error wrapping
// [ErrKeyMismatch] if p was made for another key, [ErrInvalidStatement]
// for a bad statement (a nil or invalid issuer key included), and
// [ErrInvalidProof] if the proof does not verify. A nil or zero vk is an
// error wrapping [ErrInvalidKey], a nil st one wrapping
// [ErrInvalidStatement], and a nil p one wrapping [ErrInvalidPresentation].
func Verify(vk *VerifyingKey, st *Statement, p *Presentation) error {
	return verify(vk, st, p, false)
}

// verify is Verify; selfCheck (Prove's check of its own proof) computes
// the Groth16 public-input sum without building the key's fixed-base
// tables (groth16verify.Verifier.VerifyOnce).
func verify(vk *VerifyingKey, st *Statement, p *Presentation, selfCheck bool) error {
	if err := vk.check(); err != nil {
		return err
	}
	if st == nil {
		return fmt.Errorf("%w: nil statement", ErrInvalidStatement)
	}
	if p == nil {
		return fmt.Errorf("%w: nil presentation", ErrInvalidPresentation)
	}
	if p.Backend != vk.backend || p.Key != vk.fp {
		return fmt.Errorf("%w: presentation %s/%s, key %s/%s", ErrKeyMismatch, p.Backend, p.Key, vk.backend, vk.fp)
	}
	s := vk.shape
	if err := st.check(s); err != nil {
		return err
	}
	out := &output{disclosed: make([]fr.Element, s.Slots)}
	if st.Scope.IsZero() != p.Nullifier.IsZero() {
		return fmt.Errorf("%w: nullifier present without scope or missing for scope", ErrInvalidProof)
	}
	out.nullifier = p.Nullifier
	if len(p.Disclosed) != len(st.Disclose) {
		return fmt.Errorf("%w: disclosed %d values, statement asks for %d", ErrInvalidProof, len(p.Disclosed), len(st.Disclose))
	}
	for _, d := range p.Disclosed {
		if !st.discloses(d.Slot) {
			return fmt.Errorf("%w: slot %d disclosed but not requested", ErrInvalidProof, d.Slot)
		}
		out.disclosed[d.Slot] = d.Value
	}
	if vk.backend == Groth16 && vk.g16fast != nil {
		// nil when not decoded yet: verify decodes p.Proof itself
		fast := vk.g16fast.Verify
		if selfCheck {
			fast = vk.g16fast.VerifyOnce
		}
		if err := fast(p.cachedGroth16Proof(), p.Proof, publicVector(s, st, out)); err != nil {
			if errors.Is(err, ErrInvalidProof) {
				return err
			}
			return fmt.Errorf("%w: %v", ErrInvalidProof, err)
		}
		return nil
	}
	pub, err := frontend.NewWitness(publicAssignment(s, st, out), ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		return fmt.Errorf("zkp: public inputs: %w", err)
	}
	return verifyProof(vk, p, pub)
}

// groth16Proof returns the presentation's Groth16 proof, decoded (and
// checked: lengths, curve, subgroup, canonical encoding) at most once.
func (p *Presentation) groth16Proof() (*groth16bn254.Proof, error) {
	if proof := p.cachedGroth16Proof(); proof != nil {
		return proof, nil
	}
	return decodeGroth16Proof(p.Proof)
}

// cachedGroth16Proof returns the proof DecodePresentation decoded from the
// current p.Proof, or nil.
func (p *Presentation) cachedGroth16Proof() *groth16bn254.Proof {
	if proof, ok := p.parsed.(*groth16bn254.Proof); ok && bytes.Equal(p.parsedFrom, p.Proof) {
		return proof
	}
	return nil
}

func verifyProof(vk *VerifyingKey, p *Presentation, pub witness.Witness) error {
	cached := p.parsed != nil && bytes.Equal(p.parsedFrom, p.Proof)
	vec, ok := pub.Vector().(fr.Vector)
	if !ok {
		return fmt.Errorf("zkp: internal error: public witness %T", pub.Vector())
	}
	switch vk.backend {
	case Groth16:
		proof, err := p.groth16Proof()
		if err != nil {
			return err
		}
		if err := groth16bn254.Verify(proof, vk.g16, vec); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidProof, err)
		}
	case PLONK:
		proof, ok := p.parsed.(*plonkbn254.Proof)
		if !cached || !ok {
			var err error
			if proof, err = decodePLONKProof(p.Proof); err != nil {
				return err
			}
		}
		if err := plonkbn254.Verify(proof, vk.pl, vec); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidProof, err)
		}
	default:
		return fmt.Errorf("%w: %q", ErrUnknownBackend, string(vk.backend))
	}
	return nil
}

// Groth16 proofs are encoded as Ar (G1, 32 B) | Bs (G2, 64 B) | Krs (G1,
// 32 B), compressed: 128 bytes. The circuit uses no commitments, so nothing
// else is needed.
const groth16ProofSize = groth16verify.ProofSize

func encodeGroth16Proof(p *groth16bn254.Proof) []byte {
	out := make([]byte, 0, groth16ProofSize)
	a, b, k := p.Ar.Bytes(), p.Bs.Bytes(), p.Krs.Bytes()
	out = append(out, a[:]...)
	out = append(out, b[:]...)
	return append(out, k[:]...)
}

func decodeGroth16Proof(raw []byte) (*groth16bn254.Proof, error) {
	if len(raw) != groth16ProofSize {
		return nil, fmt.Errorf("%w: groth16 proof is %d bytes, want %d", ErrInvalidProof, len(raw), groth16ProofSize)
	}
	p := new(groth16bn254.Proof)
	if err := decodeG1(&p.Ar, raw[:32], "A"); err != nil {
		return nil, err
	}
	if err := decodeG2(&p.Bs, raw[32:96], "B"); err != nil {
		return nil, err
	}
	if err := decodeG1(&p.Krs, raw[96:], "C"); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeG1 decodes a compressed G1 point: on the curve (the whole curve is
// the prime-order group), canonical encoding.
func decodeG1(p *bn254.G1Affine, raw []byte, name string) error {
	return gnarkwire.DecodeG1(p, raw, name, ErrInvalidProof)
}

// decodeG2 decodes a compressed G2 point: on the curve, in the prime-order
// subgroup (SetBytes checks both), canonical encoding.
func decodeG2(p *bn254.G2Affine, raw []byte, name string) error {
	return gnarkwire.DecodeG2(p, raw, name, ErrInvalidProof)
}

// PLONK proofs are gnark's compressed encoding (BN254, no commitments):
//
//	LRO[3] Z H[3] BatchedProof.H (8 G1) | u32 6 | 6 claimed values (fr) |
//	ZShiftedOpening.H (G1) | claimed value (fr) | u32 0 (Bsb22Commitments)
//
// decodePLONKProof parses it field by field at these fixed offsets (every
// point must be flagged compressed) and builds the gnark struct itself: no
// gnark decoder ever sees the bytes, so a point flagged uncompressed cannot
// move the headers gnark would read.
const (
	plonkClaimedValues = 6
	plonkProofSize     = 8*32 + 4 + plonkClaimedValues*32 + 32 + 32 + 4
)

func decodePLONKProof(raw []byte) (*plonkbn254.Proof, error) {
	if len(raw) != plonkProofSize {
		return nil, fmt.Errorf("%w: plonk proof is %d bytes, want %d", ErrInvalidProof, len(raw), plonkProofSize)
	}
	r := gnarkwire.NewReader(raw, ErrInvalidProof)
	p := new(plonkbn254.Proof)
	points := []*bn254.G1Affine{&p.LRO[0], &p.LRO[1], &p.LRO[2], &p.Z, &p.H[0], &p.H[1], &p.H[2], &p.BatchedProof.H}
	for i, pt := range points {
		if err := r.G1(pt, fmt.Sprintf("plonk proof point %d", i)); err != nil {
			return nil, err
		}
	}
	if err := r.Header(plonkClaimedValues, "plonk proof claimed values"); err != nil {
		return nil, err
	}
	p.BatchedProof.ClaimedValues = make([]fr.Element, plonkClaimedValues)
	for i := range p.BatchedProof.ClaimedValues {
		if err := r.Fr(&p.BatchedProof.ClaimedValues[i], "plonk proof claimed value"); err != nil {
			return nil, err
		}
	}
	if err := r.G1(&p.ZShiftedOpening.H, "plonk proof shifted opening"); err != nil {
		return nil, err
	}
	if err := r.Fr(&p.ZShiftedOpening.ClaimedValue, "plonk proof shifted claimed value"); err != nil {
		return nil, err
	}
	if err := r.Header(0, "plonk proof commitments"); err != nil {
		return nil, err
	}
	if err := r.End("plonk proof"); err != nil {
		return nil, err
	}
	p.Bsb22Commitments = []kzg.Digest{}
	// Belt and braces: the proof re-encodes to the input bytes.
	var buf bytes.Buffer
	if _, err := p.WriteTo(&buf); err != nil || !bytes.Equal(buf.Bytes(), raw) {
		return nil, fmt.Errorf("%w: non-canonical encoding", ErrInvalidProof)
	}
	return p, nil
}
