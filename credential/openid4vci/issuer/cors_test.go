package issuer

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAllowAnyOrigin: every answer carries Access-Control-Allow-Origin: *,
// and a preflight is answered without reaching the endpoint, allowing the
// credential request's headers and no credentials (a plain OPTIONS:
// TestOptionsNotPreflight).
func TestAllowAnyOrigin(t *testing.T) {
	reached := 0
	h := allowAnyOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		w.WriteHeader(http.StatusTeapot)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/credential", nil))
	if rec.Code != http.StatusTeapot || rec.Header().Get("Access-Control-Allow-Origin") != "*" || reached != 1 {
		t.Errorf("POST: %d %v", rec.Code, rec.Header())
	}
	pre := httptest.NewRequest("OPTIONS", "/credential", nil)
	pre.Header.Set("Origin", "https://wallet.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, pre)
	if rec.Code != http.StatusNoContent || reached != 1 || rec.Header().Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" ||
		rec.Header().Get("Access-Control-Allow-Methods") != "GET, POST" || rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("preflight: %d %v", rec.Code, rec.Header())
	}
}
