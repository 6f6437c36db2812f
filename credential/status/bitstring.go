package status

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Bitstring Status List v1.0 (W3C Recommendation, 15 May 2025).
//
// A status list is a bitstring of at least MinStatusListBits bits; bit i is
// byte[i/8] >> (7 - i%8) & 1 (index 0 is the left-most bit of byte 0). Its
// encodedList is the multibase base64url-no-pad form ("u" prefix) of the
// GZIP (RFC 1952) compressed bitstring.

const (
	// MinStatusListBits is the minimum list length (§3.2
	// minimumNumberOfEntries): 131,072 bits, 16 KB.
	MinStatusListBits = 131072
	// MaxStatusListBits bounds decompression: 2^27 bits, 16 MiB. A gzip
	// bomb expanding beyond it is an error, not an allocation.
	MaxStatusListBits = 1 << 27
)

// Status-list errors, named after the specification's error codes (§3.5).
var (
	// ErrMalformedList is MALFORMED_VALUE_ERROR: an encodedList that is not
	// "u" + base64url-no-pad of GZIP data, or that expands beyond the bound.
	ErrMalformedList = errors.New("status: malformed encoded status list")
	// ErrListLength is STATUS_LIST_LENGTH_ERROR: fewer than 131,072 bits.
	ErrListLength = errors.New("status: status list shorter than 131072 bits")
	// ErrStatusRetrieval is STATUS_RETRIEVAL_ERROR: the status-list
	// credential could not be fetched.
	ErrStatusRetrieval = errors.New("status: status list retrieval failed")
	// ErrStatusVerification is STATUS_VERIFICATION_ERROR: the status-list
	// credential did not verify or does not match the entry.
	ErrStatusVerification = errors.New("status: status list verification failed")
)

// EncodeList returns the encodedList of bits: "u" + base64url-no-pad of
// GZIP(bits). bits must hold at least [MinStatusListBits] bits.
func EncodeList(bits []byte) (string, error) {
	if len(bits)*8 < MinStatusListBits {
		return "", fmt.Errorf("%w: %d bits", ErrListLength, len(bits)*8)
	}
	if len(bits)*8 > MaxStatusListBits {
		return "", fmt.Errorf("%w: %d bits above the maximum", ErrMalformedList, len(bits)*8)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(bits); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// DecodeList expands an encodedList into its bitstring. It reads at most
// [MaxStatusListBits]/8 bytes of decompressed data: more is an error
// wrapping [ErrMalformedList]; fewer than [MinStatusListBits] bits wraps
// [ErrListLength].
func DecodeList(encoded string) ([]byte, error) {
	if len(encoded) < 2 || encoded[0] != 'u' {
		return nil, fmt.Errorf("%w: missing multibase prefix u", ErrMalformedList)
	}
	// Bound the compressed size too: DEFLATE expands at most ~1032:1, so
	// anything legitimate of MaxStatusListBits fits well below this.
	if len(encoded) > MaxStatusListBits/8 {
		return nil, fmt.Errorf("%w: encoded list too long", ErrMalformedList)
	}
	gz, err := decodeBase64URL(encoded[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: base64url: %v", ErrMalformedList, err)
	}
	// Two passes: measure the expanded size without keeping it, then
	// expand into a buffer of exactly that size. A bomb costs CPU up to the
	// bound, never memory.
	const maxBytes = MaxStatusListBits / 8
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrMalformedList, err)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrMalformedList, err)
	}
	if n > maxBytes {
		return nil, fmt.Errorf("%w: expands beyond %d bytes", ErrMalformedList, maxBytes)
	}
	if n*8 < MinStatusListBits {
		return nil, fmt.Errorf("%w: %d bits", ErrListLength, n*8)
	}
	if err := zr.Reset(bytes.NewReader(gz)); err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrMalformedList, err)
	}
	bits := make([]byte, n)
	if _, err := io.ReadFull(zr, bits); err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrMalformedList, err)
	}
	return bits, nil
}

// ListBit returns bit index of bits, or an error wrapping [ErrOutOfRange]
// (RANGE_ERROR) when the index is beyond the end.
func ListBit(bits []byte, index uint64) (bool, error) {
	if index/8 >= uint64(len(bits)) {
		return false, fmt.Errorf("%w: status list index %d beyond %d bits", ErrOutOfRange, index, len(bits)*8)
	}
	return bits[index/8]>>(7-index%8)&1 == 1, nil
}

// ParseStatusListIndex parses a statusListIndex: base-10 digits without sign,
// leading zeros or spaces, at most 2^64-1. Anything else wraps
// [ErrMalformedList].
func ParseStatusListIndex(s string) (uint64, error) {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: statusListIndex %q", ErrMalformedList, s)
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: statusListIndex %q", ErrMalformedList, s)
		}
		d := uint64(c - '0')
		if v > (^uint64(0)-d)/10 {
			return 0, fmt.Errorf("%w: statusListIndex %q too large", ErrMalformedList, s)
		}
		v = v*10 + d
	}
	return v, nil
}

// FormatStatusListIndex returns the statusListIndex string of index.
func FormatStatusListIndex(index uint64) string { return strconv.FormatUint(index, 10) }

// decodeBase64URL decodes unpadded base64url strictly: encoding/base64
// skips CR and LF even in Strict mode, which would make encodings malleable.
func decodeBase64URL(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64url")
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}
