package zkp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json"
)

// A key bundle is the whole of [Keys] in one stream, for a wallet that
// fetches its keys over HTTP rather than reading a directory (FORMAT.md,
// "Key bundle"):
//
//	"zkcred-keys" 0x00 | u16 meta length | meta JSON |
//	u32 vk length | verifying key (gnark, compressed) |
//	u32 pk length | proving key (gnark, compressed)
//
// The constraint system is not in it: [ReadKeys] recompiles the circuit
// from the shape, as [LoadKeys] does.
const bundleMagic = "zkcred-keys\x00"

// WriteTo writes the keys as a key bundle (FORMAT.md, "Key bundle"), the
// stream [ReadKeys] reads. Nil or zero Keys are an error wrapping
// [ErrInvalidKey].
func (k *Keys) WriteTo(w io.Writer) (int64, error) {
	if err := k.check(); err != nil {
		return 0, err
	}
	vk := k.VerifyingKey
	meta, err := json.Marshal(keyMeta{Format: 1, Circuit: CircuitVersion, Shape: vk.shape, Backend: vk.backend})
	if err != nil {
		return 0, err
	}
	var pk bytes.Buffer
	if k.g16 != nil {
		_, err = k.g16.WriteTo(&pk)
	} else {
		_, err = k.pl.WriteTo(&pk)
	}
	if err != nil {
		return 0, fmt.Errorf("zkp: write keys: %w", err)
	}
	var b []byte
	b = append(b, bundleMagic...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(meta)))
	b = append(b, meta...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(vk.raw)))
	b = append(b, vk.raw...)
	b = binary.BigEndian.AppendUint32(b, uint32(pk.Len()))
	n, err := w.Write(b)
	if err != nil {
		return int64(n), err
	}
	m, err := pk.WriteTo(w)
	return int64(n) + m, err
}

// ReadKeys reads a key bundle written by [Keys.WriteTo] from r, with the
// checks of [LoadKeys]: every length is bounded by what the shape in the
// metadata allows before anything is allocated for it (at most
// maxMetaSize of metadata, the exact verifying key length, the proving
// key size the recompiled circuit allows), the verifying key is parsed as
// in [ParseVerifyingKey], and the proving key's whole layout is walked
// before gnark's checked decoder (subgroup checks included) reads it.
// After the bundle r must be at its end. If want is non-nil, the
// verifying key's fingerprint must equal it ([ErrKeyMismatch]). Errors
// about the contents wrap [ErrInvalidKey]; a read error is returned
// wrapped.
//
// Checking every point of a default-shape proving key takes seconds in a
// browser: a wallet checks once, then keeps the keys in the form of
// [Keys.MarshalCache].
func ReadKeys(r io.Reader, want *Fingerprint) (*Keys, error) {
	read := func(n int, what string) ([]byte, error) {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: key bundle truncated in %s", ErrInvalidKey, what)
			}
			return nil, fmt.Errorf("zkp: read keys: %w", err)
		}
		return b, nil
	}
	hdr, err := read(len(bundleMagic)+2, "header")
	if err != nil {
		return nil, err
	}
	if string(hdr[:len(bundleMagic)]) != bundleMagic {
		return nil, fmt.Errorf("%w: not a key bundle (bad magic)", ErrInvalidKey)
	}
	n := int(binary.BigEndian.Uint16(hdr[len(bundleMagic):]))
	if n > maxMetaSize {
		return nil, fmt.Errorf("%w: key bundle metadata of %d bytes", ErrInvalidKey, n)
	}
	metaB, err := read(n, "metadata")
	if err != nil {
		return nil, err
	}
	m, err := parseMeta(metaB)
	if err != nil {
		return nil, err
	}
	lenB, err := read(4, "verifying key length")
	if err != nil {
		return nil, err
	}
	if l := binary.BigEndian.Uint32(lenB); l != uint32(vkSize(m.Shape, m.Backend)) {
		return nil, fmt.Errorf("%w: verifying key of %d bytes, the shape's has %d", ErrInvalidKey, l, vkSize(m.Shape, m.Backend))
	}
	vkB, err := read(vkSize(m.Shape, m.Backend), "verifying key")
	if err != nil {
		return nil, err
	}
	vk, err := decodeVK(m.Shape, m.Backend, vkB)
	if err != nil {
		return nil, err
	}
	if want != nil && vk.fp != *want {
		return nil, fmt.Errorf("%w: fingerprint %s, want %s", ErrKeyMismatch, vk.fp, want)
	}
	ccs, err := compile(m.Shape, m.Backend)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if lenB, err = read(4, "proving key length"); err != nil {
		return nil, err
	}
	l, max := binary.BigEndian.Uint32(lenB), maxProvingKeySize(vk, ccs)
	if uint64(l) > uint64(max) {
		return nil, fmt.Errorf("%w: proving key of %d bytes, the shape allows %d", ErrInvalidKey, l, max)
	}
	pkB, err := read(int(l), "proving key")
	if err != nil {
		return nil, err
	}
	var one [1]byte
	switch _, err := io.ReadFull(r, one[:]); {
	case err == nil:
		return nil, fmt.Errorf("%w: trailing data after the key bundle", ErrInvalidKey)
	case err != io.EOF:
		return nil, fmt.Errorf("zkp: read keys: %w", err)
	}
	k := &Keys{VerifyingKey: vk, ccs: ccs}
	if err := decodeProvingKey(pkB, vk, ccs, k); err != nil {
		return nil, err
	}
	return k, nil
}
