package zkp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// ErrCeremony is returned for a ceremony contribution that does not decode
// or does not verify.
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
// the size headers inside say before reading the points, so every header
// (phase 1: the domain size; phase 2: the commitment count and both vector
// lengths) is checked against the sizes this circuit implies before any
// decoding: a crafted contribution is an error, not an out-of-memory
// crash. Verification then checks the points themselves.
type Ceremony struct {
	shape Shape
	r1cs  *cs.R1CS
	n     uint64
	p1Len int
}

// NewCeremony compiles the circuit of shape s and prepares a ceremony.
func NewCeremony(s Shape) (*Ceremony, error) {
	ccs, err := Compile(s, Groth16)
	if err != nil {
		return nil, err
	}
	r := ccs.(*cs.R1CS)
	c := &Ceremony{shape: s, r1cs: r, n: ecc.NextPowerOfTwo(uint64(r.GetNbConstraints()))}
	return c, nil
}

// DomainSize is the phase-1 size N (the circuit's power-of-two domain).
func (c *Ceremony) DomainSize() uint64 { return c.n }

func encode(w io.WriterTo) ([]byte, error) {
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Layout of gnark's encodings, as zkcred requires them (compressed points:
// G1 32 bytes, G2 64), for the header checks:
//
//	Phase1:      3 UpdateProof (G1 ‖ G2 each) ‖ SrsCommons ‖ u8 n ‖ challenge
//	SrsCommons:  u64 N ‖ points (no further headers)
//	Phase2:      u16 commitments ‖ G1 δ ‖ u32 n ‖ n G1 (K) ‖ u32 m ‖ m G1 (Z) ‖ …
//
// gnark's decoder takes each point compressed or not, as its first byte
// says, so a header's position is only known if every point before it is
// compressed: the checks require that too.
const (
	g1Size          = bn254.SizeOfG1AffineCompressed
	g2Size          = bn254.SizeOfG2AffineCompressed
	updateProofSize = g1Size + g2Size
)

// checkCompressed checks that the point encoded at b[off:] is flagged
// compressed (gnark-crypto: the two top bits of the first byte are not 00).
func checkCompressed(b []byte, off int, what, point string) error {
	if len(b) <= off {
		return fmt.Errorf("%w: %s is %d bytes, too short", ErrCeremony, what, len(b))
	}
	if b[off]>>6 == 0 {
		return fmt.Errorf("%w: %s: point %s is not compressed", ErrCeremony, what, point)
	}
	return nil
}

// checkN checks the big-endian u64 domain size at b[off:].
func (c *Ceremony) checkN(b []byte, off int, what string) error {
	if len(b) < off+8 {
		return fmt.Errorf("%w: %s is %d bytes, too short", ErrCeremony, what, len(b))
	}
	if n := binary.BigEndian.Uint64(b[off:]); n != c.n {
		return fmt.Errorf("%w: %s is for domain size %d, want %d", ErrCeremony, what, n, c.n)
	}
	return nil
}

// checkPhase1Headers checks a phase-1 encoding: its three update proofs are
// compressed, so the domain size is where it should be, and it is this
// circuit's.
func (c *Ceremony) checkPhase1Headers(b []byte, what string) error {
	for i := 0; i < 3; i++ {
		if err := checkCompressed(b, i*updateProofSize, what, fmt.Sprintf("proof %d G1", i)); err != nil {
			return err
		}
		if err := checkCompressed(b, i*updateProofSize+g1Size, what, fmt.Sprintf("proof %d G2", i)); err != nil {
			return err
		}
	}
	return c.checkN(b, 3*updateProofSize, what)
}

// checkPhase2Headers checks a phase-2 encoding's headers: no commitments,
// one K point per private wire, N−1 Z points, and every point before the
// last header compressed.
func (c *Ceremony) checkPhase2Headers(b []byte, what string) error {
	internal, secret, _ := c.r1cs.GetNbVariables()
	if len(b) < 2 {
		return fmt.Errorf("%w: %s is %d bytes, too short", ErrCeremony, what, len(b))
	}
	if b[0]|b[1] != 0 {
		return fmt.Errorf("%w: %s has commitments; this circuit has none", ErrCeremony, what)
	}
	if err := checkCompressed(b, 2, what, "δ"); err != nil {
		return err
	}
	off := 2 + g1Size
	for i, h := range []struct {
		name string
		want uint64
	}{{"K", uint64(internal + secret)}, {"Z", c.n - 1}} {
		if len(b) < off+4 {
			return fmt.Errorf("%w: %s is %d bytes, too short", ErrCeremony, what, len(b))
		}
		if n := uint64(binary.BigEndian.Uint32(b[off:])); n != h.want {
			return fmt.Errorf("%w: %s has %d %s points, want %d", ErrCeremony, what, n, h.name, h.want)
		}
		off += 4
		if i == 0 { // the K points precede the Z header
			for j := 0; j < int(h.want); j++ {
				if err := checkCompressed(b, off, what, fmt.Sprintf("K[%d]", j)); err != nil {
					return err
				}
				off += g1Size
			}
		}
	}
	return nil
}

func decodeExact(r io.ReaderFrom, b []byte, wantLen int, what string) error {
	// A phase-1 object carries the previous challenge: empty in the initial
	// one, a 32-byte hash afterwards.
	if wantLen > 0 && len(b) != wantLen && len(b) != wantLen+32 {
		return fmt.Errorf("%w: %s is %d bytes, want %d", ErrCeremony, what, len(b), wantLen)
	}
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
	b, err := encode(mpcsetup.NewPhase1(c.n))
	if err != nil {
		return nil, err
	}
	c.p1Len = len(b)
	return b, nil
}

func (c *Ceremony) phase1Len() (int, error) {
	if c.p1Len == 0 {
		if _, err := c.InitialPhase1(); err != nil {
			return 0, err
		}
	}
	return c.p1Len, nil
}

// ContributePhase1 verifies prev against its predecessor-free form (it
// must decode), adds fresh randomness and returns the new contribution.
func (c *Ceremony) ContributePhase1(prev []byte) ([]byte, error) {
	n, err := c.phase1Len()
	if err != nil {
		return nil, err
	}
	var p mpcsetup.Phase1
	if err := c.checkPhase1Headers(prev, "phase 1 contribution"); err != nil {
		return nil, err
	}
	if err := decodeExact(&p, prev, n, "phase 1 contribution"); err != nil {
		return nil, err
	}
	p.Contribute()
	return encode(&p)
}

// VerifyPhase1 verifies the chain of phase-1 contributions and seals it
// with a public random beacon (e.g. a future drand round), returning the
// phase-1 result (gnark SrsCommons) that phase 2 starts from.
func (c *Ceremony) VerifyPhase1(beacon []byte, contributions ...[]byte) ([]byte, error) {
	if len(contributions) == 0 {
		return nil, fmt.Errorf("%w: no phase 1 contributions", ErrCeremony)
	}
	n, err := c.phase1Len()
	if err != nil {
		return nil, err
	}
	ps := make([]*mpcsetup.Phase1, len(contributions))
	for i, b := range contributions {
		ps[i] = new(mpcsetup.Phase1)
		what := fmt.Sprintf("phase 1 contribution %d", i)
		if err := c.checkPhase1Headers(b, what); err != nil {
			return nil, err
		}
		if err := decodeExact(ps[i], b, n, what); err != nil {
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
	if err := c.checkN(b, 0, "phase 1 result"); err != nil {
		return nil, err
	}
	if err := decodeExact(&commons, b, 0, "phase 1 result"); err != nil {
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
	var p mpcsetup.Phase2
	if err := c.checkPhase2Headers(prev, "phase 2 contribution"); err != nil {
		return nil, err
	}
	if err := decodeExact(&p, prev, 0, "phase 2 contribution"); err != nil {
		return nil, err
	}
	p.Contribute()
	return encode(&p)
}

// Finish verifies the chain of phase-2 contributions against the phase-1
// result, seals it with a public random beacon and returns the keys.
func (c *Ceremony) Finish(phase1, beacon []byte, contributions ...[]byte) (*Keys, error) {
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
		if err := c.checkPhase2Headers(b, what); err != nil {
			return nil, err
		}
		if err := decodeExact(ps[i], b, 0, what); err != nil {
			return nil, err
		}
	}
	pk, vk, err := mpcsetup.VerifyPhase2(c.r1cs, commons, beacon, ps...)
	if err != nil {
		return nil, fmt.Errorf("%w: phase 2: %v", ErrCeremony, err)
	}
	return newGroth16Keys(c.shape, c.r1cs, pk, vk)
}
