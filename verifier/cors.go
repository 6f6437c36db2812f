package verifier

import "net/http"

// anyOrigin lets a browser wallet of any origin (examples/wallet) read
// the answers of the OpenID4VP endpoints: the Request Object at the
// request_uri and the verifier's answer at the response_uri. Both are
// CORS "simple" requests (a GET, and a form POST), so no preflight is
// needed. "*" is safe: the endpoints authenticate nothing by cookies or
// network position (the request id is the capability, the response is
// checked cryptographically), and with "*" browsers send no cookies. The
// request-creation API (POST /requests) gets no CORS header.
func anyOrigin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h(w, r)
	}
}
