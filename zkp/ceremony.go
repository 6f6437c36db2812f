package zkp

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/zkcred/zkcred/zkp/internal/gnarkwire"
)

// ErrCeremony is returned for a ceremony contribution that does not decode
// or does not verify, and by every method of a nil or zero [Ceremony] (one
// not made by [NewCeremony]).
var ErrCeremony = errors.New("zkp: ceremony")

// Ceremony is a Groth16 multi-party setup for one shape, over gnark's
// backend/groth16/bn254/mpcsetup. Phase 1 (powers of τ, α, β for the
// circuit's domain size) and phase 2 (circuit-specific δ) each take a
// sequence of contributions; each contributor reads the previous
// contribution, adds its own randomness and publishes the result. The keys
// are sound as long as one contributor of each phase destroyed its
// randomness. Anyone can re-verify the whole transcript with
// [Ceremony.VerifyPhase1] and [Ceremony.Finish].
//
// Contributions are gnark's encodings. gnark's decoders allocate whatever
// the size headers inside say, and read each point compressed or not as
// its flag says (so one flag moves every later header), so the whole
// layout of each contribution is walked first: every point flagged
// compressed, every header (domain size, commitment count, vector
// lengths, challenge length) equal to what this circuit implies, the
// exact length. A crafted contribution is an error, not an out-of-memory
// crash. Verification then checks the points themselves.
type Ceremony struct {
	shape Shape
	r1cs  *cs.R1CS
	n     uint64
}

// NewCeremony compiles the circuit of shape s and prepares a ceremony.
func NewCeremony(s Shape) (*Ceremony, error) {
	ccs, err := compile(s, Groth16)
	if err != nil {
		return nil, err
	}
	r := ccs.(*cs.R1CS)
	c := &Ceremony{shape: s, r1cs: r, n: ecc.NextPowerOfTwo(uint64(r.GetNbConstraints()))}
	return c, nil
}

// DomainSize is the phase-1 size N (the circuit's power-of-two domain), or
// 0 for a nil or zero Ceremony.
func (c *Ceremony) DomainSize() uint64 {
	if c == nil {
		return 0
	}
	return c.n
}

// check refuses a nil Ceremony or one not made by [NewCeremony] (gnark
// panics on a domain size that is not a power of two ≥ 2).
func (c *Ceremony) check() error {
	if c == nil || c.r1cs == nil || c.n < 2 || c.n&(c.n-1) != 0 {
		return fmt.Errorf("%w: ceremony not made by NewCeremony", ErrCeremony)
	}
	return nil
}

func encode(w io.WriterTo) ([]byte, error) {
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Layout of gnark's encodings, as zkcred requires them (compressed points:
// G1 32 bytes, G2 64):
//
//	UpdateProof: G1 ‖ G2
//	Phase1:      3 UpdateProof ‖ SrsCommons ‖ u8 len ‖ challenge (0 or 32 bytes)
//	SrsCommons:  u64 N ‖ [β]₂ ‖ 2N−2 G1 ‖ N−1 G2 ‖ 2N G1
//	Phase2:      u16 0 ‖ [δ]₁ ‖ u32 n ‖ n G1 (K) ‖ u32 N−1 ‖ N−1 G1 (Z) ‖
//	             [δ]₂ ‖ UpdateProof ‖ u8 len ‖ challenge (0 or 32 bytes)
//
// gnark's decoders take each point compressed or not as its first byte
// says, and allocate what each header says: the walks below check every
// point's flag and every header (and the exact length) before any gnark
// decoder runs.

// walkUpdateProof checks an update proof's two point flags.
func walkUpdateProof(r *gnarkwire.Reader, what string) error {
	return errors.Join(r.SkipG1s(1, what), r.SkipG2s(1, what))
}

// walkCommons walks an SrsCommons encoding for domain size n.
func walkCommons(r *gnarkwire.Reader, n uint64, what string) error {
	got, err := r.U64(what + " domain size")
	if err != nil {
		return err
	}
	if got != n {
		return r.Fail("%s is for domain size %d, want %d", what, got, n)
	}
	N := int(n)
	return errors.Join(r.SkipG2s(1, what+" [β]₂"), r.SkipG1s(2*N-2, what+" [τⁱ]₁"),
		r.SkipG2s(N-1, what+" [τⁱ]₂"), r.SkipG1s(2*N, what+" [ατⁱ]₁ [βτⁱ]₁"))
}

// walkChallenge walks the trailing challenge: empty or a 32-byte hash.
func walkChallenge(r *gnarkwire.Reader, what string) error {
	b, err := r.Take(1, what+" challenge")
	if err != nil {
		return err
	}
	if b[0] != 0 && b[0] != 32 {
		return r.Fail("%s challenge of %d bytes", what, b[0])
	}
	if _, err := r.Take(int(b[0]), what+" challenge"); err != nil {
		return err
	}
	return r.End(what)
}

// checkPhase1 walks a whole phase-1 encoding.
func (c *Ceremony) checkPhase1(b []byte, what string) error {
	r := gnarkwire.NewReader(b, ErrCeremony)
	for i := 0; i < 3; i++ {
		if err := walkUpdateProof(r, fmt.Sprintf("%s proof %d", what, i)); err != nil {
			return err
		}
	}
	if err := walkCommons(r, c.n, what); err != nil {
		return err
	}
	return walkChallenge(r, what)
}

// checkPhase2 walks a whole phase-2 encoding: no commitments, one K point
// per private wire, N−1 Z points.
func (c *Ceremony) checkPhase2(b []byte, what string) error {
	internal, secret, _ := c.r1cs.GetNbVariables()
	r := gnarkwire.NewReader(b, ErrCeremony)
	nc, err := r.Take(2, what)
	if err != nil {
		return err
	}
	if nc[0]|nc[1] != 0 {
		return r.Fail("%s has commitments; this circuit has none", what)
	}
	if err := errors.Join(r.SkipG1s(1, what+" [δ]₁"), r.Header(internal+secret, what+" K"),
		r.SkipG1s(internal+secret, what+" K"), r.Header(int(c.n)-1, what+" Z"), r.SkipG1s(int(c.n)-1, what+" Z"),
		r.SkipG2s(1, what+" [δ]₂"), walkUpdateProof(r, what+" proof")); err != nil {
		return err
	}
	return walkChallenge(r, what)
}

// decodeExact decodes b, whose layout the caller walked, with gnark's
// decoder.
func decodeExact(r io.ReaderFrom, b []byte, what string) error {
	rd := bytes.NewReader(b)
	if _, err := r.ReadFrom(rd); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCeremony, what, err)
	}
	if rd.Len() != 0 {
		return fmt.Errorf("%w: %s: trailing data", ErrCeremony, what)
	}
	return nil
}

