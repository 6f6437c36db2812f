package verifier

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
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

// resolveCounter counts resolutions (each presentation's check starts
// with its issuer's DID document).
type resolveCounter struct {
	did.Resolver
	n atomic.Int64
}

func (c *resolveCounter) Resolve(ctx context.Context, id string) (*did.Resolution, error) {
	c.n.Add(1)
	return c.Resolver.Resolve(ctx, id)
}

// TestOpenID4VPAttackRepeatedPresentations: a response whose presentation
// counts cannot satisfy the query (one valid presentation repeated for a
// query that takes one, or a query that was not asked) is refused before
// any presentation is checked, so a 64 KiB body cannot buy dozens of
// issuer resolutions and proof verifications.
func TestOpenID4VPAttackRepeatedPresentations(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	alice := o.held(t, secret, aliceData)
	cr := &resolveCounter{Resolver: o.resolver}
	v := o.newVerifier(t, cr)
	ar, err := v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: voteQuery(t, o.agency.did),
		ResponseMode: openid4vp.ResponseModeDirectPost})
	if err != nil {
		t.Fatal(err)
	}
	p := presentVP(t, alice, ar.RequestObject, "pid")
	cr.n.Store(0)
	for name, vp := range map[string]map[string][]json.RawMessage{
		"repeated":  {"pid": {p, p, p, p}},
		"not asked": {"pid": {p}, "zz": {p}},
	} {
		_, err := v.VerifyResponse(ctx, &openid4vp.Response{VPToken: vp, State: ar.ID}, false)
		if !errors.Is(err, ErrUnsatisfiedQuery) {
			t.Errorf("%s: %v, want ErrUnsatisfiedQuery", name, err)
		}
	}
	if n := cr.n.Load(); n != 0 {
		t.Errorf("%d DID resolutions for responses that could not satisfy the query, want 0", n)
	}
	// The request is still open: the honest response is accepted.
	if _, err := v.VerifyResponse(ctx, &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {p}}, State: ar.ID}, false); err != nil {
		t.Fatalf("the honest response: %v", err)
	}
}

// TestCheckpointAttackOtherKindOrIssuer: the checkpoint a holder carries
// must be the revocation checkpoint of the credential's issuer: the same
// issuer's keys-log checkpoint (same signing key, same witnesses), or
// another issuer's revocation checkpoint, is refused.
func TestCheckpointAttackOtherKindOrIssuer(t *testing.T) {
	e := newLogEnv(t, 1)
	good := e.revoke(t, 3)
	kw := e.addKeysLog(t)
	v := e.verifier(t, newBolt(t), 1)
	if _, err := e.accept(v, good.Note); err != nil {
		t.Fatalf("the issuer's revocation checkpoint: %v", err)
	}
	if _, err := e.accept(v, kw.Checkpoint().Note); !errors.Is(err, ErrUnwitnessed) {
		t.Errorf("the issuer's keys-log checkpoint as a revocation checkpoint: %v, want ErrUnwitnessed", err)
	}
	other := newLogEnv(t, 1)
	cp := other.revoke(t, 5)
	// The verifier trusts the other issuer's witness too: only the origin
	// and the log key tell the logs apart.
	v.cfg.Log.Witnesses = append(v.cfg.Log.Witnesses, other.wits[0].Key())
	if _, err := e.accept(v, cp.Note); !errors.Is(err, ErrUnwitnessed) {
		t.Errorf("another issuer's revocation checkpoint: %v, want ErrUnwitnessed", err)
	}
}
