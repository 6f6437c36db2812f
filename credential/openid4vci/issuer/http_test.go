package issuer

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

func TestMetadataAndHTTP(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	var m map[string]any
	r, err := e.fetch.Get(ctx, e.url+openid4vci.PathIssuerMetadata, "")
	if err != nil || r.StatusCode != 200 {
		t.Fatal(r, err)
	}
	json.Unmarshal(r.Body, &m)
	c := m["credential_configurations_supported"].(map[string]any)[DefaultConfigurationID].(map[string]any)
	if c["format"] != openid4vci.Format || m["nonce_endpoint"] != e.url+openid4vci.PathNonce || m["credential_endpoint"] != e.url+openid4vci.PathCredential {
		t.Fatalf("metadata %s", r.Body)
	}
	cm := c["credential_metadata"].(map[string]any)
	if len(cm["claims"].([]any)) != 7 || c["zkcred_schema"] == nil {
		t.Fatalf("credential_metadata %v", cm)
	}
	r, err = e.fetch.Get(ctx, e.url+openid4vci.PathASMetadata, "")
	if err != nil {
		t.Fatal(err)
	}
	var as map[string]any
	json.Unmarshal(r.Body, &as)
	if as["issuer"] != e.url || as["token_endpoint"] != e.url+openid4vci.PathToken || as["pre-authorized_grant_anonymous_access_supported"] != true {
		t.Fatalf("AS metadata %s", r.Body)
	}
	// Nonce: fresh each time, not cacheable.
	r1, _ := e.fetch.Post(ctx, e.url+openid4vci.PathNonce, "", nil, "")
	r2, _ := e.fetch.Post(ctx, e.url+openid4vci.PathNonce, "", nil, "")
	if string(r1.Body) == string(r2.Body) || r1.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("nonce responses %s %s", r1.Body, r2.Body)
	}
	// The credential endpoint without a token: 401 with WWW-Authenticate.
	r, err = e.fetch.Post(ctx, e.url+openid4vci.PathCredential, "application/json", []byte(`{}`), "")
	if err != nil || r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") ||
		!strings.Contains(string(r.Body), `"error":"invalid_token"`) {
		t.Fatalf("no token: %+v %v", r, err)
	}
	// An oversized body is refused.
	big := make([]byte, maxRequestBody+1)
	r, err = e.fetch.Post(ctx, e.url+openid4vci.PathToken, "application/x-www-form-urlencoded", big, "")
	if err != nil || r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.Body), "invalid_request") {
		t.Fatalf("oversized body: %+v %v", r, err)
	}
	// An unknown offer id is 404.
	r, _ = e.fetch.Get(ctx, e.url+openid4vci.PathOffers+"nope", "")
	if r.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown offer: %d", r.StatusCode)
	}
}

// TestOptionsNotPreflight: an OPTIONS request that is not a CORS preflight
// is refused in JSON with the path's Allow header, and an unserved path
// stays a 404.
func TestOptionsNotPreflight(t *testing.T) {
	h := allowAnyOrigin(http.NotFoundHandler())
	for _, tc := range []struct {
		path  string
		code  int
		allow string
	}{
		{"/credential", 405, "POST"},
		{"/token", 405, "POST"},
		{"/.well-known/openid-credential-issuer", 405, "GET, HEAD"},
		{"/offers/abc", 405, "GET, HEAD"},
		{"/offers/abc/x", 404, ""},
		{"/nope", 404, ""},
	} {
		r := httptest.NewRequest("OPTIONS", tc.path, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.code || w.Header().Get("Allow") != tc.allow {
			t.Errorf("OPTIONS %s: %d Allow %q, want %d %q", tc.path, w.Code, w.Header().Get("Allow"), tc.code, tc.allow)
		}
		if tc.code == 405 && w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("OPTIONS %s: Content-Type %q", tc.path, w.Header().Get("Content-Type"))
		}
	}
}
