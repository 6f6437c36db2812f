// Package jws splits a JWS compact serialization (RFC 7515 §7.1) strictly,
// before go-jose sees it, for the VC-JWTs of package credential and the
// signed revocation roots of package credential/status.
//
// go-jose decodes the segments of a compact JWS with a lenient base64url
// decoder: a final character whose unused low bits are not zero decodes to
// the same bytes as the canonical one, so one signature or payload has
// several encodings. [Split] refuses all of them.
package jws

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed is returned by [Split] for a token that is not three
// segments of canonical unpadded base64url.
var ErrMalformed = errors.New("malformed JWS compact serialization")

var b64 = base64.RawURLEncoding.Strict()

// Split checks that token is exactly three '.'-separated segments, each of
// the base64url alphabet only (no padding, no white space) and canonical
// (the unused low bits of the last character are zero, base64 Strict), the
// header and signature non-empty, and returns the decoded segments. The
// caller still verifies the token with go-jose, which then decodes the
// same, now canonical, segments.
func Split(token string) (header, payload, signature []byte, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, nil, fmt.Errorf("%w: %d parts, want 3", ErrMalformed, len(parts))
	}
	var out [3][]byte
	for i, part := range parts {
		if part == "" && i < 2 {
			return nil, nil, nil, fmt.Errorf("%w: empty part %d", ErrMalformed, i)
		}
		if strings.ContainsFunc(part, func(r rune) bool {
			return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) {
			return nil, nil, nil, fmt.Errorf("%w: part %d is not base64url", ErrMalformed, i)
		}
		if out[i], err = b64.DecodeString(part); err != nil {
			return nil, nil, nil, fmt.Errorf("%w: part %d: %v", ErrMalformed, i, err)
		}
	}
	return out[0], out[1], out[2], nil
}
