package status

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Snapshot is what a revocation registry publishes so that holders compute
// their own non-membership witnesses: the revoked ids in leaf order, with the
// depth, the registry's sequence number and the root they must produce.
// Check Root against a signed root ([VerifySignedRoot]) before trusting it.
//
// # Wire format, version 1
//
// All integers are big-endian:
//
//	offset  size      field
//	0       8         magic "zkcrrev" followed by version byte 0x01
//	8       1         depth, 1..64
//	9       8         sequence
//	17      8         count n, at most 2^depth - 1
//	25      32        root: a canonical BN254 scalar field element
//	57      8·n       the revoked ids in leaf order (leaf 1 first), each in [1, 2^64-2]
//
// Nothing may follow the last id. The ids are in insertion order, not
// sorted, because an indexed tree's root depends on that order. Parsing is
// strict: a wrong magic or version, a depth out of range, a non-canonical
// root, an id out of range, a count above the reader's limit, truncation or
// trailing data are errors wrapping [ErrInvalidSnapshot]; memory grows with
// the bytes actually read, never with the claimed count. [Snapshot.Tree]
// additionally rejects repeated ids and a root that the ids do not produce.
type Snapshot struct {
	Depth    int
	Sequence uint64
	Root     fr.Element
	IDs      []uint64
}

const (
	snapshotMagic     = "zkcrrev\x01"
	snapshotHeaderLen = 57
)

// DefaultMaxSnapshotIDs bounds the ids [ParseSnapshot] accepts: 2^25
// (268 MB of ids), twice the capacity of a [DefaultDepth] tree.
const DefaultMaxSnapshotIDs = 1 << 25

// MarshalBinary encodes s in the version 1 format. It fails, wrapping
// [ErrInvalidSnapshot], if s could not be parsed back.
func (s *Snapshot) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(snapshotHeaderLen + 8*len(s.IDs))
	if _, err := s.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteTo writes s in the version 1 format to w.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	if s.Depth < 1 || s.Depth > MaxDepth {
		return 0, fmt.Errorf("%w: depth %d", ErrInvalidSnapshot, s.Depth)
	}
	if s.Depth < 64 && uint64(len(s.IDs)) >= uint64(1)<<uint(s.Depth) {
		return 0, fmt.Errorf("%w: %d ids do not fit depth %d", ErrInvalidSnapshot, len(s.IDs), s.Depth)
	}
	for i, id := range s.IDs {
		if err := checkRevocationID(id); err != nil {
			return 0, fmt.Errorf("%w: id %d: %w", ErrInvalidSnapshot, i, err)
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var hdr [snapshotHeaderLen]byte
	copy(hdr[:8], snapshotMagic)
	hdr[8] = byte(s.Depth)
	binary.BigEndian.PutUint64(hdr[9:], s.Sequence)
	binary.BigEndian.PutUint64(hdr[17:], uint64(len(s.IDs)))
	root := s.Root.Bytes()
	copy(hdr[25:], root[:])
	n, err := bw.Write(hdr[:])
	written := int64(n)
	if err != nil {
		return written, err
	}
	var b [8]byte
	for _, id := range s.IDs {
		binary.BigEndian.PutUint64(b[:], id)
		n, err := bw.Write(b[:])
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
	return written, bw.Flush()
}

// ParseSnapshot decodes a version 1 snapshot of at most
// [DefaultMaxSnapshotIDs] ids.
func ParseSnapshot(b []byte) (*Snapshot, error) {
	return ReadSnapshot(bytes.NewReader(b), DefaultMaxSnapshotIDs)
}

// ReadSnapshot decodes a version 1 snapshot from r, reading exactly the
// snapshot and then requiring EOF. A count above maxIDs is an error.
func ReadSnapshot(r io.Reader, maxIDs int) (*Snapshot, error) {
	var hdr [snapshotHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrInvalidSnapshot, err)
	}
	if string(hdr[:8]) != snapshotMagic {
		return nil, fmt.Errorf("%w: bad magic or unsupported version", ErrInvalidSnapshot)
	}
	s := &Snapshot{
		Depth:    int(hdr[8]),
		Sequence: binary.BigEndian.Uint64(hdr[9:]),
	}
	if s.Depth < 1 || s.Depth > MaxDepth {
		return nil, fmt.Errorf("%w: depth %d", ErrInvalidSnapshot, s.Depth)
	}
	count := binary.BigEndian.Uint64(hdr[17:])
	if s.Depth < 64 && count >= uint64(1)<<uint(s.Depth) {
		return nil, fmt.Errorf("%w: %d ids do not fit depth %d", ErrInvalidSnapshot, count, s.Depth)
	}
	if maxIDs < 0 || count > uint64(maxIDs) {
		return nil, fmt.Errorf("%w: %d ids exceed the limit %d", ErrInvalidSnapshot, count, maxIDs)
	}
	if err := s.Root.SetBytesCanonical(hdr[25:57]); err != nil {
		return nil, fmt.Errorf("%w: root: %v", ErrInvalidSnapshot, err)
	}
	// Read in bounded chunks so a lying count costs only what was sent.
	const chunk = 1 << 16
	s.IDs = make([]uint64, 0, min(count, chunk))
	buf := make([]byte, 8*min(count, chunk))
	for remaining := count; remaining > 0; {
		k := min(remaining, chunk)
		if _, err := io.ReadFull(r, buf[:8*k]); err != nil {
			return nil, fmt.Errorf("%w: ids: %v", ErrInvalidSnapshot, err)
		}
		for i := uint64(0); i < k; i++ {
			id := binary.BigEndian.Uint64(buf[8*i:])
			if err := checkRevocationID(id); err != nil {
				return nil, fmt.Errorf("%w: id %d: %w", ErrInvalidSnapshot, len(s.IDs), err)
			}
			s.IDs = append(s.IDs, id)
		}
		remaining -= k
	}
	var one [1]byte
	switch _, err := io.ReadFull(r, one[:]); {
	case err == nil:
		return nil, fmt.Errorf("%w: trailing data", ErrInvalidSnapshot)
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: %v", ErrInvalidSnapshot, err)
	}
	return s, nil
}

// Tree rebuilds the revocation tree from the snapshot (in parallel) and
// checks that it has the snapshot's root. Errors wrap [ErrInvalidSnapshot].
func (s *Snapshot) Tree() (*Tree, error) {
	vals := make([]fr.Element, len(s.IDs))
	for i, id := range s.IDs {
		vals[i].SetUint64(id)
	}
	t, err := buildTree(s.Depth, revocationMax, false, vals)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSnapshot, err)
	}
	if r := t.Root(); !r.Equal(&s.Root) {
		return nil, fmt.Errorf("%w: ids do not produce the stated root", ErrInvalidSnapshot)
	}
	return t, nil
}

