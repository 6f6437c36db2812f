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
		"case-variant member":   {"application/json", `{"credential_configuration_id":"x","Credential_Configuration_Id":"y","proofs":{"jwt":["a.b.c"]}}`, openid4vci.ErrInvalidCredentialRequest},
		"case-variant proofs":   {"application/json", `{"credential_configuration_id":"x","proofs":{"JWT":["a.b.c"]}}`, openid4vci.ErrInvalidCredentialRequest},
		"duplicate proofs":      {"application/json", `{"credential_configuration_id":"x","proofs":{"jwt":["a.b.c"]},"proofs":{"jwt":["d.e.f"]}}`, openid4vci.ErrInvalidCredentialRequest},
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

func TestParseTokenRequestRejects(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	grant := "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code"
	if r, err := parseTokenRequest(form, []byte(grant+"&pre-authorized_code=abc&tx_code=123456&client_id=w")); err != nil || r.Code != "abc" || r.TxCode != "123456" {
		t.Fatalf("valid request: %+v, %v", r, err)
	}
	for name, body := range map[string]string{
		"repeated code":        grant + "&pre-authorized_code=abc&pre-authorized_code=def",
		"repeated tx_code":     grant + "&pre-authorized_code=abc&tx_code=1&tx_code=2",
		"case-variant code":    grant + "&pre-authorized_code=abc&Pre-Authorized_Code=def",
		"case-variant tx_code": grant + "&pre-authorized_code=abc&TX_CODE=123456",
		"case-variant grant":   grant + "&GRANT_TYPE=authorization_code&pre-authorized_code=abc",
		"only a case variant":  grant + "&Pre-authorized_code=abc",
	} {
		if _, err := parseTokenRequest(form, []byte(body)); !errors.Is(err, openid4vci.ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
