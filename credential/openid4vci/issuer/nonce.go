package issuer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

// c_nonces are stateless until used: base64url of
// expiry (8 bytes, Unix seconds) ‖ 16 random bytes ‖ the first 16 bytes of
// HMAC-SHA256(key, "zkcred-c-nonce-v1" ‖ expiry ‖ random). The issuer
// stores a nonce only when a proof uses it, until it expires.
const nonceSize = 8 + 16 + 16

func newNonce(key []byte, r io.Reader, expires time.Time) (string, error) {
	var b [nonceSize]byte
	binary.BigEndian.PutUint64(b[:8], uint64(expires.Unix()))
	if _, err := io.ReadFull(r, b[8:24]); err != nil {
		return "", fmt.Errorf("%w: randomness: %w", openid4vci.ErrStore, err)
	}
	copy(b[24:], nonceMAC(key, b[:24]))
	return b64.EncodeToString(b[:]), nil
}

func nonceMAC(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("zkcred-c-nonce-v1"))
	m.Write(body)
	return m.Sum(nil)[:16]
}

// checkNonce checks a nonce's MAC and expiry; errors wrap openid4vci.ErrInvalidNonce.
func checkNonce(key []byte, nonce string, now time.Time) (time.Time, error) {
	b, err := b64.DecodeString(nonce)
	if err != nil || len(b) != nonceSize || !hmac.Equal(b[24:], nonceMAC(key, b[:24])) {
		return time.Time{}, fmt.Errorf("%w: not a c_nonce of this issuer", openid4vci.ErrInvalidNonce)
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	if !now.Before(exp) {
		return time.Time{}, fmt.Errorf("%w: %w: c_nonce expired", openid4vci.ErrInvalidNonce, openid4vci.ErrExpired)
	}
	return exp, nil
}