// NonRevocationWitness returns the witness that revocation id is not in the
// revocation tree t. It returns an error wrapping [ErrRevoked] if it is, and
// [ErrOutOfRange] if id is not in [1, 2^64-2].
func NonRevocationWitness(t *Tree, id uint64) (*Witness, error) {
	if err := checkRevocationID(id); err != nil {
		return nil, err
	}
	var v fr.Element
	v.SetUint64(id)
	w, err := t.NonMembership(v)
	if errors.Is(err, ErrPresent) {
		return nil, fmt.Errorf("%w: id %d has no non-membership witness", ErrRevoked, id)
	}
	return w, err
}

func u64(v uint64) fr.Element {
	var e fr.Element
	e.SetUint64(v)
	return e
}

// checkRevocationID checks id is in [1, 2^64-2].
func checkRevocationID(id uint64) error {
	if id == 0 || id == ^uint64(0) {
		return fmt.Errorf("%w: revocation id %d not in [1, 2^64-2]", ErrOutOfRange, id)
	}
	return nil
}

// Update brings t, a revocation tree the holder rebuilt from an earlier
// snapshot, up to s: revocation trees only ever append, so t's ids must be
// a prefix of s.IDs, and only the new ids are inserted (O(depth) hashes
// each instead of rebuilding). It checks the resulting root against s.Root.
// Errors wrap [ErrInvalidSnapshot]; after an error other than a depth or
// prefix mismatch t is left partially updated and must be rebuilt with
// [Snapshot.Tree].
func (s *Snapshot) Update(t *Tree) error {
	if t.set || t.depth != s.Depth || !t.max.Equal(&revocationMax) {
		return fmt.Errorf("%w: tree is not a depth-%d revocation tree", ErrInvalidSnapshot, s.Depth)
	}
	have := t.Len()
	if len(s.IDs) < have {
		return fmt.Errorf("%w: snapshot has %d ids, tree %d (rollback)", ErrInvalidSnapshot, len(s.IDs), have)
	}
	for i := 0; i < have; i++ {
		if v := u64(s.IDs[i]); !v.Equal(&t.values[i+1]) {
			return fmt.Errorf("%w: id %d differs from the tree's", ErrInvalidSnapshot, i)
		}
	}
	for i, id := range s.IDs[have:] {
		if err := checkRevocationID(id); err != nil {
			return fmt.Errorf("%w: id %d: %w", ErrInvalidSnapshot, have+i, err)
		}
		if err := t.Insert(u64(id)); err != nil {
			return fmt.Errorf("%w: id %d: %w", ErrInvalidSnapshot, have+i, err)
		}
	}
	if r := t.Root(); !r.Equal(&s.Root) {
		return fmt.Errorf("%w: ids do not produce the stated root", ErrInvalidSnapshot)
	}
	return nil
}
