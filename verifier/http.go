package verifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
)

// MaxHTTPBody is the largest request body [Verifier.Handler] reads.
const MaxHTTPBody = 64 << 10

// Error codes returned by [Verifier.Handler] in {"code", "message"} bodies.
// They are stable: clients may switch on them.
const (
	CodeInvalidRequest        = "invalid_request"
	CodeMalformedPresentation = "malformed_presentation"
	CodeUnknownRequest        = "unknown_request"
	CodeExpiredRequest        = "expired_request"
	CodeReplay                = "replay"
	CodeDuplicateNullifier    = "duplicate_nullifier"
	CodeUntrustedIssuer       = "untrusted_issuer"
	CodeStaleRoot             = "stale_root"
	CodeUnwitnessed           = "unwitnessed_checkpoint"
	CodeSplitView             = "split_view"
	CodeInvalidProof          = "invalid_proof"
	CodeTooLarge              = "too_large"
	CodeUnsupportedMediaType  = "unsupported_media_type"
	CodeNotFound              = "not_found"
	CodeMethodNotAllowed      = "method_not_allowed"
	CodeUnavailable           = "unavailable"
	CodeUnsatisfiedQuery      = "unsatisfied_query"
	CodeHolderDeclined        = "holder_declined"
	CodeWalletError           = "wallet_error"
	CodeInternal              = "internal"
)

// The handler's own rejections: a body that is not application/json, a
// path it does not serve, a method a path does not take.
var (
	errWrongContentType = errors.New("verifier: content type must be application/json")
	errNotFound         = errors.New("verifier: no such endpoint")
	errMethodNotAllowed = errors.New("verifier: method not allowed")
)

// ErrorCode maps an error from this package to its HTTP status and stable
// code. It is the one place where sentinels become statuses.
func ErrorCode(err error) (status int, code string) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, CodeTooLarge
	case errors.Is(err, errWrongContentType):
		return http.StatusUnsupportedMediaType, CodeUnsupportedMediaType
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable, CodeUnavailable
	case errors.Is(err, errNotFound):
		return http.StatusNotFound, CodeNotFound
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed, CodeMethodNotAllowed
	case errors.Is(err, protocol.ErrInvalidRequest):
		return http.StatusBadRequest, CodeInvalidRequest
	case errors.Is(err, protocol.ErrMalformedPresentation):
		return http.StatusBadRequest, CodeMalformedPresentation
	case errors.Is(err, ErrUnknownRequest):
		return http.StatusNotFound, CodeUnknownRequest
	case errors.Is(err, ErrExpiredRequest):
		return http.StatusGone, CodeExpiredRequest
	case errors.Is(err, ErrReplay):
		return http.StatusConflict, CodeReplay
	case errors.Is(err, ErrDuplicateNullifier):
		return http.StatusConflict, CodeDuplicateNullifier
	case errors.Is(err, ErrUntrustedIssuer):
		return http.StatusForbidden, CodeUntrustedIssuer
	case errors.Is(err, ErrSplitView):
		return http.StatusConflict, CodeSplitView
	case errors.Is(err, ErrUnwitnessed):
		return http.StatusUnprocessableEntity, CodeUnwitnessed
	case errors.Is(err, ErrStaleRoot):
		return http.StatusUnprocessableEntity, CodeStaleRoot
	case errors.Is(err, ErrInvalidProof):
		return http.StatusUnprocessableEntity, CodeInvalidProof
	case errors.Is(err, ErrUnsatisfiedQuery):
		return http.StatusUnprocessableEntity, CodeUnsatisfiedQuery
	case errors.Is(err, ErrHolderDeclined):
		return http.StatusForbidden, CodeHolderDeclined
	case errors.Is(err, ErrWalletError):
		return http.StatusUnprocessableEntity, CodeWalletError
	case errors.Is(err, ErrStore):
		return http.StatusServiceUnavailable, CodeUnavailable
	}
	return http.StatusInternalServerError, CodeInternal
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Handler returns the verifier's HTTP API, safe for concurrent use:
//
//	POST /requests                     body: Policy JSON -> 201, the Request
//	GET  /requests/{id}                -> 200, the Request (what a wallet reads)
//	POST /requests/{id}/presentations  body: Submission JSON -> 200, the Result
//	GET  /openid4vp/requests/{id}      -> 200, the signed Request Object
//	                                      (application/oauth-authz-req+jwt)
//	POST /openid4vp/response           form: response (direct_post.jwt) or
//	                                      vp_token and state -> 200, the
//	                                      ResponseResult; or an error
//	                                      response (error, error_description,
//	                                      state) -> 200, {}
//
// The OpenID4VP endpoints answer errors as OpenID4VP does, {"error",
// "error_description"}, plus "zkcred_code" (the code of [ErrorCode]):
// error temporarily_unavailable with status 503 when a check could not be
// made now ([ErrUnavailable]: retry), server_error for other 5xx, and
// invalid_request with the status of ErrorCode for a rejection.
//
// POST /requests creates a request for any policy that fits the configured
// schemas, key and Config.TrustedIssuers: expose it to the service's own
// backend only (or set TrustedIssuers), and prune expired requests with
// Store.DeleteExpired. Request bodies must be application/json and at most
// MaxHTTPBody bytes.
// Errors, including any other path (404, not_found), another method (405,
// method_not_allowed, with an Allow header) and a body over the limit
// (413, too_large), are {"code": ..., "message": ...} with the status and
// code of [ErrorCode], never the plain-text answers of http.ServeMux.
// Presentations are never logged: each refusal is logged once at info
// level (request id, method, path, status, code, error), each server-side
// failure at error level (see [Config.Logger]); with [Config.Metrics] the
// handler counts requests by endpoint, outcome and code
// (zkcred_verifier_requests_total), times each verification
// (zkcred_verifier_verification_duration_seconds) and counts store errors
// (zkcred_verifier_store_errors_total). Serve it with [NewServer] (or equivalent
// timeouts).
func (v *Verifier) Handler() http.Handler {
	mux := http.NewServeMux()
	routes := map[string]bool{}
	route := func(pattern, endpoint string, f handlerFunc) {
		mux.HandleFunc(pattern, v.handle(endpoint, f))
		routes[pattern] = true
	}
	route("POST /requests", "create_request", v.createRequest)
	route("GET /requests/{id}", "get_request", v.getRequest)
	route("POST /requests/{id}/presentations", "presentation", v.postPresentation)
	// OpenID4VP: request_uri and response_uri.
	// Both readable by browser wallets of any origin (cors.go).
	mux.HandleFunc("GET "+OpenID4VPRequestPath+"{id}", anyOrigin(v.getRequestObject))
	routes["GET "+OpenID4VPRequestPath+"{id}"] = true
	mux.HandleFunc("POST "+OpenID4VPResponsePath, anyOrigin(v.postAuthorizationResponse))
	routes["POST "+OpenID4VPResponsePath] = true
	unrouted := v.handle("other", func(r *http.Request) (int, any, error) { return 0, nil, errNotFound })
	return http.MaxBytesHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ServeMux answers unmatched requests itself (plain-text 404 and
		// 405, redirects for unclean paths), with a pattern that is not
		// one of ours: answer those here, in JSON.
		if _, p := mux.Handler(r); routes[p] && r.URL.Path == cleanPath(r.URL.Path) {
			mux.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != cleanPath(r.URL.Path) {
			// ServeMux would redirect (without a JSON body) to the clean
			// path; no client of this API sends one.
			unrouted(w, r)
			return
		}
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, p := mux.Handler(probe); routes[p] {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			unrouted(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		v.handle("other", func(r *http.Request) (int, any, error) {
			return 0, nil, fmt.Errorf("%w: this path takes %s", errMethodNotAllowed, strings.Join(allow, ", "))
		})(w, r)
	}), MaxHTTPBody)
}

// cleanPath is p as ServeMux cleans it before matching (path.Clean,
// keeping a trailing slash).
func cleanPath(p string) string {
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// NewServer returns an *http.Server for h with the timeouts a public
// verifier needs (slow clients cannot hold connections open). Its general
// OPTIONS handler is disabled, so "OPTIONS *" reaches h (and gets h's JSON
// error) instead of net/http's empty 200.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:                         addr,
		Handler:                      h,
		DisableGeneralOptionsHandler: true,
		ReadHeaderTimeout:            5 * time.Second,
		ReadTimeout:                  10 * time.Second,
		WriteTimeout:                 30 * time.Second,
		IdleTimeout:                  120 * time.Second,
		MaxHeaderBytes:               16 << 10,
	}
}

