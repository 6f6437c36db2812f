// Package gnarkwire parses gnark and gnark-crypto binary encodings (BN254
// points, field elements, length headers) at offsets zkcred computes, so
// that no gnark decoder chooses a layout from unchecked bytes. Package zkp
// uses it for verifying keys, proving keys, proofs, SRS files and
// ceremony contributions; nothing here is API.
package gnarkwire

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Reader parses gnark/gnark-crypto encodings at fixed offsets, so that no
// gnark decoder ever chooses a layout from bytes zkcred has not checked.
//
// gnark-crypto's decoder reads each point compressed or uncompressed as
// the two top bits of its first byte say (00: uncompressed, 64 or 128
// bytes; 01 infinity, 10 and 11: compressed), and allocates whatever a
// length header says. Reader only accepts compressed points (G1 32 bytes,
// G2 64), so every later offset is where zkcred computed it, and checks
// every header against what the caller expects before anything is
// allocated for it. Every error it returns wraps err, the caller's
// sentinel.
type Reader struct {
	b   []byte
	off int
	err error // sentinel wrapped by every error
}

// NewReader returns a Reader of b whose errors wrap sentinel.
func NewReader(b []byte, sentinel error) *Reader { return &Reader{b: b, err: sentinel} }

func (r *Reader) Fail(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{r.err}, args...)...)
}

// Take returns the next n bytes.
func (r *Reader) Take(n int, what string) ([]byte, error) {
	if n < 0 || len(r.b)-r.off < n {
		return nil, r.Fail("%s: truncated at byte %d", what, r.off)
	}
	out := r.b[r.off : r.off+n]
	r.off += n
	return out, nil
}

func (r *Reader) U32(what string) (uint32, error) {
	b, err := r.Take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b), nil
}

func (r *Reader) U64(what string) (uint64, error) {
	b, err := r.Take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b), nil
}

// Header reads a u32 length header that must equal want.
func (r *Reader) Header(want int, what string) error {
	n, err := r.U32(what)
	if err != nil {
		return err
	}
	if uint64(n) != uint64(want) {
		return r.Fail("%s: length header %d, want %d", what, n, want)
	}
	return nil
}

// Compressed checks the flag of the point at the current offset and skips
// size bytes: the point must be flagged compressed (or compressed
// infinity).
func (r *Reader) Compressed(size int, what string) ([]byte, error) {
	if r.off < len(r.b) && isUncompressed(r.b[r.off]) {
		return nil, r.Fail("%s: point at byte %d is not compressed", what, r.off)
	}
	return r.Take(size, what)
}

// isUncompressed reports whether gnark-crypto reads a point starting with
// msb as uncompressed (top two bits 00).
func isUncompressed(msb byte) bool { return msb>>6 == 0 }

// G1 decodes a compressed G1 point: on the curve (the whole curve is the
// prime-order group), canonical encoding.
func (r *Reader) G1(p *bn254.G1Affine, what string) error {
	b, err := r.Compressed(bn254.SizeOfG1AffineCompressed, what)
	if err != nil {
		return err
	}
	return decodePoint(g1Codec{p}, b, what, r.err)
}

// G2 decodes a compressed G2 point; SetBytes checks the curve and the
// prime-order subgroup.
func (r *Reader) G2(p *bn254.G2Affine, what string) error {
	b, err := r.Compressed(bn254.SizeOfG2AffineCompressed, what)
	if err != nil {
		return err
	}
	return decodePoint(g2Codec{p}, b, what, r.err)
}

// codec is a G1 or G2 point as gnark-crypto decodes and re-encodes it.
type codec interface {
	SetBytes(b []byte) (int, error)
	encoded() []byte
}

type g1Codec struct{ *bn254.G1Affine }

func (c g1Codec) encoded() []byte { b := c.Bytes(); return b[:] }

type g2Codec struct{ *bn254.G2Affine }

func (c g2Codec) encoded() []byte { b := c.Bytes(); return b[:] }

// decodePoint decodes raw into p and requires the canonical encoding;
// errors wrap sentinel.
func decodePoint(p codec, raw []byte, name string, sentinel error) error {
	if _, err := p.SetBytes(raw); err != nil {
		return fmt.Errorf("%w: %s: %v", sentinel, name, err)
	}
	if !bytes.Equal(p.encoded(), raw) {
		return fmt.Errorf("%w: %s: non-canonical point encoding", sentinel, name)
	}
	return nil
}

func (r *Reader) Fr(e *fr.Element, what string) error {
	b, err := r.Take(fr.Bytes, what)
	if err != nil {
		return err
	}
	if err := e.SetBytesCanonical(b); err != nil {
		return r.Fail("%s: %v", what, err)
	}
	return nil
}

// SkipG1s checks the flags of n compressed G1 points and skips them,
// without decoding (a gnark decoder decodes them afterwards, in parallel).
func (r *Reader) SkipG1s(n int, what string) error {
	return r.skip(n, bn254.SizeOfG1AffineCompressed, what)
}

// SkipG2s is SkipG1s for G2 points.
func (r *Reader) SkipG2s(n int, what string) error {
	return r.skip(n, bn254.SizeOfG2AffineCompressed, what)
}

func (r *Reader) skip(n, size int, what string) error {
	if n < 0 || (len(r.b)-r.off)/size < n {
		return r.Fail("%s: %d points do not fit in the %d bytes left", what, n, len(r.b)-r.off)
	}
	for i := 0; i < n; i++ {
		if _, err := r.Compressed(size, what); err != nil {
			return err
		}
	}
	return nil
}

// End checks that everything was read.
func (r *Reader) End(what string) error {
	if r.off != len(r.b) {
		return r.Fail("%s: %d bytes of trailing data", what, len(r.b)-r.off)
	}
	return nil
}

// DecodeG1 decodes a compressed G1 point into p: on the curve, in the
// prime-order subgroup (SetBytes checks both), canonical encoding. Errors
// wrap sentinel.
func DecodeG1(p *bn254.G1Affine, raw []byte, name string, sentinel error) error {
	return decodePoint(g1Codec{p}, raw, name, sentinel)
}

// DecodeG2 is DecodeG1 for a compressed G2 point.
func DecodeG2(p *bn254.G2Affine, raw []byte, name string, sentinel error) error {
	return decodePoint(g2Codec{p}, raw, name, sentinel)
}
