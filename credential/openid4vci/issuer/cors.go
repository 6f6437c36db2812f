package issuer

import "net/http"

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
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}