type handlerFunc func(r *http.Request) (status int, body any, err error)

// handle serves f as endpoint (its name in the metrics): it writes f's
// answer, or the error body of f's error, and records and logs the
// outcome ([Verifier.observe]).
func (v *Verifier) handle(endpoint string, f handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, body, err := f(r)
		w.Header().Set("Cache-Control", "no-store")
		var code string
		if err != nil {
			status, code = ErrorCode(err)
			msg := err.Error()
			if status >= 500 {
				// Store and internal details stay in the log.
				msg = http.StatusText(status)
			}
			body = ErrorBody{Code: code, Message: msg}
		}
		v.observe(r, endpoint, status, code, err)
		writeJSON(w, status, body)
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	var b []byte
	var err error
	if r, ok := body.(*protocol.Request); ok {
		b, err = r.JSON() // exactly the canonical bytes ParseRequest wants
	} else {
		b, err = json.Marshal(body)
	}
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":"internal","message":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(b)
}

// readJSONBody checks the content type and reads the (size-limited) body.
func readJSONBody(r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, errWrongContentType
	}
	b, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: reading body: %v", protocol.ErrInvalidRequest, err)
	}
	return b, nil
}

func (v *Verifier) createRequest(r *http.Request) (int, any, error) {
	b, err := readJSONBody(r)
	if err != nil {
		return 0, nil, err
	}
	var p protocol.Policy
	if err := strictjson.Unmarshal(b, &p); err != nil {
		return 0, nil, fmt.Errorf("%w: %v", protocol.ErrInvalidRequest, err)
	}
	req, err := v.NewRequest(r.Context(), p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, req, nil
}

func (v *Verifier) getRequest(r *http.Request) (int, any, error) {
	req, err := v.Request(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, req, nil
}

func (v *Verifier) postPresentation(r *http.Request) (int, any, error) {
	b, err := readJSONBody(r)
	if err != nil {
		return 0, nil, err
	}
	start := time.Now()
	res, err := v.VerifyID(r.Context(), r.PathValue("id"), b)
	v.timeVerification(start, err)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}