// InitialPhase1 returns the phase-1 starting point the first contributor
// builds on.
func (c *Ceremony) InitialPhase1() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return encode(mpcsetup.NewPhase1(c.n))
}

// ContributePhase1 verifies prev against its predecessor-free form (it
// must decode), adds fresh randomness and returns the new contribution.
func (c *Ceremony) ContributePhase1(prev []byte) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	var p mpcsetup.Phase1
	if err := c.checkPhase1(prev, "phase 1 contribution"); err != nil {
		return nil, err
	}
	if err := decodeExact(&p, prev, "phase 1 contribution"); err != nil {
		return nil, err
	}
	p.Contribute()
	return encode(&p)
}

// VerifyPhase1 verifies the chain of phase-1 contributions and seals it
// with a public random beacon (e.g. a future drand round), returning the
// phase-1 result (gnark SrsCommons) that phase 2 starts from.
func (c *Ceremony) VerifyPhase1(beacon []byte, contributions ...[]byte) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if len(contributions) == 0 {
		return nil, fmt.Errorf("%w: no phase 1 contributions", ErrCeremony)
	}
	ps := make([]*mpcsetup.Phase1, len(contributions))
	for i, b := range contributions {
		ps[i] = new(mpcsetup.Phase1)
		what := fmt.Sprintf("phase 1 contribution %d", i)
		if err := c.checkPhase1(b, what); err != nil {
			return nil, err
		}
		if err := decodeExact(ps[i], b, what); err != nil {
			return nil, err
		}
	}
	commons, err := mpcsetup.VerifyPhase1(c.n, beacon, ps...)
	if err != nil {
		return nil, fmt.Errorf("%w: phase 1: %v", ErrCeremony, err)
	}
	return encode(&commons)
}

func (c *Ceremony) commons(b []byte) (*mpcsetup.SrsCommons, error) {
	var commons mpcsetup.SrsCommons
	r := gnarkwire.NewReader(b, ErrCeremony)
	if err := errors.Join(walkCommons(r, c.n, "phase 1 result"), r.End("phase 1 result")); err != nil {
		return nil, err
	}
	if err := decodeExact(&commons, b, "phase 1 result"); err != nil {
		return nil, err
	}
	if uint64(len(commons.G2.Tau)) != c.n || uint64(len(commons.G1.AlphaTau)) != c.n {
		return nil, fmt.Errorf("%w: phase 1 result for another domain size", ErrCeremony)
	}
	return &commons, nil
}

// InitialPhase2 returns the phase-2 starting point for this circuit from
// the sealed phase-1 result.
func (c *Ceremony) InitialPhase2(phase1 []byte) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	commons, err := c.commons(phase1)
	if err != nil {
		return nil, err
	}
	var p mpcsetup.Phase2
	p.Initialize(c.r1cs, commons)
	return encode(&p)
}

// ContributePhase2 adds fresh randomness to a phase-2 contribution.
func (c *Ceremony) ContributePhase2(prev []byte) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	var p mpcsetup.Phase2
	if err := c.checkPhase2(prev, "phase 2 contribution"); err != nil {
		return nil, err
	}
	if err := decodeExact(&p, prev, "phase 2 contribution"); err != nil {
		return nil, err
	}
	p.Contribute()
	return encode(&p)
}

// Finish verifies the chain of phase-2 contributions against the phase-1
// result, seals it with a public random beacon and returns the keys.
func (c *Ceremony) Finish(phase1, beacon []byte, contributions ...[]byte) (*Keys, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if len(contributions) == 0 {
		return nil, fmt.Errorf("%w: no phase 2 contributions", ErrCeremony)
	}
	commons, err := c.commons(phase1)
	if err != nil {
		return nil, err
	}
	ps := make([]*mpcsetup.Phase2, len(contributions))
	for i, b := range contributions {
		ps[i] = new(mpcsetup.Phase2)
		what := fmt.Sprintf("phase 2 contribution %d", i)
		if err := c.checkPhase2(b, what); err != nil {
			return nil, err
		}
		if err := decodeExact(ps[i], b, what); err != nil {
			return nil, err
		}
	}
	pk, vk, err := mpcsetup.VerifyPhase2(c.r1cs, commons, beacon, ps...)
	if err != nil {
		return nil, fmt.Errorf("%w: phase 2: %v", ErrCeremony, err)
	}
	return newGroth16Keys(c.shape, c.r1cs, pk, vk)
}
