package tlog

import (
	"encoding/binary"
	"fmt"

	"github.com/zkcred/zkcred/did"
)

// Entry formats, version 1 (FORMAT.md).
const (
	// RevocationEntrySize is the size of a revocation log entry: the
	// revoked id, 8 bytes big-endian, in [1, 2^64-2].
	RevocationEntrySize = 8
	// MaxDocumentEntrySize bounds a keys log entry, a DID document's
	// JSON bytes.
	MaxDocumentEntrySize = 16 << 10
)

// RevocationEntry encodes a revoked id as a revocation log entry. Errors
// wrap [ErrMalformedEntry] for 0 or 2^64-1 (the indexed tree's sentinel
// and max).
func RevocationEntry(id uint64) ([]byte, error) {
	if id == 0 || id == ^uint64(0) {
		return nil, fmt.Errorf("%w: revocation id %d out of [1, 2^64-2]", ErrMalformedEntry, id)
	}
	return binary.BigEndian.AppendUint64(nil, id), nil
}

// ParseRevocationEntry decodes a revocation log entry. Errors wrap
// [ErrMalformedEntry].
func ParseRevocationEntry(e []byte) (uint64, error) {
	if len(e) != RevocationEntrySize {
		return 0, fmt.Errorf("%w: revocation entry of %d bytes, want 8", ErrMalformedEntry, len(e))
	}
	id := binary.BigEndian.Uint64(e)
	if id == 0 || id == ^uint64(0) {
		return 0, fmt.Errorf("%w: revocation id %d out of [1, 2^64-2]", ErrMalformedEntry, id)
	}
	return id, nil
}

// ParseDocumentEntry decodes a keys log entry: a DID document of at most
// [MaxDocumentEntrySize] bytes that [did.ParseDocument] accepts. Errors
// wrap [ErrMalformedEntry].
func ParseDocumentEntry(e []byte) (*did.Document, error) {
	if len(e) == 0 || len(e) > MaxDocumentEntrySize {
		return nil, fmt.Errorf("%w: DID document entry of %d bytes (1 to %d)", ErrMalformedEntry, len(e), MaxDocumentEntrySize)
	}
	d, err := did.ParseDocument(e)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEntry, err)
	}
	return d, nil
}
