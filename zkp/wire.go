package zkp

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// reader parses gnark/gnark-crypto encodings at fixed offsets, so that no
// gnark decoder ever chooses a layout from bytes zkcred has not checked.
//
// gnark-crypto's decoder reads each point compressed or uncompressed as
// the two top bits of its first byte say (00: uncompressed, 64 or 128
// bytes; 01 infinity, 10 and 11: compressed), and allocates whatever a
// length header says. reader only accepts compressed points (G1 32 bytes,
// G2 64), so every later offset is where zkcred computed it, and checks
// every header against what the caller expects before anything is
// allocated for it. Every error it returns wraps err, the caller's
// sentinel.
type reader struct {
	b   []byte
	off int
	err error // sentinel wrapped by every error
}

func newReader(b []byte, sentinel error) *reader { return &reader{b: b, err: sentinel} }

func (r *reader) fail(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{r.err}, args...)...)
}

// take returns the next n bytes.
func (r *reader) take(n int, what string) ([]byte, error) {
	if n < 0 || len(r.b)-r.off < n {
		return nil, r.fail("%s: truncated at byte %d", what, r.off)
	}
	out := r.b[r.off : r.off+n]
	r.off += n
	return out, nil
}

func (r *reader) u32(what string) (uint32, error) {
	b, err := r.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b), nil
}

func (r *reader) u64(what string) (uint64, error) {
	b, err := r.take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

// header reads a u32 length header that must equal want.
func (r *reader) header(want int, what string) error {
	n, err := r.u32(what)
	if err != nil {
		return err
	}
	if uint64(n) != uint64(want) {
		return r.fail("%s: length header %d, want %d", what, n, want)
	}
	return nil
}

// compressed checks the flag of the point at the current offset and skips
// size bytes: the point must be flagged compressed (or compressed
// infinity).
func (r *reader) compressed(size int, what string) ([]byte, error) {
	if r.off < len(r.b) && isUncompressed(r.b[r.off]) {
		return nil, r.fail("%s: point at byte %d is not compressed", what, r.off)
	}
	return r.take(size, what)
}

// isUncompressed reports whether gnark-crypto reads a point starting with
// msb as uncompressed (top two bits 00).
func isUncompressed(msb byte) bool { return msb>>6 == 0 }

func (r *reader) g1(p *bn254.G1Affine, what string) error {
	b, err := r.compressed(bn254.SizeOfG1AffineCompressed, what)
	if err != nil {
		return err
	}
	if _, err := p.SetBytes(b); err != nil {
		return r.fail("%s: %v", what, err)
	}
	if again := p.Bytes(); !bytes.Equal(again[:], b) {
		return r.fail("%s: non-canonical point encoding", what)
	}
	return nil
}

// g2 decodes a compressed G2 point; SetBytes checks the curve and the
// prime-order subgroup.
func (r *reader) g2(p *bn254.G2Affine, what string) error {
	b, err := r.compressed(bn254.SizeOfG2AffineCompressed, what)
	if err != nil {
		return err
	}
	if _, err := p.SetBytes(b); err != nil {
		return r.fail("%s: %v", what, err)
	}
	if again := p.Bytes(); !bytes.Equal(again[:], b) {
		return r.fail("%s: non-canonical point encoding", what)
	}
	return nil
}

func (r *reader) fr(e *fr.Element, what string) error {
	b, err := r.take(fr.Bytes, what)
	if err != nil {
		return err
	}
	if err := e.SetBytesCanonical(b); err != nil {
		return r.fail("%s: %v", what, err)
	}
	return nil
}

// skipG1s checks the flags of n compressed G1 points and skips them,
// without decoding (a gnark decoder decodes them afterwards, in parallel).
func (r *reader) skipG1s(n int, what string) error {
	if n < 0 || (len(r.b)-r.off)/bn254.SizeOfG1AffineCompressed < n {
		return r.fail("%s: %d points do not fit in the %d bytes left", what, n, len(r.b)-r.off)
	}
	for i := 0; i < n; i++ {
		if _, err := r.compressed(bn254.SizeOfG1AffineCompressed, what); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) skipG2s(n int, what string) error {
	if n < 0 || (len(r.b)-r.off)/bn254.SizeOfG2AffineCompressed < n {
		return r.fail("%s: %d points do not fit in the %d bytes left", what, n, len(r.b)-r.off)
	}
	for i := 0; i < n; i++ {
		if _, err := r.compressed(bn254.SizeOfG2AffineCompressed, what); err != nil {
			return err
		}
	}
	return nil
}

// end checks that everything was read.
func (r *reader) end(what string) error {
	if r.off != len(r.b) {
		return r.fail("%s: %d bytes of trailing data", what, len(r.b)-r.off)
	}
	return nil
}
