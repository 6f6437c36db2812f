package verifier

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAnyOrigin: the OpenID4VP endpoints' answers are readable from any
// origin, without credentials.
func TestAnyOrigin(t *testing.T) {
	h := anyOrigin(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("GET", OpenID4VPRequestPath+"x", nil))
	if rec.Code != http.StatusTeapot || rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("%d %v", rec.Code, rec.Header())
	}
}
