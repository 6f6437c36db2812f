package tlog

import (
	"fmt"
	"slices"
	"time"

	sumtlog "golang.org/x/mod/sumdb/tlog"

	"github.com/zkcred/zkcred/credential/status/tlog/internal/cosig"
)

// MaxWitnesses bounds the witnesses of a [Policy].
const MaxWitnesses = 16

// Policy is what a verifier or wallet trusts for one log: the log's key,
// the witnesses' keys and how many of them must have cosigned a
// checkpoint. It is immutable and safe for concurrent use.
type Policy struct {
	log       *LogKey
	witnesses []*WitnessKey
	quorum    int
}

// NewPolicy returns a policy accepting checkpoints of log cosigned by at
// least quorum of the witnesses (distinct names and keys, at most
// [MaxWitnesses]). quorum 0 accepts the log's signature alone, with no
// protection against a split view: for tests and development only. Errors
// wrap [ErrNoQuorum] (quorum out of range) or [ErrInvalidOrigin]
// (duplicate witness).
func NewPolicy(log *LogKey, witnesses []*WitnessKey, quorum int) (*Policy, error) {
	if log == nil {
		return nil, fmt.Errorf("%w: no log key", ErrBadSignature)
	}
	if len(witnesses) > MaxWitnesses || quorum < 0 || quorum > len(witnesses) {
		return nil, fmt.Errorf("%w: quorum %d of %d witnesses (at most %d)", ErrNoQuorum, quorum, len(witnesses), MaxWitnesses)
	}
	for i, w := range witnesses {
		if w == nil {
			return nil, fmt.Errorf("%w: nil witness key", ErrInvalidOrigin)
		}
		for _, o := range witnesses[:i] {
			if o.name == w.name || o.pub.Equal(w.pub) {
				return nil, fmt.Errorf("%w: witness %q listed twice", ErrInvalidOrigin, truncate(w.name, 64))
			}
		}
		if w.name == log.origin {
			return nil, fmt.Errorf("%w: witness named like the log", ErrInvalidOrigin)
		}
	}
	return &Policy{log: log, witnesses: slices.Clone(witnesses), quorum: quorum}, nil
}

// Log returns the policy's log key.
func (p *Policy) Log() *LogKey { return p.log }

// Quorum returns how many witness cosignatures the policy requires.
func (p *Policy) Quorum() int { return p.quorum }

// Verify parses signedNote, checks the log's signature and counts the
// valid cosignatures of the policy's witnesses (one per witness; unknown
// signers and invalid cosignatures are ignored, not counted). The
// returned checkpoint lists the valid cosignatures. Errors wrap
// [ErrMalformedCheckpoint], [ErrBadSignature] or [ErrNoQuorum].
func (p *Policy) Verify(signedNote []byte) (*Checkpoint, error) {
	c, sigs, err := parseNote(signedNote)
	if err != nil {
		return nil, err
	}
	if err := c.verifyLog(p.log); err != nil {
		return nil, err
	}
	body := c.Body()
	for _, w := range p.witnesses {
		for _, s := range sigs {
			if s.name != w.name || s.hash != w.hash {
				continue
			}
			if t, ok := cosig.Verify(w.pub, body, s.sig); ok {
				c.Cosignatures = append(c.Cosignatures, Cosignature{Witness: w.name, Time: time.Unix(int64(t), 0).UTC()})
				break
			}
		}
	}
	if len(c.Cosignatures) < p.quorum {
		return nil, fmt.Errorf("%w: %d valid of %d required for %q", ErrNoQuorum, len(c.Cosignatures), p.quorum, truncate(c.Origin, 64))
	}
	return c, nil
}

// CheckUpdate checks that next may replace stored, the last checkpoint
// the caller accepted for the same log (both verified, for instance by
// [Policy.Verify]), given a consistency proof from stored.Size to
// next.Size ([Client.Update] fetches one; nil when the sizes are equal or
// stored is empty). A checkpoint of the same size must commit to the same
// state ([Checkpoint.Same]) and not go back in time; a larger one must
// extend stored (the proof verifies) and not lower the sequence. Errors
// wrap [ErrSplitView] (and [ErrInconsistent]), [ErrInconsistent] or
// [ErrMalformedProof].
func (p *Policy) CheckUpdate(stored, next *Checkpoint, proof [][32]byte) error {
	if stored.Origin != p.log.origin || next.Origin != p.log.origin {
		return fmt.Errorf("%w: checkpoint of another log", ErrBadSignature)
	}
	return VerifyConsistency(stored, next, proof)
}

// VerifyConsistency checks that checkpoint next extends old, as
// [Policy.CheckUpdate] does, without checking signatures: call it on
// verified checkpoints only. Errors wrap [ErrSplitView] (and
// [ErrInconsistent]), [ErrInconsistent] or [ErrMalformedProof].
func VerifyConsistency(old, next *Checkpoint, proof [][32]byte) error {
	if old.Origin != next.Origin || old.Kind != next.Kind {
		return fmt.Errorf("%w: another log (origin or kind)", ErrInconsistent)
	}
	if old.Kind == KindRevocation && old.Indexed.Depth != next.Indexed.Depth {
		return fmt.Errorf("%w: indexed tree depth changed from %d to %d", ErrInconsistent, old.Indexed.Depth, next.Indexed.Depth)
	}
	switch {
	case next.Size < old.Size:
		return fmt.Errorf("%w: the log shrank from %d to %d entries", ErrInconsistent, old.Size, next.Size)
	case next.Size == old.Size:
		if !old.Same(next) {
			return fmt.Errorf("%w: %w: size %d", ErrSplitView, ErrInconsistent, next.Size)
		}
		if next.Time.Before(old.Time) {
			return fmt.Errorf("%w: checkpoint time went back from %s to %s", ErrInconsistent, old.Time.Format(time.RFC3339), next.Time.Format(time.RFC3339))
		}
		return nil
	}
	if next.Indexed.Sequence <= old.Indexed.Sequence && next.Kind == KindRevocation {
		return fmt.Errorf("%w: sequence %d after %d", ErrInconsistent, next.Indexed.Sequence, old.Indexed.Sequence)
	}
	if next.Time.Before(old.Time) {
		return fmt.Errorf("%w: checkpoint time went back", ErrInconsistent)
	}
	if old.Size == 0 {
		if len(proof) != 0 {
			return fmt.Errorf("%w: proof from an empty log must be empty", ErrMalformedProof)
		}
		return nil
	}
	if len(proof) > 2*64 {
		return fmt.Errorf("%w: %d hashes", ErrMalformedProof, len(proof))
	}
	tp := make(sumtlog.TreeProof, len(proof))
	for i := range proof {
		tp[i] = sumtlog.Hash(proof[i])
	}
	if err := sumtlog.CheckTree(tp, next.Size, sumtlog.Hash(next.Hash), old.Size, sumtlog.Hash(old.Hash)); err != nil {
		return fmt.Errorf("%w: consistency proof from %d to %d: %v", ErrInconsistent, old.Size, next.Size, err)
	}
	return nil
}
