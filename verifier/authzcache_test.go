package verifier

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// ageQuery asks for one credential of agency proving an age of at least
// years, disclosing voterEligible, with a nullifier scope unless scope is
// empty.
func ageQuery(t testing.TB, agency string, years int, scope string) *dcql.Query {
	t.Helper()
	sc := ""
	if scope != "" {
		sc = fmt.Sprintf(`,"zkcred_nullifier_scope":%q`, scope)
	}
	q, err := dcql.Parse(fmt.Appendf(nil, `{"credentials":[{"id":"pid","format":"zkcred_zkp",
		"meta":{"zkcred_profile":"zkcred-dcql-predicates-v1",
			"zkcred_schema":{"name":%q,"version":1,"id":%q},
			"zkcred_max_root_age":3600%s},
		"trusted_authorities":[{"type":"zkcred_did","values":[%q]}],
		"claims":[
			{"path":["credentialSubject","birthDate"],"zkcred_predicate":{"op":"ageAtLeast","years":%d}},
			{"path":["credentialSubject","voterEligible"]}]}]}`,
		credential.PersonSchemaName, protocol.FieldHex(testSchema().ID()), sc, agency, years))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestCompileCacheOpenID4VP: NewAuthorizationRequest fills the compile
// cache with the request's compilation, keyed by its signed body. Request
// Objects that differ from it in one predicate operand, the nonce, the
// client_id (the proofs' audience) or the transaction data are other
// entries with other statements, never the first one's. An evicted entry
// is recompiled to the same statements.
func TestCompileCacheOpenID4VP(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	ar, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: ageQuery(t, o.agency.did, 18, "")})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := o.store.GetRequest(ctx, ar.ID)
	if err != nil {
		t.Fatal(err)
	}
	key := sha256.Sum256(stored.Body)
	cached, ok := o.v.hot.compiled.get(key)
	if !ok || cached.authz == nil || cached.own != nil {
		t.Fatal("NewAuthorizationRequest did not cache the request's compilation")
	}
	base, err := o.v.authz(stored)
	if err != nil || base != cached.authz {
		t.Fatalf("a hit returned another compilation (%v)", err)
	}
	if len(base.alts) != 1 || len(base.alts[0]) != 1 || base.alts[0][0].err != nil {
		t.Fatalf("compiled %+v", base.alts)
	}
	ik, root := o.agency.zk.Public(), o.agency.tree.Root()
	baseAlt := base.alts[0][0]
	baseSt := baseAlt.c.Statement(ik, root)

	// One change at a time, everything else (iat, exp, response_uri,
	// signing key) as issued.
	nonce := make([]byte, protocol.NonceSize)
	rand.Read(nonce)
	otherNonce := base64.RawURLEncoding.EncodeToString(nonce)
	td, err := ballot("07").Encode()
	if err != nil {
		t.Fatal(err)
	}
	variants := []struct {
		name  string
		kid   string
		edit  func(ro *openid4vp.RequestObject)
		preds bool // the predicates' operands differ too
	}{
		{"operand", verifierDID + "#key-1", func(ro *openid4vp.RequestObject) { ro.DCQLQuery = ageQuery(t, o.agency.did, 21, "") }, true},
		{"nonce", verifierDID + "#key-1", func(ro *openid4vp.RequestObject) { ro.Nonce, ro.State = otherNonce, otherNonce }, false},
		{"audience", "did:web:other.example#key-1", func(ro *openid4vp.RequestObject) {
			ro.ClientID = openid4vp.PrefixDecentralizedIdentifier + "did:web:other.example"
		}, false},
		{"transaction data", verifierDID + "#key-1", func(ro *openid4vp.RequestObject) { ro.TransactionData = []string{td} }, false},
	}
	for i, tc := range variants {
		ro := *base.ro
		tc.edit(&ro)
		jwt, err := openid4vp.SignRequestObject(&ro, o.sigKey, tc.kid, false)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		a, err := o.v.authz(&StoredRequest{ID: ro.State, Body: []byte(jwt)})
		if err != nil || a == base || a.alts[0][0].err != nil {
			t.Fatalf("%s: %v, shared %v", tc.name, err, a == base)
		}
		if got := o.v.hot.compiled.len(); got != 2+i {
			t.Fatalf("%s: %d cache entries, want %d", tc.name, got, 2+i)
		}
		st := a.alts[0][0].c.Statement(ik, root)
		if st.RequestHash == baseSt.RequestHash {
			t.Errorf("%s: same request hash as the issued request", tc.name)
		}
		if samePreds := reflect.DeepEqual(st.Predicates, baseSt.Predicates); samePreds == tc.preds {
			t.Errorf("%s: predicates equal: %v", tc.name, samePreds)
		}
	}
	if a, _ := o.v.authz(stored); a != base || !reflect.DeepEqual(base.alts[0][0].c.Statement(ik, root), baseSt) {
		t.Fatal("the issued request's entry changed")
	}

	// Evicted, then recompiled from the stored body: the same statements.
	o.v.hot.compiled.remove(key)
	again, err := o.v.authz(stored)
	if err != nil || again == base {
		t.Fatalf("not recompiled: %v", err)
	}
	if !reflect.DeepEqual(again.query, base.query) || !reflect.DeepEqual(again.alts[0][0].req, baseAlt.req) ||
		!reflect.DeepEqual(again.alts[0][0].c.Statement(ik, root), baseSt) {
		t.Fatal("recompiled entry differs")
	}
}

// TestCompileCacheOpenID4VPNotShared: with both requests' compilations
// cached, a proof for one is refused for the other; the accepted result's
// predicates are the caller's own (changing them leaves the cache as it
// was).
func TestCompileCacheOpenID4VPNotShared(t *testing.T) {
	o := newOIDEnv(t)
	ctx := t.Context()
	q := func() *dcql.Query { return ageQuery(t, o.agency.did, 18, "ballot-2027") }
	ar1, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: q()})
	if err != nil {
		t.Fatal(err)
	}
	ar2, err := o.v.NewAuthorizationRequest(ctx, AuthorizationRequestOptions{DCQL: q()})
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := credential.GenerateHolderSecret(rand.Reader)
	vp := presentVP(t, o.held(t, secret, aliceData), ar1.RequestObject, "pid")
	resp := func(state string) *openid4vp.Response {
		return &openid4vp.Response{VPToken: map[string][]json.RawMessage{"pid": {vp}}, State: state}
	}
	if _, err := o.v.VerifyResponse(ctx, resp(ar2.ID), true); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("proof for request 1 answering request 2: %v, want ErrInvalidProof", err)
	}
	res, err := o.v.VerifyResponse(ctx, resp(ar1.ID), true)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := o.store.GetRequest(ctx, ar1.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := o.v.authz(stored)
	if err != nil {
		t.Fatal(err)
	}
	cachedYears := a.alts[0][0].req.Predicates[0].Years
	p := res.Presentations["pid"][0].Predicates
	if p[0].Years == nil || *p[0].Years != 18 || p[0].Years == cachedYears {
		t.Fatalf("result predicates %+v share the cached request's", p)
	}
	*p[0].Years = 99
	p[0].Attribute = "x"
	if *cachedYears != 18 || a.alts[0][0].req.Predicates[0].Attribute != "birthDate" {
		t.Fatal("a caller's change reached the cached request")
	}
}
