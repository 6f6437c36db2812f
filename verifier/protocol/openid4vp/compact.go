package openid4vp

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// b64 is strict unpadded base64url: the unused low bits of the last
// character must be zero, so one byte string has one encoding.
var b64 = base64.RawURLEncoding.Strict()

// isB64URL reports whether s holds only base64url alphabet characters (the
// Go decoder skips CR and LF, which a compact serialization must not have).
func isB64URL(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}

// splitCompact checks that token is exactly n '.'-separated segments of
// canonical unpadded base64url, those not in mayBeEmpty non-empty, and
// returns them decoded. go-jose, which decodes segments leniently (a last
// character with non-zero unused bits decodes like the canonical one), then
// sees only canonical input: the rule of credential/internal/jws, for JWS
// (n = 3) and JWE (n = 5).
func splitCompact(token string, n int, mayBeEmpty ...int) ([][]byte, error) {
	parts := strings.Split(token, ".")
	if len(parts) != n {
		return nil, fmt.Errorf("%d segments, want %d", len(parts), n)
	}
	out := make([][]byte, n)
	for i, p := range parts {
		if p == "" {
			ok := false
			for _, j := range mayBeEmpty {
				ok = ok || i == j
			}
			if !ok {
				return nil, fmt.Errorf("empty segment %d", i)
			}
			continue
		}
		if !isB64URL(p) {
			return nil, fmt.Errorf("segment %d is not base64url", i)
		}
		d, err := b64.DecodeString(p)
		if err != nil {
			return nil, fmt.Errorf("segment %d: %v", i, err)
		}
		out[i] = d
	}
	return out, nil
}
