package openid4vp

import (
	"errors"
	"testing"
)

// TestPresentationAttackOtherVersionMember: a vp_token value carries its
// own version's member only; the other version's, even empty, is refused
// (one encoding per presentation, no v1/v2 hybrid).
func TestPresentationAttackOtherVersionMember(t *testing.T) {
	for _, b := range []string{
		`{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":{},"checkpoint":"x","revocation_root":""}`,
		`{"version":"zkcred-vp-zkp-v1","claim_set":0,"submission":{},"revocation_root":"x","checkpoint":""}`,
		`{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":{},"checkpoint":"x","revocation_root":null}`,
	} {
		if _, err := ParsePresentation([]byte(b)); !errors.Is(err, ErrInvalidResponse) {
			t.Errorf("%s: %v, want ErrInvalidResponse", b, err)
		}
	}
	for _, b := range []string{
		`{"version":"zkcred-vp-zkp-v2","claim_set":0,"submission":{},"checkpoint":"x"}`,
		`{"version":"zkcred-vp-zkp-v1","claim_set":0,"submission":{},"revocation_root":"x"}`,
	} {
		if _, err := ParsePresentation([]byte(b)); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
}
