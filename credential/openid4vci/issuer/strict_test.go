package issuer

import (
	"errors"
	"testing"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

func TestParseCredentialRequestRejects(t *testing.T) {
	for name, c := range map[string]struct {
		ct, body string
		want     error
	}{
		"not JSON content type": {"text/plain", `{}`, openid4vci.ErrInvalidCredentialRequest},
		"draft format":          {"application/json", `{"format":"zkcred_vc+jwt","proof":{"proof_type":"jwt","jwt":"a.b.c"}}`, openid4vci.ErrUnsupportedFormat},
		"singular proof":        {"application/json", `{"credential_configuration_id":"x","proof":{"proof_type":"jwt","jwt":"a.b.c"}}`, openid4vci.ErrInvalidCredentialRequest},
		"two proofs":            {"application/json", `{"credential_configuration_id":"x","proofs":{"jwt":["a.b.c","a.b.c"]}}`, openid4vci.ErrInvalidCredentialRequest},
		"other proof type":      {"application/json", `{"credential_configuration_id":"x","proofs":{"di_vp":[{}]}}`, openid4vci.ErrInvalidCredentialRequest},
		"duplicate member":      {"application/json", `{"credential_configuration_id":"x","credential_configuration_id":"y","proofs":{"jwt":["a.b.c"]}}`, openid4vci.ErrInvalidCredentialRequest},
		"escaped duplicate":     {"application/json", `{"credential_configuration_id":"x","credential_configuration_\u0069d":"y","proofs":{"jwt":["a.b.c"]}}`, openid4vci.ErrInvalidCredentialRequest},
		"response encryption":   {"application/json", `{"credential_configuration_id":"x","proofs":{"jwt":["a.b.c"]},"credential_response_encryption":{}}`, openid4vci.ErrInvalidCredentialRequest},
		"no configuration":      {"application/json", `{"proofs":{"jwt":["a.b.c"]}}`, openid4vci.ErrInvalidCredentialRequest},
		"trailing data":         {"application/json", `{"credential_configuration_id":"x","proofs":{"jwt":["a.b.c"]}} {}`, openid4vci.ErrInvalidCredentialRequest},
	} {
		if _, err := parseCredentialRequest(c.ct, []byte(c.body)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if _, err := parseCredentialRequest("application/json; charset=utf-8", []byte(`{"credential_configuration_id":"x","proofs":{"jwt":["a.b.c"]}}`)); err != nil {
		t.Errorf("valid request: %v", err)
	}
}
