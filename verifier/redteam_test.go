package verifier

import (
	"errors"
	"testing"

	"github.com/zkcred/zkcred/verifier/protocol"
)

// TestOpenID4VPAttackVPTokenSplice: a direct_post vp_token is one JSON
// object, not JSON text spliced into the response: a vp_token that closes
// its object and adds members ("state", or anything after it) is refused,
// not read as the response's state.
func TestOpenID4VPAttackVPTokenSplice(t *testing.T) {
	v := &Verifier{}
	for _, vp := range []string{
		`{"q":["x"]},"state":"AAAAAAAAAAAAAAAAAAAAAA"`,
		`{"q":["x"]} ,"state":"s"`,
		`{"q":["x"]}}`,
		`"x"`,
		` {"q":["x"]}`,
	} {
		_, _, err := v.parseFormResponse(map[string][]string{"vp_token": {vp}})
		if !errors.Is(err, protocol.ErrMalformedPresentation) {
			t.Errorf("vp_token %s: err %v, want ErrMalformedPresentation", vp, err)
		}
	}
	resp, _, err := v.parseFormResponse(map[string][]string{"vp_token": {`{"q":["x"]}`}, "state": {"s"}})
	if err != nil || resp.State != "s" || len(resp.VPToken["q"]) != 1 {
		t.Fatalf("a well-formed response: %+v, %v", resp, err)
	}
}
