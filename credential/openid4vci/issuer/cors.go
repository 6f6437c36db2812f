package issuer

import (
	"net/http"
	"strings"

	"github.com/zkcred/zkcred/credential/openid4vci"
)

// Browser wallets (a wallet running in a web page, such as
// examples/wallet) call the issuer from another origin, so every endpoint
// of [Issuer.Handler] answers with Access-Control-Allow-Origin: * and the
// credential endpoint's preflight (its Authorization header is not a
// CORS-safelisted one) is answered.
//
// Why "*" is safe here: these endpoints authenticate by what the request
// carries (the pre-authorized code and PIN, then the bearer access token),
// never by cookies, HTTP authentication or the client's network position.
// With "*" a browser sends no cookies and exposes no credentialed
// response, so a page of any origin can do only what any HTTP client on
// the internet can already do. The back office (offers, revocation) is
// not served by this handler and gets no CORS header.

// allowAnyOrigin adds the CORS response headers to every answer of h and
// answers preflight requests (OPTIONS with Access-Control-Request-Method)
// itself.
func allowAnyOrigin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			if r.Header.Get("Access-Control-Request-Method") == "" {
				// Not a preflight: OPTIONS is no method of these
				// endpoints, answered in JSON like every other refusal
				// (ServeMux would answer in plain text).
				if allow := allowedMethods(r.URL.Path); allow != "" {
					w.Header().Set("Allow", allow)
					writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method_not_allowed"})
					return
				}
				h.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// allowedMethods is the Allow header of a path of [Issuer.Handler], or ""
// for a path it does not serve.
func allowedMethods(path string) string {
	switch {
	case path == openid4vci.PathToken, path == openid4vci.PathNonce, path == openid4vci.PathCredential:
		return "POST"
	case path == openid4vci.PathIssuerMetadata, path == openid4vci.PathASMetadata,
		strings.HasPrefix(path, openid4vci.PathOffers) && len(path) > len(openid4vci.PathOffers) && !strings.Contains(path[len(openid4vci.PathOffers):], "/"):
		return "GET, HEAD"
	}
	return ""
}
